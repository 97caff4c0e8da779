"""The inventory domain: stores, items, counts, thresholds and stock status."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

#: Longest store or item name accepted, in characters. DynamoDB allows 1 KB for a
#: sort key; 200 characters of any script stays well inside it.
MAX_NAME_LENGTH = 200
#: Largest count or threshold accepted: DynamoDB numbers go further, shelves do not.
MAX_COUNT = 999_999_999
#: Head office's scope in the uploads index (``inventory.uploads.HEAD_OFFICE``): where head-office
#: uploads are listed, and what makes a file free to change every store.
HEAD_OFFICE_SCOPE = "*"
#: Names no store may have, anywhere (a file's rows, a store folder, a user's stores, a grant, a
#: subscription, a path): a store named ``*`` would be head office. Head office is a role (the
#: admins group, and files outside the stores folder), never a store. The empty name is refused by
#: :func:`clean_name`; nothing else in a key or a table's key is a word a store could take (store
#: folders percent-encode the name, the History key joins with a control character).
RESERVED_STORE_NAMES = frozenset({HEAD_OFFICE_SCOPE})
#: Longest lead time accepted, in days: a supplier that takes longer than a year is not reordered from.
MAX_LEAD_TIME_DAYS = 365


class StockStatus(enum.StrEnum):
    """Where an item's count stands against its low-stock threshold."""

    OUT = "out"
    LOW = "low"
    OK = "ok"


def stock_status(count: int, threshold: int | None, default_threshold: int) -> StockStatus:
    """Status of an item: out at 0, low at or below its threshold, else ok.

    ``threshold`` is the item's own low-stock level; ``None`` means the stage-wide
    ``default_threshold`` applies.
    """
    if count == 0:
        return StockStatus.OUT
    limit = default_threshold if threshold is None else threshold
    return StockStatus.LOW if count <= limit else StockStatus.OK


class Alert(enum.StrEnum):
    """A stock transition worth announcing: the ``severity`` of an alert.

    The alerts service publishes these as SNS message attributes, and subscription filter
    policies select by them, so they are part of the contract between services.
    """

    OUT = "out"
    LOW = "low"
    #: Projected to run out within the stage's ``soonDays``: a call to reorder, less urgent than
    #: an item already at or below its threshold, more than one that came back.
    SOON = "soon"
    RESTOCKED = "restocked"

    @property
    def rank(self) -> int:
        """Severity: out (4) > low (3) > soon (2) > restocked (1)."""
        return {Alert.OUT: 4, Alert.LOW: 3, Alert.SOON: 2, Alert.RESTOCKED: 1}[self]


class InvalidValue(ValueError):
    """A field of a row that cannot be accepted; the message says why."""


