"""A store's totals as the Stores table holds them, as the Inventory table implies them, and the recount's verdict."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from alerts.models.change import Level


@dataclass(frozen=True, slots=True)
class Totals:
    """How many items a store has, and how many of them are out of stock or low."""

    items: int = 0
    out: int = 0
    low: int = 0

    def minus(self, other: Totals) -> Totals:
        return Totals(self.items - other.items, self.out - other.out, self.low - other.low)

    @property
    def size(self) -> int:
        """How far from zero: the sum of the absolute values."""
        return abs(self.items) + abs(self.out) + abs(self.low)


@dataclass(frozen=True, slots=True)
class StoreRow:
    """A Stores row as read, kept whole so a repair can be made conditional on exactly it.

    ``present`` names the count attributes the row had (a missing one reads as 0 but is
    conditioned as missing); ``exists`` is ``False`` when there was no row at all.
    """

    store: str
    totals: Totals
    updated_at: str | None
    exists: bool
    present: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CountedItem:
    """One Inventory item as the recount reads it; ``level`` is ``None`` when it cannot be read."""

    item: str
    level: Level | None
    updated_at: str


class Verdict(enum.StrEnum):
    MATCHED = "matched"  # the row agrees with the table
    REPAIRED = "repaired"  # the row disagreed and now holds the recounted totals
    DRIFT = "drift"  # the row disagrees; not repaired (a dry run)
    BUSY = "busy"  # skipped: changes may still be on their way through the stream
    CHANGED = "changed"  # skipped: the row changed while the store was counted


@dataclass(frozen=True, slots=True)
class StoreRecount:
    store: str
    verdict: Verdict
    found: Totals  # what the Stores row said
    counted: Totals | None = None  # what the Inventory table implies (None when skipped before counting)
    reason: str = ""
    unreadable: int = 0  # items whose count or threshold could not be read (not counted)

    @property
    def drift(self) -> Totals:
        """Recounted minus found: what the row was missing (negative: what it had too many)."""
        return Totals() if self.counted is None else self.counted.minus(self.found)
