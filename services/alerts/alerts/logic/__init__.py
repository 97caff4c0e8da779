"""Domain decisions: transitions, digests and the batch flow."""
