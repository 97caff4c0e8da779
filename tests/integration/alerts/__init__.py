"""Integration tests of the alerts service."""
