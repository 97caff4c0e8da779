"""What every inventory file format shares: the row contract, the header rules, positions, and caps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inventory.models import (
    InvalidValue,
    InventoryRow,
    RowError,
    clean_count,
    clean_name,
    clean_ordering,
    clean_store,
)

REQUIRED_FIELDS = ("store", "item", "count")
OPTIONAL_FIELDS = ("threshold", "lead_time_days", "pack_size", "supplier")
#: Most columns a header may have: an inventory file needs four, exports add a few more.
MAX_COLUMNS = 100

ParsedRow = InventoryRow | RowError


class FileRejected(Exception):
    """The file cannot be read as inventory from this point on."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True, slots=True)
class ParsePosition:
    """Where reading of a file resumes: after the last row handed out.

    ``offset`` is, for text files, the byte offset in the object where reading resumes
    (the next row starts there; inside a JSON array, the separator after the last
    record does) and, for workbooks, the number of sheet rows already consumed.
    ``line`` is the (1-based) line or sheet row number at that offset. ``state`` is the
    JSON-serialisable format state a resumed reader needs (CSV delimiter and columns,
    JSON array or lines, ...); empty only at the very start of a file.
    """

    offset: int = 0
    line: int = 1
    state: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The position as plain JSON values, for a checkpoint."""
        return {"offset": self.offset, "line": self.line, "state": dict(self.state)}

    @classmethod
    def from_json(cls, saved: Mapping[str, Any]) -> ParsePosition:
        """A position saved by :meth:`to_json`."""
        return cls(int(saved["offset"]), int(saved["line"]), dict(saved.get("state") or {}))


class Cursor:
    """The position a format reader updates just before it hands out each row."""

    __slots__ = ("line", "offset", "state")

    def __init__(self, start: ParsePosition) -> None:
        self.offset = start.offset
        self.line = start.line
        self.state: Mapping[str, Any] = start.state

    def position(self) -> ParsePosition:
        return ParsePosition(self.offset, self.line, self.state)


def row_from_fields(fields: Mapping[str, Any], line: int) -> ParsedRow:
    """Validate one record given as field name -> raw value (names already lower-case)."""
    try:
        for name in REQUIRED_FIELDS:
            if fields.get(name) is None:
                raise InvalidValue(f"{name} is missing")
        threshold = fields.get("threshold")
        if isinstance(threshold, str) and not threshold.strip():
            threshold = None
        return InventoryRow(
            store=clean_store(fields["store"]),
            item=clean_name(fields["item"], "item"),
            count=clean_count(fields["count"], "count"),
            threshold=None if threshold is None else clean_count(threshold, "threshold"),
            line=line,
            ordering=clean_ordering(fields.get("lead_time_days"), fields.get("pack_size"), fields.get("supplier")),
            clears_threshold=threshold is None and "threshold" in fields,
        )
    except InvalidValue as error:
        return RowError(line=line, reason=str(error))


def header_names(cells: Sequence[object]) -> list[str]:
    """A header row's cells as column names: text, trimmed, lower-case (anything else names nothing)."""
    return [cell.strip().lower() if isinstance(cell, str) else "" for cell in cells]


def missing_fields(names: Sequence[str]) -> list[str]:
    present = set(names)
    return [name for name in REQUIRED_FIELDS if name not in present]


def header_columns(cells: Sequence[object], line: int) -> dict[str, int]:
    """The column index of each known field from a header row; rejects the file if the header is unusable.

    Linear in the header's width (a header of 40,000 repeated names costs no more than reading it).
    """
    if len(cells) > MAX_COLUMNS:
        raise FileRejected(f"the header has {len(cells):,} columns; at most {MAX_COLUMNS} are accepted", line)
    names = header_names(cells)
    missing = missing_fields(names)
    if missing:
        found = ", ".join(repr(str(cell).strip()[:40]) for cell in cells[:10] if cell is not None)
        raise FileRejected(
            f"no recognisable header: the first row must name the columns store, item and count "
            f"(missing {', '.join(missing)}; found {found})",
            line,
        )
    wanted = REQUIRED_FIELDS + OPTIONAL_FIELDS
    seen = Counter(name for name in names if name in wanted)
    repeated = sorted(name for name, times in seen.items() if times > 1)
    if repeated:
        raise FileRejected(f"the header names {', '.join(repeated)} more than once", line)
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in wanted:
            columns[name] = index
    return columns


def record_row(value: Any, line: int) -> ParsedRow:
    """A JSON record (any value) as a row: an object with the inventory fields, keys in any case."""
    if not isinstance(value, dict):
        return RowError(line, f"expected an object with store, item and count, got {type(value).__name__}")
    fields = {str(key).strip().lower(): raw for key, raw in value.items()}
    for name in ("store", "item"):
        text = fields.get(name)
        if isinstance(text, str) and not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: no store or item can be stored so
                return RowError(line, f"{name} is not Unicode text (a lone surrogate escape)")
    return row_from_fields(fields, line)
