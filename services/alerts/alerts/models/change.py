"""A stock change read from one Inventory stream record.

``Alert`` (the severities announced) is re-exported from :mod:`inventory.models`, where the
services share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inventory.models import Alert, iso_utc

from alerts.models.errors import MalformedRecord

__all__ = ["Alert", "Level", "StockChange"]


@dataclass(frozen=True, slots=True)
class Level:
    """An item's count and its own threshold (``None``: the stage default applies)."""

    count: int
    threshold: int | None


@dataclass(frozen=True, slots=True)
class StockChange:
    """One write to an Inventory item as the stream reports it.

    ``old`` is ``None`` for a new item. ``time`` is when the change was made (ISO 8601
    UTC) and ``sequence`` the stream sequence number: together they key the change.
    """

    store: str
    item: str
    old: Level | None
    new: Level
    time: str
    sequence: str
    event_id: str = ""

    @property
    def count_changed(self) -> bool:
        return self.old is None or self.old.count != self.new.count

    @property
    def old_count(self) -> int | None:
        return None if self.old is None else self.old.count

    @classmethod
    def from_stream_record(cls, record: Mapping[str, Any]) -> StockChange | None:
        """Read a DynamoDB stream record (Lambda's shape); ``None`` for a removal.

        Raises :class:`MalformedRecord` when the record cannot be a stock change.
        """
        event = record.get("eventName")
        stream = record.get("dynamodb")
        if not isinstance(stream, Mapping):
            raise MalformedRecord("the record has no 'dynamodb' section")
        sequence = stream.get("SequenceNumber")
        if not isinstance(sequence, str) or not sequence:
            raise MalformedRecord("the record has no SequenceNumber")
        if event == "REMOVE":
            return None  # a deleted item raises none of the alerts and has no new count
        if event not in ("INSERT", "MODIFY"):
            raise MalformedRecord(f"unknown eventName {str(event)[:40]!r}")
        new_image = stream.get("NewImage")
        if not isinstance(new_image, Mapping):
            raise MalformedRecord(f"{event} without NewImage (the stream must carry NEW_AND_OLD_IMAGES)")
        old_image = stream.get("OldImage")
        if event == "MODIFY" and not isinstance(old_image, Mapping):
            raise MalformedRecord("MODIFY without OldImage (the stream must carry NEW_AND_OLD_IMAGES)")
        store, item = _text(new_image, "Store"), _text(new_image, "Item")
        return cls(
            store=store,
            item=item,
            old=_level(old_image, "OldImage") if event == "MODIFY" else None,
            new=_level(new_image, "NewImage"),
            time=_change_time(new_image, old_image if isinstance(old_image, Mapping) else {}, stream),
            sequence=sequence,
            event_id=str(record.get("eventID") or ""),
        )


def _text(image: Mapping[str, Any], name: str) -> str:
    value = image.get(name)
    if not isinstance(value, Mapping) or not isinstance(value.get("S"), str) or not value["S"]:
        raise MalformedRecord(f"NewImage has no text {name}")
    return str(value["S"])


def _number(image: Mapping[str, Any], name: str, where: str) -> int | None:
    value = image.get(name)
    if value is None:
        return None
    raw = value.get("N") if isinstance(value, Mapping) else None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit():
        shown = raw if isinstance(raw, str) else value
        raise MalformedRecord(f"{where} {name} is not a whole number of 0 or more: {str(shown)[:40]!r}")
    return int(raw)


def _level(image: Any, where: str) -> Level:
    count = _number(image, "Count", where)
    if count is None:
        raise MalformedRecord(f"{where} has no Count")
    return Level(count=count, threshold=_number(image, "Threshold", where))


def _change_time(new_image: Mapping[str, Any], old_image: Mapping[str, Any], stream: Mapping[str, Any]) -> str:
    """When ingest made the change (UpdatedAt), else when the stream saw it.

    A writer that left UpdatedAt as it was did not time its change: the stream's time is
    used then. Both come from the record itself, so a retried record keeps its history key.
    """
    updated = new_image.get("UpdatedAt", {})
    if updated == old_image.get("UpdatedAt"):
        updated = {}
    if isinstance(updated, Mapping) and isinstance(updated.get("S"), str):
        try:
            return iso_utc(datetime.fromisoformat(updated["S"].replace("Z", "+00:00")))
        except ValueError:
            pass
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, int | float) and not isinstance(created, bool):
        return iso_utc(datetime.fromtimestamp(created, UTC))
    raise MalformedRecord("the record has neither a valid NewImage UpdatedAt nor ApproximateCreationDateTime")
