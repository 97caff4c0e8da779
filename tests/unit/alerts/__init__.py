"""Unit tests of the alerts service."""