def clean_name(value: object, field: str) -> str:
    """Validate a store or item name: non-empty text, no control characters, sane length.

    Surrounding whitespace is removed; inner spaces, slashes, ``#`` and any script are kept.
    """
    if not isinstance(value, str):
        raise InvalidValue(f"{field} must be text")
    name = value.strip()
    if not name:
        raise InvalidValue(f"{field} is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidValue(f"{field} is longer than {MAX_NAME_LENGTH} characters")
    # isprintable() is False for every control character (and some other kinds): check those char by char.
    if not name.isprintable() and any(unicodedata.category(char) == "Cc" for char in name):
        raise InvalidValue(f"{field} contains a control character")
    return name


def clean_store(value: object, field: str = "store") -> str:
    """Validate a store name: :func:`clean_name`, and none of :data:`RESERVED_STORE_NAMES`."""
    name = clean_name(value, field)
    if name in RESERVED_STORE_NAMES:
        raise InvalidValue(
            f"{field} {name!r} is reserved: head office is a role, not a store, so no store has this name"
        )
    return name


def clean_count(value: object, field: str) -> int:
    """Validate a count or threshold: a whole number from 0 to :data:`MAX_COUNT`.

    Accepts an integer or the text of one (``"12"``, ``" 12 "``); refuses fractions,
    booleans, signs and exponents, so ``1.5``, ``-1``, ``1e3`` and ``true`` are errors.
    """
    if isinstance(value, bool):
        raise InvalidValue(f"{field} must be a whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip().lstrip("0")
        # int() of thousands of digits is slow, and refused past 4,300: no count is that long.
        if len(digits) > len(str(MAX_COUNT)):
            raise InvalidValue(f"{field} is larger than {MAX_COUNT}")
        number = int(digits or "0")
    else:
        shown = value if isinstance(value, str) else repr(value)
        if isinstance(value, str) and not value.strip():
            raise InvalidValue(f"{field} is empty")
        raise InvalidValue(f"{field} must be a whole number of 0 or more, got {str(shown)[:40]!r}")
    if number < 0:
        raise InvalidValue(f"{field} must be 0 or more, got {number}")
    if number > MAX_COUNT:
        raise InvalidValue(f"{field} is larger than {MAX_COUNT}")
    return number


@dataclass(frozen=True, slots=True)
class Ordering:
    """How an item is reordered: its supplier's lead time in days, the pack size orders come in, the
    supplier's name. ``None`` where not given: the stage's lead time, packs of one, no supplier."""

    lead_time_days: int | None = None
    pack_size: int | None = None
    supplier: str | None = None

    def over(self, prior: Ordering) -> Ordering:
        """These values, each one not given taken from ``prior`` (an upload without the column keeps it)."""
        return Ordering(
            prior.lead_time_days if self.lead_time_days is None else self.lead_time_days,
            prior.pack_size if self.pack_size is None else self.pack_size,
            prior.supplier if self.supplier is None else self.supplier,
        )


NO_ORDERING = Ordering()


def clean_ordering(lead_time_days: object, pack_size: object, supplier: object) -> Ordering:
    """Validate the optional ordering columns; an empty value (or ``None``) is not given.

    A lead time is whole days from 0 to :data:`MAX_LEAD_TIME_DAYS`, a pack size a whole number of at
    least 1, a supplier a name as for stores and items.
    """
    lead = None if _blank(lead_time_days) else clean_count(lead_time_days, "lead_time_days")
    if lead is not None and lead > MAX_LEAD_TIME_DAYS:
        raise InvalidValue(f"lead_time_days must be at most {MAX_LEAD_TIME_DAYS}, got {lead}")
    pack = None if _blank(pack_size) else clean_count(pack_size, "pack_size")
    if pack == 0:
        raise InvalidValue("pack_size must be 1 or more, got 0")
    return Ordering(lead, pack, None if _blank(supplier) else clean_name(supplier, "supplier"))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True, slots=True)
class InventoryRow:
    """One accepted row of an inventory file. ``line`` is where it starts (1-based).

    ``threshold`` is ``None`` when the row names none: with ``clears_threshold`` (the file has
    the column and the cell is empty or ``null``) the item goes back to the default threshold;
    without it (no such column) the item keeps the threshold it has.
    """

    store: str
    item: str
    count: int
    threshold: int | None
    line: int
    ordering: Ordering = NO_ORDERING
    clears_threshold: bool = False


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: the line it starts on and the reason, for the upload report."""

    line: int
    """Line number in the file (1 is the header of a CSV)"""
    reason: str


@dataclass(frozen=True, slots=True)
class SourceVersion:
    """Which upload a stored level came from, used to order uploads of the same item.

    An item keeps the version of the upload that last set it; an upload older than
    that never sets the item back (S3 delivers events at least once and unordered).
    """

    time: str  # the object's LastModified, ISO 8601 UTC (see :func:`iso_utc`)
    key: str  # the object key
    sequencer: str = ""  # S3's sequencer: orders events of the same key only

    def order(self, other: SourceVersion) -> int:
        """-1, 0 or 1 as this upload is older than, the same as, or newer than ``other``."""
        same_key = self.key == other.key
        mine = (self.time, self.key, comparable_sequencer(self.sequencer) if same_key else "")
        theirs = (other.time, other.key, comparable_sequencer(other.sequencer) if same_key else "")
        return (mine > theirs) - (mine < theirs)


#: Width S3 sequencers are padded to, so that they compare as text (they are 16 to 18 digits).
SEQUENCER_WIDTH = 32


def comparable_sequencer(sequencer: str) -> str:
    """An S3 sequencer in a form that orders correctly as text, or ``""`` for none.

    S3's sequencers (hexadecimal, of different lengths) are compared by right-padding the
    shorter with zeros, then comparing lexicographically (the S3 user guide, "Event message
    structure"): upper case, padded to :data:`SEQUENCER_WIDTH`, the text compares that way.
    """
    return sequencer.upper().ljust(SEQUENCER_WIDTH, "0") if sequencer else ""


def iso_utc(moment: datetime) -> str:
    """Render a moment as ISO 8601 UTC with milliseconds, e.g. ``2026-11-22T03:25:13.000Z``.

    Fixed width, so the text sorts in time order.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> str:
    """The current time as :func:`iso_utc` text."""
    return iso_utc(datetime.now(UTC))
