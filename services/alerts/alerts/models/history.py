"""One History row: a count change of one item, kept for a limited time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.models.change import StockChange


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A change as the History table keeps it (see inventory.history for the keys)."""

    store: str
    item: str
    time: str
    sequence: str
    old_count: int | None
    new_count: int
    expires_at: int  # epoch seconds: DynamoDB's TTL deletes the row some time after

    @classmethod
    def of(cls, change: StockChange, retention_days: int) -> HistoryEntry:
        """The row of a change, expiring ``retention_days`` after the change (not after the write)."""
        moment = datetime.fromisoformat(change.time.replace("Z", "+00:00"))
        return cls(
            store=change.store,
            item=change.item,
            time=change.time,
            sequence=change.sequence,
            old_count=change.old_count,
            new_count=change.new.count,
            expires_at=int((moment + timedelta(days=retention_days)).timestamp()),
        )
