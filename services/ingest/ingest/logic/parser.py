"""Streaming parser for inventory files: CSV, a JSON array of objects, JSON Lines, or an Excel workbook.

The parser reads the file chunk by chunk and yields one result per row, so memory
stays flat whatever the file's size. Each result is either an
:class:`~inventory.models.InventoryRow` or a :class:`~inventory.models.RowError`
carrying the row's line number and the reason it was rejected. A problem that stops
the whole file (binary content, no recognisable header, nothing in it, broken JSON
structure, a file over the size cap) is raised by the iteration as
:class:`FileRejected`; rows already yielded stay valid. Nothing else escapes: hostile
content (a count of thousands of digits, JSON nested a hundred thousand deep, a line of
gigabytes) ends as a row error or a :class:`FileRejected`, in time and memory bounded by
the caps below, never by the file.

**Positions.** :func:`open_inventory` returns a :class:`RowStream` whose ``position`` says
where reading resumes after the last row it yielded. Reopening the object from that
byte offset (``Range: bytes=<offset>-``) and passing the chunks with ``start=`` yields
exactly the rows after it, with the same line numbers, as one pass would.

**Lines.** A line ends at LF, CRLF or a lone CR (old Mac files), in every format. A line
longer than :data:`MAX_LINE_BYTES` is not buffered: its bytes are dropped as they
stream past and it becomes a row error (in a JSON array, where it cannot be skipped, a
record over the cap rejects the file). Runs of blank lines are counted and skipped a
chunk at a time, so a file of millions of them reads as fast as its bytes arrive.

CSV: a header row names ``store``, ``item`` and ``count`` (any case, any order,
surrounding spaces ignored) and optionally ``threshold`` and the ordering columns ``lead_time_days``,
``pack_size`` and ``supplier`` (see :func:`inventory.models.clean_ordering`); other columns are ignored.
The delimiter (comma, semicolon or tab) is the one that makes the header name those
columns; an Excel ``sep=;`` first line is honoured. A UTF-8 byte order mark, CRLF line
ends, quoted fields and blank lines are accepted. Text is UTF-8; a line that is not
UTF-8 is read as Windows-1252 (what Excel writes for "CSV" on Western-European
Windows), unless the file starts with a UTF-8 byte order mark, which declares it
UTF-8: then such a line is a row error. UTF-16 files are refused with a reason.

Excel (.xlsx): the first worksheet, header row as for CSV, line numbers are sheet rows;
see :mod:`ingest.logic.xlsx` for how a workbook is checked before it is read.

JSON: objects with the same keys (any case), UTF-8. ``count`` and ``threshold`` may be
numbers or the text of whole numbers; a ``threshold`` of ``null`` or an empty cell
means "use the default", and so does an empty ``lead_time_days``, ``pack_size`` or ``supplier``
(an item keeps what an earlier upload gave it). A value that is given but invalid rejects the
row with its line and reason, as a bad ``threshold`` does.
"""

from __future__ import annotations

import codecs
import csv
import enum
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from inventory.models import RowError

from ingest.logic.records import (
    MAX_COLUMNS,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    Cursor,
    FileRejected,
    ParsedRow,
    ParsePosition,
    header_columns,
    header_names,
    missing_fields,
    record_row,
    row_from_fields,
)
from ingest.logic.xlsx import MAX_WORKBOOK_BYTES, workbook_rows

__all__ = [
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_TEXT_BYTES",
    "MAX_WORKBOOK_BYTES",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "FileFormat",
    "FileRejected",
    "ParsePosition",
    "ParsedRow",
    "RowStream",
    "format_for_key",
    "open_inventory",
    "parse_inventory",
    "row_from_fields",
]

#: Largest text file read: refused up front from its size, and counted while reading.
MAX_TEXT_BYTES = 1024**3
#: Longest line (or CSV record over several lines, or JSON array record) read.
MAX_LINE_BYTES = 1024 * 1024
#: CSV delimiters tried on the header row, in this order.
DELIMITERS = (",", ";", "\t")

