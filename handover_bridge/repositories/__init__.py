"""All SQL lives here: small async functions that take the unit of work's session."""
