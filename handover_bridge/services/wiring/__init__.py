"""Building and starting the bridge: the container that wires every service, and the Context they share."""
