"""Streaming parser for inventory files: CSV, a JSON array of objects, or JSON Lines.

The parser reads the file chunk by chunk and yields one result per row, so memory
stays flat whatever the file's size. Each result is either an
:class:`~inventory.models.InventoryRow` or a :class:`~inventory.models.RowError`
carrying the row's line number and the reason it was rejected. A problem that stops
the whole file (binary content, no recognisable header, nothing in it, broken JSON
structure) raises :class:`FileRejected` instead; rows already yielded stay valid.

CSV: a header row names ``store``, ``item`` and ``count`` (any case, any order,
surrounding spaces ignored) and optionally ``threshold``; other columns are ignored.
A UTF-8 byte order mark, CRLF line ends, quoted fields and blank lines are accepted.

JSON: objects with the same keys (any case). ``count`` and ``threshold`` may be
numbers or the text of whole numbers; a ``threshold`` of ``null`` or an empty cell
means "use the default".
"""

from __future__ import annotations

import codecs
import csv
import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from inventory.models import InvalidValue, InventoryRow, RowError, clean_count, clean_name

REQUIRED_FIELDS = ("store", "item", "count")
OPTIONAL_FIELDS = ("threshold",)
#: Read size from the object stream.
CHUNK_SIZE = 64 * 1024
#: Largest single JSON record we buffer before calling the file broken.
MAX_RECORD_CHARS = 1024 * 1024


class FileRejected(Exception):
    """The file cannot be read as inventory from this point on."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class FileFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"  # an array of objects, or JSON Lines; told apart by the first character


#: File name endings the parser accepts, and how each is read.
FORMATS_BY_SUFFIX = {".csv": FileFormat.CSV, ".json": FileFormat.JSON, ".jsonl": FileFormat.JSON}

ParsedRow = InventoryRow | RowError


def format_for_key(key: str) -> FileFormat | None:
    """The format of an object from its key's ending, or ``None`` if it is not an inventory file."""
    lowered = key.lower()
    return next((fmt for suffix, fmt in FORMATS_BY_SUFFIX.items() if lowered.endswith(suffix)), None)


def parse_inventory(chunks: Iterable[bytes], file_format: FileFormat) -> Iterator[ParsedRow]:
    """Parse an inventory file given as an iterable of byte chunks; see the module docstring."""
    text = _decode(chunks)
    if file_format is FileFormat.CSV:
        return _parse_csv(text)
    return _parse_json(text)


# -- decoding ---------------------------------------------------------------------------


def _decode(chunks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 text from byte chunks (a leading BOM dropped), refusing binary content."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    line = 1
    for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise FileRejected("the file is not UTF-8 text (binary content or another encoding)", line) from error
        if "\x00" in text:
            raise FileRejected("the file contains NUL bytes: it looks binary, not text", line)
        line += text.count("\n")
        if text:
            yield text
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise FileRejected("the file ends in the middle of a UTF-8 character", line) from error
    if tail:
        yield tail


def _lines(pieces: Iterator[str]) -> Iterator[str]:
    """Split text pieces into lines, each keeping its line end, for :mod:`csv`."""
    carry = ""
    for piece in pieces:
        parts = (carry + piece).split("\n")
        carry = parts.pop()
        for part in parts:
            yield part + "\n"
    if carry:
        yield carry


# -- rows -------------------------------------------------------------------------------


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
            store=clean_name(fields["store"], "store"),
            item=clean_name(fields["item"], "item"),
            count=clean_count(fields["count"], "count"),
            threshold=None if threshold is None else clean_count(threshold, "threshold"),
            line=line,
        )
    except InvalidValue as error:
        return RowError(line=line, reason=str(error))


# -- CSV --------------------------------------------------------------------------------


def _parse_csv(text: Iterator[str]) -> Iterator[ParsedRow]:
    reader = csv.reader(_lines(text), strict=False)
    last_line = 0
    columns: dict[str, int] | None = None
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # a blank line, or one of empty cells
            if columns is None:
                columns = _header_columns(record, line)
                width = len(record)
                continue
            if len(record) > width:
                yield RowError(line, f"the row has {len(record)} fields; the header has {width}")
                continue
            yield row_from_fields(
                {name: (record[index] if index < len(record) else "") for name, index in columns.items()}, line
            )
    except csv.Error as error:
        raise FileRejected(f"unreadable CSV: {error}", last_line + 1) from error
    if columns is None:
        raise FileRejected("the file is empty", 1)


