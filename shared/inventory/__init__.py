"""Inventory tracking: what every service shares.

Only what two or more services exchange lives here; code one service uses stays in it.

- :mod:`inventory.models`: stores, items, counts, thresholds, stock status and alert severities.
- :mod:`inventory.table`: the Inventory table's keys and item mapping (written by ingest, read by all).
- :mod:`inventory.stores`: the Stores table's summary row.
- :mod:`inventory.report`: the upload report (written by ingest, read by the dashboard API).
- :mod:`inventory.uploads`: the upload key layout, report names and the uploads index row.
- :mod:`inventory.history`: the History row (written by alerts, read by the dashboard API).
- :mod:`inventory.observability`: Powertools logger, tracer and metrics.
"""
