"""The History table: every count change of an item, kept for a limited time.

Owned and written by the alerts service (it sees every change on the Inventory stream, in
order per item), read by the dashboard API, both through :class:`HistoryEntry`.

Partition key ``StoreItem`` joins store and item with U+001F (a control character, which
names never contain, so any name round-trips); sort key ``At`` is the change time (ISO 8601
UTC) followed by ``#`` and the stream sequence number, unique per change and in time order.
The row of a change that raised an alert also carries the alert and when it was announced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: Joins store and item in the partition key; validated names never contain it.
SEPARATOR = "\x1f"
#: Sort keys are ``<time>#<sequence>``; '$' sorts right after '#', so ``<time>$`` bounds
#: every change at that time, whatever its sequence number.
AFTER_SEQUENCES = "$"


def history_key(store: str, item: str) -> str:
    """The History partition key of one item."""
    return f"{store}{SEPARATOR}{item}"


def history_sort_key(time: str, sequence: str) -> str:
    """The History sort key of one change: its time, then the stream sequence number."""
    return f"{time}#{sequence}"


def expiry(time: str, retention_days: int) -> int:
    """Epoch seconds ``retention_days`` after ``time`` (ISO 8601): when DynamoDB's TTL may delete the row."""
    moment = datetime.fromisoformat(time.replace("Z", "+00:00"))
    return int((moment + timedelta(days=retention_days)).timestamp())


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One count change of one item.

    ``old_count`` is ``None`` when the item first appeared. ``alert`` and ``announced_at``
    are set once the change's alert has been announced.
    """

    store: str
    item: str
    time: str
    sequence: str
    old_count: int | None
    new_count: int
    expires_at: int  # epoch seconds: DynamoDB's TTL deletes the row some time after
    alert: str | None = None
    announced_at: str | None = None

    def key(self) -> dict[str, dict[str, str]]:
        """The row's primary key in attribute-value form."""
        return {
            "StoreItem": {"S": history_key(self.store, self.item)},
            "At": {"S": history_sort_key(self.time, self.sequence)},
        }

    def to_item(self) -> dict[str, dict[str, str]]:
        """The row in DynamoDB's attribute-value form."""
        item = {
            **self.key(),
            "Store": {"S": self.store},
            "Item": {"S": self.item},
            "Time": {"S": self.time},
            "NewCount": {"N": str(self.new_count)},
            "ExpiresAt": {"N": str(self.expires_at)},
        }
        if self.old_count is not None:
            item["OldCount"] = {"N": str(self.old_count)}
        if self.alert is not None:
            item["Alert"] = {"S": self.alert}
        if self.announced_at is not None:
            item["AnnouncedAt"] = {"S": self.announced_at}
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, Any]]) -> HistoryEntry:
        """Read a row written by :meth:`to_item`; raises ``KeyError`` or ``ValueError`` otherwise."""
        time, _, sequence = item["At"]["S"].partition("#")
        old = item.get("OldCount")
        return cls(
            store=item["Store"]["S"],
            item=item["Item"]["S"],
            time=item.get("Time", {}).get("S") or time,
            sequence=sequence,
            old_count=int(old["N"]) if old else None,
            new_count=int(item["NewCount"]["N"]),
            expires_at=int(item.get("ExpiresAt", {}).get("N", "0")),
            alert=item.get("Alert", {}).get("S"),
            announced_at=item.get("AnnouncedAt", {}).get("S"),
        )
