"""The History row of a stock change (the row's format is :class:`inventory.history.HistoryEntry`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from inventory.history import HistoryEntry, expiry

from alerts.models.change import Alert, StockChange


def history_entry(change: StockChange, retention_days: int, alert: Alert | None = None) -> HistoryEntry:
    """The row of a change, expiring ``retention_days`` after the change (not after the write).

    A change whose previous image could not be read is recorded like a new item (no old count).
    """
    return HistoryEntry(
        store=change.store,
        item=change.item,
        time=change.time,
        sequence=change.sequence,
        old_count=change.old_count,
        new_count=change.new.count,
        expires_at=expiry(change.time, retention_days),
        alert=None if alert is None else alert.value,
    )


class Recorded(enum.Enum):
    """What writing a change's History row found."""

    NEW = "new"  # written now, together with the store's totals
    UNANNOUNCED = "unannounced"  # written by an earlier delivery whose digest did not go out
    ANNOUNCED = "announced"  # written and announced by an earlier delivery


@dataclass(frozen=True, slots=True)
class Written:
    """What writing a change's History row found, and the alert the row holds.

    For a row an earlier delivery wrote, ``alert`` is the one decided then: the once-only rule
    announces what the row says, not what a replay would decide now.
    """

    recorded: Recorded
    alert: str | None
