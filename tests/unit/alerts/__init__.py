"""Unit tests of the alerts service."""

import os

# These tests import inventory.observability at collection, before the session fixtures
# run: its Metrics singleton must find the namespace then, or every later flush fails.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Inventory")
