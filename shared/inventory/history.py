"""The History table's keys: every count change of an item, kept for a limited time.

Owned and written by the alerts service (it sees every change on the Inventory
stream), read by the dashboard API. Partition key ``StoreItem`` joins store and item
with U+001F (a control character, which names never contain, so any name round-trips);
sort key ``At`` is the change time (ISO 8601 UTC) followed by ``#`` and the stream
sequence number, unique per change and in time order.
"""

from __future__ import annotations

#: Joins store and item in the partition key; validated names never contain it.
SEPARATOR = "\x1f"


def history_key(store: str, item: str) -> str:
    """The History partition key of one item."""
    return f"{store}{SEPARATOR}{item}"


def history_sort_key(time: str, sequence: str) -> str:
    """The History sort key of one change: its time, then the stream sequence number."""
    return f"{time}#{sequence}"
