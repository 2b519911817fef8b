"""Learning from agents: the review queue, the training-data export, and the lead's analytics."""