_WINDOWS_1252 = "cp1252"
_BINARY = "the file is binary, not UTF-8 text: it holds NUL bytes (an image, a zip or another program's format?)"


class FileFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"  # an array of objects, or JSON Lines; told apart by the first character
    XLSX = "xlsx"  # an Excel workbook: its first worksheet


#: File name endings the parser accepts (in any case), and how each is read.
FORMATS_BY_SUFFIX = {
    ".csv": FileFormat.CSV,
    ".json": FileFormat.JSON,
    ".jsonl": FileFormat.JSON,
    ".xlsx": FileFormat.XLSX,
}


def format_for_key(key: str) -> FileFormat | None:
    """The format of an object from its key's ending, in any case, or ``None`` if it is not an inventory file."""
    lowered = key.lower()
    return next((fmt for suffix, fmt in FORMATS_BY_SUFFIX.items() if lowered.endswith(suffix)), None)


class RowStream(Iterator[ParsedRow]):
    """The rows of one file, and where reading would resume after the last one yielded."""

    def __init__(self, rows: Iterator[ParsedRow], cursor: Cursor) -> None:
        self._rows = rows
        self._cursor = cursor

    def __iter__(self) -> RowStream:
        return self

    def __next__(self) -> ParsedRow:
        try:
            return next(self._rows)
        except (FileRejected, StopIteration):
            raise
        except RecursionError as error:
            # The readers turn the cases they know into row errors; this net keeps any other
            # decode failure a file error with a reason, never a crash of the function.
            raise FileRejected("the file is nested too deeply to read", self._cursor.line) from error
        except (ValueError, csv.Error, OverflowError) as error:
            raise FileRejected(f"unreadable file: {str(error)[:200]}", self._cursor.line) from error

    @property
    def position(self) -> ParsePosition:
        """Where reading resumes after the last row yielded (the start, before any row)."""
        return self._cursor.position()


def open_inventory(
    chunks: Iterable[bytes],
    file_format: FileFormat,
    *,
    start: ParsePosition | None = None,
    size: int | None = None,
    max_bytes: int | None = None,
) -> RowStream:
    """Stream the rows of an inventory file given as byte chunks; see the module docstring.

    ``start`` resumes at a :attr:`RowStream.position` of an earlier pass: ``chunks`` must then
    be the object's bytes from ``start.offset`` on (for a workbook, the whole object:
    ``offset`` counts sheet rows, which are skipped). ``size`` is the whole object's size
    (ContentLength); a file over ``max_bytes`` (default :data:`MAX_TEXT_BYTES`, for a
    workbook :data:`MAX_WORKBOOK_BYTES`) is refused before a byte is parsed, and reading
    stops there if the stream turns out longer. Every problem with the file is raised by
    the iteration, as :class:`FileRejected`; a position of another format is a
    ``ValueError`` at once (a caller's mistake, not the file's).
    """
    start = start or ParsePosition()
    if start.state and start.state.get("format") != file_format.value:
        raise ValueError(f"a {start.state.get('format')} position cannot resume a {file_format.value} file")
    cursor = Cursor(start)
    rows: Iterator[ParsedRow]
    if file_format is FileFormat.XLSX:
        limit = MAX_WORKBOOK_BYTES if max_bytes is None else max_bytes
        rows = workbook_rows(_capped(iter(chunks), 0, size, limit, cursor), cursor)
    else:
        limit = MAX_TEXT_BYTES if max_bytes is None else max_bytes
        source = _capped(iter(chunks), start.offset, size, limit, cursor)
        rows = _csv_rows(source, cursor) if file_format is FileFormat.CSV else _json_rows(source, cursor)
    return RowStream(rows, cursor)


def parse_inventory(chunks: Iterable[bytes], file_format: FileFormat) -> Iterator[ParsedRow]:
    """Parse a whole inventory file given as an iterable of byte chunks; see :func:`open_inventory`."""
    return open_inventory(chunks, file_format)


