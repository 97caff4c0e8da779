"""A stock change read from one Inventory stream record.

:class:`StreamChangeRecord` is a record as Lambda delivers it (its plain dict), read at first ask
and then kept; its images deserialize as DynamoDB's attribute values do in boto3's and Powertools'
deserializers (numbers arrive as ``Decimal``), text and numbers directly. This module only decides
what a readable stock level is. ``Alert`` (the severities announced) is re-exported from
:mod:`inventory.models`, where the services share it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

from inventory.models import Alert, iso_utc
from inventory.table import RETIRED

from alerts.models.errors import MalformedRecord

__all__ = ["Alert", "Level", "StockChange", "StreamChangeRecord"]

#: What deserializing a malformed attribute value raises (Decimal('lots'), an unknown type tag, ...).
UNREADABLE = (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError)

#: The stream's event names (any other is malformed).
EVENTS = ("INSERT", "MODIFY", "REMOVE")


class StreamChangeRecord:
    """One stream record as Lambda delivers it; its change (or why it is malformed) is read once,
    however often the batch's steps ask."""

    __slots__ = ("_change", "_read", "raw", "sequence")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.sequence = sequence_of(raw)
        self._read = False
        self._change: StockChange | MalformedRecord | None = None

    @property
    def event_id(self) -> str | None:
        found = self.raw.get("eventID")
        return found if isinstance(found, str) else None

    def change(self) -> StockChange | None:
        """The record's change; ``None`` for a removal. Raises :class:`MalformedRecord` when the record's
        new state cannot be read (an unreadable old image is not an error: see :meth:`StockChange.read`)."""
        if not self._read:
            try:
                self._change = StockChange.read(self)
            except MalformedRecord as error:
                self._change = error
            self._read = True
        if isinstance(self._change, MalformedRecord):
            raise self._change
        return self._change


def sequence_of(raw: Mapping[str, Any]) -> str:
    """A record's sequence number on its shard, how a batch names what failed (``""`` without a section)."""
    section = raw.get("dynamodb")
    return "" if section is None else str(section.get("SequenceNumber"))


#: DynamoDB's numbers: 38 digits, within its exponent range; anything else raises.
_NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
_TRIM = Context(prec=38)
_TRIM.traps[Inexact] = True


def _number(text: str) -> Decimal:
    if text in ("", "."):
        return _NUMBERS.create_decimal(0)
    number = Decimal(text)
    if len(number.as_tuple().digits) > 38:  # trailing zeros do not count: moved into the exponent
        number = number.normalize(_TRIM)
    return _NUMBERS.create_decimal(number)


def _value(value: Any) -> Any:
    """One attribute value of any kind, read as boto3's and Powertools' deserializers read it (a
    malformed one fails as there)."""
    kind = list(value.keys())[0]  # noqa: RUF015 - an empty value fails with IndexError there, not StopIteration
    read = _KINDS.get(f"{kind}".lower())
    if read is None:
        raise TypeError(f"Dynamodb type {kind} is not supported")
    return read(value[kind])


_KINDS: dict[str, Callable[[Any], Any]] = {
    "null": lambda _: None,
    "bool": lambda value: value,
    "n": _number,
    "s": lambda value: value,
    "b": lambda value: value,
    "ns": lambda values: set(map(_number, values)),
    "ss": set,
    "bs": set,
    "l": lambda values: [_value(each) for each in values],
    "m": lambda values: {name: _value(each) for name, each in values.items()},
}


