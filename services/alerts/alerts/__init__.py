"""Alerts: stock-level transitions on the Inventory stream, announced once per store, with history."""