# -- bytes ------------------------------------------------------------------------------


def describe_bytes(amount: int) -> str:
    for unit, name in ((1024**3, "GiB"), (1024**2, "MiB"), (1000**3, "GB"), (1000**2, "MB"), (1024, "KiB")):
        if amount >= unit and amount % unit == 0:
            return f"{amount // unit} {name}"
    return f"{amount:,} bytes"


def _capped(chunks: Iterator[bytes], offset: int, size: int | None, limit: int, cursor: Cursor) -> Iterator[bytes]:
    """The chunks, refusing a file whose size (as given, or as counted) is over ``limit``."""
    if size is not None and size > limit:
        raise FileRejected(f"the file is {size:,} bytes; files up to {describe_bytes(limit)} are accepted", 0)
    for chunk in chunks:
        offset += len(chunk)
        if offset > limit:
            raise FileRejected(
                f"the file is larger than {describe_bytes(limit)}; the rest of it was not read", cursor.line
            )
        if chunk:
            yield chunk


def _prologue(chunks: Iterator[bytes], offset: int) -> tuple[Iterator[bytes], int, bool]:
    """At the start of a file: drop a UTF-8 byte order mark (saying whether there was one), refuse UTF-16 and binary."""
    if offset:
        return chunks, offset, False
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= len(codecs.BOM_UTF8):
            break
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise FileRejected("the file is UTF-16 text, not UTF-8: save it as CSV UTF-8 (or JSON in UTF-8)", 1)
    if b"\x00" in head:  # before any line is read as Windows-1252 text: binary files fail as binary
        raise FileRejected(_BINARY, 1)
    if head.startswith(codecs.BOM_UTF8):
        return itertools.chain([head[len(codecs.BOM_UTF8) :]], chunks), len(codecs.BOM_UTF8), True
    return itertools.chain([head], chunks), 0, False


class _LineProblem(Exception):
    """One line cannot be read (too long, undecodable); the lines after it can."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _Dropped:
    """Stands for a line longer than the cap, whose bytes were dropped as they streamed past."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


class _Blanks:
    """Two or more blank lines in a row, kept as one part: a file of millions of them costs one
    slice per chunk, not a Python step per line."""

    __slots__ = ("lines", "text")

    def __init__(self, text: bytes) -> None:
        self.text = text
        self.lines = text.count(b"\n") + text.count(b"\r") - text.count(b"\r\n")


#: Line-end bytes that end two lines or more (any run of them but a lone CRLF).
_BLANK_RUN = re.compile(rb"[\r\n]{3,}|\n\n|\r\r|\n\r")


