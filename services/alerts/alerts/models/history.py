"""The History row of a stock change (the row's format is :class:`inventory.history.HistoryEntry`)."""

from __future__ import annotations

from inventory.history import HistoryEntry, expiry

from alerts.models.change import StockChange


def history_entry(change: StockChange, retention_days: int) -> HistoryEntry:
    """The row of a change, expiring ``retention_days`` after the change (not after the write)."""
    return HistoryEntry(
        store=change.store,
        item=change.item,
        time=change.time,
        sequence=change.sequence,
        old_count=change.old_count,
        new_count=change.new.count,
        expires_at=expiry(change.time, retention_days),
    )
