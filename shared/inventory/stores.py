"""The Stores table: one summary row per store, so listing stores never aggregates their items.

Owned by ingest (its stack creates it), read by the dashboard API; both go through
:class:`StoreSummary`. Attributes:

- ``Store``: the partition key;
- ``Items``, ``Out``, ``Low``: how many items the store has, and how many are out of stock or low;
- ``UpdatedAt``: when a count of the store last changed (ISO 8601 UTC);
- ``LastUploadAt``: when the store last sent a file, changed or not (ISO 8601 UTC);
- ``LastFullListAt``: the upload time of the last full list of the store that ingest applied (it
  named every item of the store then, and retired the rest): every item not retired was listed then;
- ``FullList``: the store asked that every file under its folder be read as its full list (set from
  the dashboard, ``PUT /stores/{store}/settings``), as if each carried the ``full-list`` metadata;
- ``CountedThrough``: set by a recount that repaired the totals: every change made until then
  (ISO 8601 UTC, a change's time) is in them, so the stream consumer adds none of those again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inventory.models import StockStatus

ITEMS, OUT, LOW = "Items", "Out", "Low"
UPDATED_AT = "UpdatedAt"
LAST_UPLOAD_AT = "LastUploadAt"
LAST_FULL_LIST_AT = "LastFullListAt"
COUNTED_THROUGH = "CountedThrough"
FULL_LIST = "FullList"


@dataclass(slots=True)
class StoreChange:
    """How some item changes move a store's summary: items gained or lost, out / low counts."""

    items: int = 0
    out: int = 0
    low: int = 0

    def add(self, other: StoreChange) -> None:
        self.items += other.items
        self.out += other.out
        self.low += other.low

    def record(self, before: StockStatus | None, after: StockStatus | None) -> None:
        """Count one item going from ``before`` to ``after`` (``None``: the item did not exist)."""
        self.items += (after is not None) - (before is not None)
        for status, step in ((before, -1), (after, 1)):
            if status is StockStatus.OUT:
                self.out += step
            elif status is StockStatus.LOW:
                self.low += step

    @property
    def empty(self) -> bool:
        return not (self.items or self.out or self.low)


@dataclass(frozen=True, slots=True)
class StoreSummary:
    store: str
    items: int
    out: int
    low: int
    updated_at: str | None
    last_upload_at: str | None = None
    last_full_list_at: str | None = None
    full_list: bool = field(default=False, kw_only=True)  # every file of the store is its full list (``FullList``)

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, Any]]) -> StoreSummary:
        """Read a Stores row; missing counts are 0, missing times ``None``."""

        def number(name: str) -> int:
            return int(item.get(name, {}).get("N", "0"))

        return cls(
            store=item["Store"]["S"],
            items=number(ITEMS),
            out=number(OUT),
            low=number(LOW),
            updated_at=item.get(UPDATED_AT, {}).get("S"),
            last_upload_at=item.get(LAST_UPLOAD_AT, {}).get("S"),
            last_full_list_at=item.get(LAST_FULL_LIST_AT, {}).get("S"),
            full_list=remembers_full_list(item),
        )


def remembers_full_list(item: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether a Stores row says every file of the store is its full list (``FullList`` is true)."""
    return item.get(FULL_LIST, {}).get("BOOL") is True