class _LineSource:
    """Physical lines of text, as ``str`` with their line ends, numbering each and tracking byte offsets.

    A line ends at LF, CRLF or a lone CR. ``number`` is the last line returned, ``end`` the
    byte offset just after it, ``record_line`` the first line of the current record. Blank
    lines where a record would start are skipped (no reader makes a row of them) and counted;
    inside a record (a quoted CSV field) they are returned as its text, several in one string.
    Iteration raises :class:`_LineProblem` for a line that cannot be read and carries on with
    the next (so it is a class, not a generator), and :class:`FileRejected` for NUL bytes. At
    most about ``MAX_LINE_BYTES`` plus a chunk is held at once.
    """

    def __init__(self, chunks: Iterator[bytes], offset: int, line: int, *, utf8_only: bool) -> None:
        self._chunks = chunks
        self._utf8_only = utf8_only
        self._parts: list[bytes | _Dropped | _Blanks] = []
        self._index = 0
        self._carry = b""  # the start of a line whose end has not arrived yet
        self._dropping = 0  # bytes of an over-long line dropped so far (0: not inside one)
        self._dropped_cr = False  # the over-long line ended with CR: an LF right after belongs to it
        self._record_start = offset
        self.end = offset
        self.number = line - 1
        self.record_line = line

    def __iter__(self) -> _LineSource:
        return self

    def begin_record(self) -> None:
        """A new record starts at the next line: the record length cap counts from here."""
        self._record_start = self.end
        self.record_line = self.number + 1

    def __next__(self) -> str:
        while True:
            if self._index >= len(self._parts) and not self._refill():
                raise StopIteration
            part = self._parts[self._index]
            self._index += 1
            if isinstance(part, bytes):
                break
            if isinstance(part, _Dropped):
                self.number += 1
                self.end += part.size
                raise _LineProblem(
                    self.number, f"the line is longer than {describe_bytes(MAX_LINE_BYTES)}; it was not read"
                )
            starts_record = self.end == self._record_start
            self.number += part.lines
            self.end += len(part.text)
            if starts_record:  # blank lines where a record would start: no record, and not its start
                self.begin_record()
                continue
            if self.end - self._record_start > MAX_LINE_BYTES:
                raise _LineProblem(
                    self.number, f"the row is longer than {describe_bytes(MAX_LINE_BYTES)}; it was not read"
                )
            return part.text.decode("ascii")
        self.number += 1
        self.end += len(part)
        if self.end - self._record_start > MAX_LINE_BYTES:
            raise _LineProblem(self.number, f"the row is longer than {describe_bytes(MAX_LINE_BYTES)}; it was not read")
        try:
            text = part.decode()
        except UnicodeDecodeError:
            if self._utf8_only:
                raise _LineProblem(self.number, "the line is not UTF-8 text") from None
            try:
                text = part.decode(_WINDOWS_1252)
            except UnicodeDecodeError:
                raise _LineProblem(self.number, "the line is neither UTF-8 nor Windows-1252 text") from None
        if "\x00" in text:
            raise FileRejected(_BINARY, self.number)
        return text

    def _refill(self) -> bool:
        self._parts, self._index = [], 0
        for received in self._chunks:
            chunk = self._drop(received) if self._dropping else received
            if not chunk:
                if self._parts:
                    return True
                continue
            self._split(self._carry + chunk if self._carry else chunk)
            if len(self._carry) > MAX_LINE_BYTES:
                self._dropping, self._dropped_cr = len(self._carry), self._carry.endswith(b"\r")
                self._carry = b""
            if self._parts:
                return True
        if self._dropping:
            self._parts.append(_Dropped(self._dropping))
            self._dropping = 0
        if self._carry:
            self._parts.append(self._carry)
            self._carry = b""
        return bool(self._parts)

    def _split(self, data: bytes) -> None:
        """Add the complete lines of ``data`` (which starts a line) to the parts; keep the rest as the carry.

        A last part without its line end is the start of a line; one ending in CR may be half of
        a CRLF split between chunks. Either waits for the next chunk.
        """
        done = 0
        # Most chunks have no blank line: a substring search says so faster than the pattern.
        runs = _BLANK_RUN.finditer(data) if b"\n\n" in data or b"\r\r" in data or b"\n\r" in data else ()
        for run in runs:
            start, stop = run.span()
            if start:  # the run's first line end ends the line before it; the rest are blank lines
                start += 2 if data.startswith(b"\r\n", start) else 1
                self._lines(data[done:start].splitlines(keepends=True), start - done)
            if stop == len(data) and data.endswith(b"\r"):
                stop -= 1
            if stop > start:
                self._parts.append(_Blanks(data[start:stop]))
            done = stop
        rest = data[done:] if done else data
        if not rest:
            self._carry = b""
            return
        lines = rest.splitlines(keepends=True)
        self._carry = b"" if lines[-1].endswith(b"\n") else lines.pop()
        self._lines(lines, len(rest))

    def _lines(self, lines: list[bytes], size: int) -> None:
        """Add complete lines that came from ``size`` bytes, any of them over the cap as dropped."""
        if size > MAX_LINE_BYTES:
            self._parts.extend(_Dropped(len(part)) if len(part) > MAX_LINE_BYTES else part for part in lines)
        else:
            self._parts.extend(lines)

    def _drop(self, chunk: bytes) -> bytes:
        """Drop the rest of an over-long line from ``chunk``; return what follows it."""
        if self._dropped_cr:
            ended = 1 if chunk.startswith(b"\n") else 0
            self._parts.append(_Dropped(self._dropping + ended))
            self._dropping, self._dropped_cr = 0, False
            return chunk[ended:]
        found = _LINE_END.search(chunk)
        if found is None:
            self._dropping += len(chunk)
            return b""
        end = found.end()
        if chunk[end - 1 : end] == b"\r" and end == len(chunk):
            self._dropping += end
            self._dropped_cr = True
            return b""
        if chunk[end - 1 : end + 1] == b"\r\n":
            end += 1
        self._parts.append(_Dropped(self._dropping + end))
        self._dropping = 0
        return chunk[end:]


