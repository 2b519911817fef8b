"""Demo data: the demo week (refused outside demo mode)."""