def attribute_values(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """An image's (or the keys') attribute values as Python values: text and numbers directly, any
    other kind through :func:`_value`; raises one of :data:`UNREADABLE` for a malformed value."""
    found: dict[str, Any] = {}
    for name, value in (attributes or {}).items():
        if type(value) is dict and len(value) == 1:
            text = value.get("S")
            if text is not None:
                found[name] = text
                continue
            number = value.get("N")
            if number is not None:
                found[name] = _number(number)
                continue
        found[name] = _value(value)
    return found


@dataclass(frozen=True, slots=True)
class Level:
    """An item's count and its own threshold (``None``: the stage default applies).

    ``retired``: a full list of its store omitted it (ingest sets ``Retired``); it then counts as no
    item at all (no totals, no alerts, no forecast) until a file names it again.
    """

    count: int
    threshold: int | None
    retired: bool = False

    @classmethod
    def from_image(cls, image: Mapping[str, Any], where: str = "item") -> Level:
        """Read ``Count`` and ``Threshold`` of a deserialized item; raises :class:`MalformedRecord`."""
        if "Count" not in image:
            raise MalformedRecord(f"{where} has no Count")
        threshold = image.get("Threshold")
        return cls(
            count=_whole(image["Count"], where, "Count"),
            threshold=None if threshold is None else _whole(threshold, where, "Threshold"),
            retired=RETIRED in image,
        )


@dataclass(frozen=True, slots=True)
class StockChange:
    """One write to an Inventory item as the stream reports it.

    ``old`` is ``None`` for a new item, and also when the previous image could not be read
    (``old_known`` is then ``False``: the previous state is unknown, not empty). ``time`` is
    when the change was made (ISO 8601 UTC) and ``sequence`` the stream sequence number:
    together they key the change, identically on every delivery of the record.
    """

    store: str
    item: str
    old: Level | None
    new: Level
    time: str
    sequence: str
    event_id: str = ""
    old_known: bool = True
    old_problem: str = ""  # why the previous image could not be read
    old_at: str | None = None  # the previous image's UpdatedAt (when the old count was set), if readable

    @property
    def count_changed(self) -> bool:
        return self.old is None or self.old.count != self.new.count

    @property
    def old_count(self) -> int | None:
        return None if self.old is None else self.old.count

    @classmethod
    def read(cls, record: StreamChangeRecord) -> StockChange | None:
        """Read a stream record afresh (:meth:`StreamChangeRecord.change` keeps what it read); ``None`` for a
        removal.

        Raises :class:`MalformedRecord` when the record's new state cannot be read. An
        unreadable old image is not an error: it yields a change with ``old_known=False``.
        """
        stream = record.raw.get("dynamodb")
        if stream is None:
            raise MalformedRecord("the record has no 'dynamodb' section")
        sequence = stream.get("SequenceNumber")
        if not isinstance(sequence, str) or not sequence:
            raise MalformedRecord("the record has no SequenceNumber")
        event = record.raw.get("eventName")
        if event is not None and event not in EVENTS:
            raise MalformedRecord(f"unknown eventName {str(event)[:40]!r}")
        if event == "REMOVE":
            return None  # a deleted item raises none of the alerts and has no new count
        if event is None:
            raise MalformedRecord("the record has no eventName")
        store, item = _key(stream)
        new_image = _image(stream, "NewImage")
        if not new_image:
            raise MalformedRecord(f"{event} without NewImage (the stream must carry NEW_AND_OLD_IMAGES)")
        new = Level.from_image(new_image, "NewImage")
        old: Level | None = None
        old_known, old_problem = True, ""
        if event == "MODIFY":
            try:
                old_image = _image(stream, "OldImage")
                if not old_image:
                    raise MalformedRecord("MODIFY without OldImage (the stream must carry NEW_AND_OLD_IMAGES)")
                old = Level.from_image(old_image, "OldImage")
            except MalformedRecord as error:
                old_known, old_problem = False, str(error)
        return cls(
            store=store,
            item=item,
            old=old,
            new=new,
            time=_change_time(stream),
            sequence=sequence,
            event_id=record.event_id or "",
            old_known=old_known,
            old_problem=old_problem,
            old_at=_old_time(stream) if old is not None else None,
        )


def _whole(value: Any, where: str, name: str) -> int:
    """A whole number of 0 or more, as DynamoDB's ``N`` deserializes it."""
    if isinstance(value, Decimal) and value.is_finite() and value >= 0 and value == value.to_integral_value():
        return int(value)
    raise MalformedRecord(f"{where} {name} is not a whole number of 0 or more: {str(value)[:40]!r}")


def _image(stream: Mapping[str, Any], name: str) -> dict[str, Any]:
    try:
        return attribute_values(stream.get(name))
    except UNREADABLE as error:
        raise MalformedRecord(f"{name} cannot be read: {type(error).__name__}: {str(error)[:80]}") from error


def _key(stream: Mapping[str, Any]) -> tuple[str, str]:
    """Store and item from the record's Keys: the table's key, present on every record."""
    try:
        keys = attribute_values(stream.get("Keys"))
    except UNREADABLE as error:
        raise MalformedRecord(f"Keys cannot be read: {type(error).__name__}") from error
    store, item = keys.get("Store"), keys.get("Item")
    if not isinstance(store, str) or not store or not isinstance(item, str) or not item:
        raise MalformedRecord("the record's Keys have no text Store and Item")
    return store, item


def _change_time(stream: Mapping[str, Any]) -> str:
    """When the writer made the change (the new image's UpdatedAt), else when the stream saw it.

    A writer that left UpdatedAt as it was did not time its change: the stream's time is used
    then. Both come from the record itself, so every delivery of a record keeps its History key.
    The raw attribute values are compared, so an unreadable old image does not matter here.
    """
    new_raw = (stream.get("NewImage") or {}).get("UpdatedAt")
    old_raw = (stream.get("OldImage") or {}).get("UpdatedAt")
    if isinstance(new_raw, Mapping) and new_raw != old_raw and isinstance(new_raw.get("S"), str):
        written = change_time_of(new_raw["S"])
        if written is not None:
            return written
    try:
        found = stream.get("ApproximateCreationDateTime")
        created = None if found is None else int(found)
    except (TypeError, ValueError):
        created = None
    if created is None:
        raise MalformedRecord("the record has neither a valid NewImage UpdatedAt nor ApproximateCreationDateTime")
    return iso_utc(datetime.fromtimestamp(created, UTC))


def _old_time(stream: Mapping[str, Any]) -> str | None:
    """The previous image's ``UpdatedAt`` as change-time text; ``None`` when absent or unreadable."""
    raw = (stream.get("OldImage") or {}).get("UpdatedAt")
    if isinstance(raw, Mapping) and isinstance(raw.get("S"), str):
        return change_time_of(raw["S"])
    return None


def change_time_of(updated_at: str) -> str | None:
    """An item's ``UpdatedAt`` as the History key spells the change's time; ``None`` if unreadable."""
    try:
        return iso_utc(datetime.fromisoformat(updated_at.replace("Z", "+00:00")))
    except ValueError:
        return None