_LINE_END = re.compile(rb"[\r\n]")


# -- CSV --------------------------------------------------------------------------------


def _csv_rows(chunks: Iterator[bytes], cursor: Cursor) -> Iterator[ParsedRow]:
    state = cursor.state
    if state:
        lines = _LineSource(chunks, cursor.offset, cursor.line, utf8_only=bool(state["utf8_only"]))
    else:
        chunks, offset, bom = _prologue(chunks, cursor.offset)
        lines = _LineSource(chunks, offset, cursor.line, utf8_only=bom)
        delimiter, columns, width = _csv_header(lines)
        state = {"format": "csv", "delimiter": delimiter, "columns": columns, "width": width, "utf8_only": bom}
        cursor.offset, cursor.line, cursor.state = lines.end, lines.number + 1, state
    columns, width = state["columns"], state["width"]
    reader = csv.reader(lines, delimiter=state["delimiter"], strict=False)
    while True:
        lines.begin_record()
        try:
            record = next(reader)
        except StopIteration:
            return
        except _LineProblem as problem:
            cursor.offset, cursor.line = lines.end, lines.number + 1
            yield RowError(problem.line, problem.reason)
            continue
        except csv.Error as error:
            cursor.offset, cursor.line = lines.end, lines.number + 1
            reason = str(error)
            if "field limit" in reason:
                reason = f"a field is longer than {csv.field_size_limit():,} characters (a quote that never closes?)"
            yield RowError(lines.record_line, f"unreadable CSV row: {reason}")
            continue
        cursor.offset, cursor.line = lines.end, lines.number + 1
        if not any(cell.strip() for cell in record):
            continue  # a blank line, or one of empty cells
        line = lines.record_line
        if len(record) > width:
            yield RowError(line, f"the row has {len(record)} fields; the header has {width}")
            continue
        yield row_from_fields(
            {name: (record[index] if index < len(record) else "") for name, index in columns.items()}, line
        )


def _csv_header(lines: _LineSource) -> tuple[str, dict[str, int], int]:
    """Read up to the header row; return the delimiter, each known field's column, and the header's width."""
    hinted = ""
    while True:
        lines.begin_record()
        try:
            text = next(lines)
        except StopIteration:
            raise FileRejected("the file is empty", 1) from None
        except _LineProblem as problem:
            raise FileRejected(f"the header row cannot be read: {problem.reason}", problem.line) from None
        content = text.strip()
        if not content.strip(",;"):
            continue  # a blank line, or one of empty cells
        bare = text.rstrip("\r\n")
        if not hinted and len(bare) == 5 and bare[:4].lower() == "sep=" and bare[4] in DELIMITERS:
            hinted = bare[4]  # Excel's own note of the delimiter
            continue
        break
    candidates = (hinted,) if hinted else DELIMITERS
    best: list[str] = []
    best_found = -1
    for delimiter in candidates:
        try:
            cells = next(csv.reader([text], delimiter=delimiter, strict=False), [])
        except csv.Error:
            # Split at another delimiter, a wide header is one field over csv's size limit: that
            # delimiter is not the file's. The reason comes from the others (the column cap, say).
            continue
        found = len(REQUIRED_FIELDS) - len(missing_fields(header_names(cells)))
        if found == len(REQUIRED_FIELDS):
            return delimiter, header_columns(cells, lines.number), len(cells)
        if found > best_found or (found == best_found and len(cells) > len(best)):
            best, best_found = cells, found
    if not best:
        raise FileRejected(
            f"no recognisable header: the first row is one field of over {csv.field_size_limit():,} characters",
            lines.number,
        )
    header_columns(best, lines.number)  # raises: too many columns, or which names are missing
    raise AssertionError("unreachable: a header without the required names was accepted")


