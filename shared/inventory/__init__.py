"""Inventory tracking: what every service shares.

- :mod:`inventory.models`: stores, items, counts, thresholds and stock status.
- :mod:`inventory.parser`: the streaming CSV / JSON / JSON Lines inventory file parser.
- :mod:`inventory.table`: the Inventory table's keys, item mapping and batch writer.
- :mod:`inventory.observability`: Powertools logger, tracer and metrics.
"""
