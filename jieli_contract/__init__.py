"""The contract the action, the bridge and the pages share (see each module)."""