# -- JSON -------------------------------------------------------------------------------


def _json_int(text: str) -> int | str:
    # Python refuses to convert more than 4,300 digits (and the time grows with the square of
    # the length); longer than any count anyway, the text goes on to validation as text.
    return int(text) if len(text) <= 20 else text


_DECODER = json.JSONDecoder(parse_int=_json_int)
_SPACE = re.compile(r"[ \t\r\n]*")
_SPACE_BYTES = b" \t\r\n"


def _json_rows(chunks: Iterator[bytes], cursor: Cursor) -> Iterator[ParsedRow]:
    state = cursor.state
    if not state:
        chunks, offset, _ = _prologue(chunks, cursor.offset)
        first, chunks, offset, line = _first_nonspace(chunks, offset, cursor.line)
        if first == b"":
            raise FileRejected("the file is empty", 1)
        if first == b"[":
            state = {"format": "json", "layout": "array"}
        elif first == b"{":
            state = {"format": "json", "layout": "lines"}
        else:
            raise FileRejected(
                "not inventory JSON: expected an array of objects or one object per line (JSON Lines)", line
            )
        fresh = True
    else:
        offset, line, fresh = cursor.offset, cursor.line, False
    if state["layout"] == "array":
        yield from _json_array(_JsonText(chunks, offset, line), cursor, state, fresh)
    else:
        yield from _json_lines(_LineSource(chunks, offset, line, utf8_only=True), cursor, state)


def _first_nonspace(chunks: Iterator[bytes], offset: int, line: int) -> tuple[bytes, Iterator[bytes], int, int]:
    """Skip leading whitespace (kept out of memory); the first other byte, the chunks from it, its offset and line."""
    after_cr = False
    for chunk in chunks:
        rest = chunk.lstrip(_SPACE_BYTES)
        space = chunk[: len(chunk) - len(rest)]
        offset += len(space)
        line += space.count(b"\n") + space.count(b"\r") - space.count(b"\r\n") - (after_cr and space[:1] == b"\n")
        if space:
            after_cr = space.endswith(b"\r")
        if rest:
            return rest[:1], itertools.chain([rest], chunks), offset, line
    return b"", chunks, offset, line


def _json_lines(lines: _LineSource, cursor: Cursor, state: Mapping[str, Any]) -> Iterator[ParsedRow]:
    # The position takes the layout with the first row: a checkpoint before it restarts the file.
    while True:
        lines.begin_record()
        try:
            text = next(lines)
        except StopIteration:
            return
        except _LineProblem as problem:
            cursor.offset, cursor.line, cursor.state = lines.end, lines.number + 1, state
            yield RowError(problem.line, problem.reason)
            continue
        cursor.offset, cursor.line, cursor.state = lines.end, lines.number + 1, state
        if not text.strip():
            continue
        try:
            value = _DECODER.decode(text)
        except json.JSONDecodeError as error:
            yield RowError(lines.number, f"invalid JSON: {error.msg}")
        except RecursionError:
            yield RowError(lines.number, "invalid JSON: nested too deeply")
        except ValueError as error:
            yield RowError(lines.number, f"invalid JSON: {str(error)[:200]}")
        else:
            yield record_row(value, lines.number)