def _header_columns(record: list[str], line: int) -> dict[str, int]:
    names = [cell.strip().lower() for cell in record]
    missing = [name for name in REQUIRED_FIELDS if name not in names]
    if missing:
        found = ", ".join(repr(cell.strip()[:40]) for cell in record[:10])
        raise FileRejected(
            f"no recognisable header: the first row must name the columns store, item and count "
            f"(missing {', '.join(missing)}; found {found})",
            line,
        )
    wanted = REQUIRED_FIELDS + OPTIONAL_FIELDS
    repeated = sorted({name for name in names if name in wanted and names.count(name) > 1})
    if repeated:
        raise FileRejected(f"the header names {', '.join(repeated)} more than once", line)
    return {name: names.index(name) for name in wanted if name in names}


# -- JSON -------------------------------------------------------------------------------


def _parse_json(text: Iterator[str]) -> Iterator[ParsedRow]:
    reader = _JsonReader(text)
    first = reader.peek_nonspace()
    if first == "":
        raise FileRejected("the file is empty", 1)
    if first == "[":
        yield from _parse_json_array(reader)
    elif first == "{":
        yield from _parse_json_lines(reader)
    else:
        raise FileRejected(
            "not inventory JSON: expected an array of objects or one object per line (JSON Lines)", reader.line
        )


def _record_row(value: Any, line: int) -> ParsedRow:
    if not isinstance(value, dict):
        return RowError(line, f"expected an object with store, item and count, got {type(value).__name__}")
    return row_from_fields({str(key).strip().lower(): field for key, field in value.items()}, line)


class _JsonReader:
    """A growing text buffer over the stream that tracks line numbers as it is consumed."""

    _decoder = json.JSONDecoder()

    def __init__(self, text: Iterator[str]) -> None:
        self._text = text
        self._buffer = ""
        self._pos = 0
        self.line = 1
        self.exhausted = False

    def _fill(self) -> bool:
        piece = next(self._text, None)
        if piece is None:
            self.exhausted = True
            return False
        self._buffer = self._buffer[self._pos :] + piece
        self._pos = 0
        return True

    def peek_nonspace(self) -> str:
        """Skip whitespace (counting lines) and return the next character, or '' at the end."""
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in " \t\r\n":
                if self._buffer[self._pos] == "\n":
                    self.line += 1
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def take(self) -> str:
        char = self.peek_nonspace()
        self._pos += 1
        return char

    def value(self) -> Any:
        """Decode the JSON value that starts here, reading more of the stream as needed."""
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                if self.exhausted or len(self._buffer) - self._pos > MAX_RECORD_CHARS or not self._fill():
                    raise FileRejected(f"invalid JSON: {error.msg}", self.line) from error
                continue
            if end == len(self._buffer) and not self.exhausted and self._fill():
                continue  # a number may go on in the next chunk: decode again with more text
            self.line += self._buffer.count("\n", self._pos, end)
            self._pos = end
            return value

    def rest_of_line(self) -> str:
        """Consume and return the text up to the end of the current line."""
        while True:
            end = self._buffer.find("\n", self._pos)
            if end >= 0 or not self._fill():
                break
        end = len(self._buffer) if end < 0 else end
        text, self._pos = self._buffer[self._pos : end], end
        return text


def _parse_json_array(reader: _JsonReader) -> Iterator[ParsedRow]:
    reader.take()  # the opening bracket
    if reader.peek_nonspace() == "]":
        reader.take()
    else:
        while True:
            if reader.peek_nonspace() == "":
                raise FileRejected("invalid JSON: the array is not closed", reader.line)
            line = reader.line
            yield _record_row(reader.value(), line)
            separator = reader.take()
            if separator == "]":
                break
            if separator == "":
                raise FileRejected("invalid JSON: the array is not closed", reader.line)
            if separator != ",":
                raise FileRejected("invalid JSON: expected ',' or ']' after a record", reader.line)
    if reader.peek_nonspace() != "":
        raise FileRejected("invalid JSON: text after the closing bracket", reader.line)


def _parse_json_lines(reader: _JsonReader) -> Iterator[ParsedRow]:
    while reader.peek_nonspace() != "":
        line = reader.line
        text = reader.rest_of_line()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            yield RowError(line, f"invalid JSON: {error.msg}")
            continue
        yield _record_row(value, line)