def _json_array(reader: _JsonText, cursor: Cursor, state: Mapping[str, Any], fresh: bool) -> Iterator[ParsedRow]:
    expect_value = fresh
    if fresh:
        reader.take()  # the opening bracket
        if reader.peek() == "]":
            reader.take()
            _json_array_end(reader)
            return
    while True:
        if not expect_value:
            separator = reader.take()
            if separator == "]":
                break
            if separator == "":
                raise FileRejected("invalid JSON: the array is not closed", reader.line)
            if separator != ",":
                raise FileRejected("invalid JSON: expected ',' or ']' after a record", reader.line)
        if reader.peek() == "":
            raise FileRejected("invalid JSON: the array is not closed", reader.line)
        line = reader.line
        value = reader.value()
        cursor.offset, cursor.line, cursor.state = reader.offset, reader.line, state
        yield record_row(value, line)
        expect_value = False
    _json_array_end(reader)


def _json_array_end(reader: _JsonText) -> None:
    if reader.peek() != "":
        raise FileRejected("invalid JSON: text after the closing bracket", reader.line)


class _JsonText:
    """A text buffer over the stream that tracks the byte offset and line of what it has consumed."""

    def __init__(self, chunks: Iterator[bytes], offset: int, line: int) -> None:
        self._chunks = chunks
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._pos = 0
        self._after_cr = False
        self.offset = offset
        self.line = line

    def _fill(self) -> bool:
        for chunk in self._chunks:
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise FileRejected(
                    "the file is not UTF-8 text (binary content or another encoding)", self.line
                ) from error
            if text:
                self._append(text)
                return True
        try:
            tail = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise FileRejected("the file ends in the middle of a UTF-8 character", self.line) from error
        if tail:
            self._append(tail)
            return True
        return False

    def _append(self, text: str) -> None:
        if "\x00" in text:
            raise FileRejected(_BINARY, self.line)
        self._buffer = self._buffer[self._pos :] + text
        self._pos = 0

    def _consume(self, end: int) -> None:
        text = self._buffer[self._pos : end]
        self._pos = end
        if not text:
            return
        self.offset += len(text) if text.isascii() else len(text.encode())
        self.line += text.count("\n")
        if "\r" in text or self._after_cr:
            self.line += text.count("\r") - text.count("\r\n") - (self._after_cr and text[0] == "\n")
        self._after_cr = text[-1] == "\r"

    def peek(self) -> str:
        """Skip whitespace and return the next character, or '' at the end."""
        while True:
            if self._pos < len(self._buffer) and self._buffer[self._pos] not in " \t\r\n":
                return self._buffer[self._pos]
            match = _SPACE.match(self._buffer, self._pos)
            self._consume(match.end() if match else self._pos)
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def take(self) -> str:
        char = self.peek()  # never a line end: peek skips those
        if char:
            self._pos += 1
            self.offset += 1 if char.isascii() else len(char.encode())
            self._after_cr = False
        return char

    def value(self) -> Any:
        """Decode the JSON value that starts here, reading more of the stream as needed."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                if len(self._buffer) - self._pos > MAX_LINE_BYTES:
                    raise FileRejected(
                        f"a record is longer than {describe_bytes(MAX_LINE_BYTES)} (or is not valid JSON)", self.line
                    ) from error
                if not self._fill():
                    raise FileRejected(f"invalid JSON: {error.msg}", self.line) from error
                continue
            except RecursionError as error:
                raise FileRejected("invalid JSON: nested too deeply", self.line) from error
            except ValueError as error:
                raise FileRejected(f"invalid JSON: {str(error)[:200]}", self.line) from error
            if end == len(self._buffer) and self._fill():
                continue  # a number may go on in the next chunk: decode again with more text
            self._consume(end)
            return value
