"""Excel workbooks (.xlsx): the first worksheet's rows, read like a CSV file, after the zip is proven harmless.

A workbook is a zip of XML parts, so it is read whole: spooled (to disk past a few
megabytes), then checked before any XML is parsed:

- the central directory: at most :data:`MAX_ENTRIES` parts, no encrypted part, at most
  :data:`MAX_INFLATED_BYTES` in all once inflated, no part of over a mebibyte inflating
  more than :data:`MAX_RATIO` times (a zip bomb's signature);
- every XML part, inflated as a stream (never whole) with the bytes counted: no
  ``<!DOCTYPE`` (entity expansion, external entities), and in worksheets no comment or
  CDATA section and no single row over :data:`MAX_ROW_XML_BYTES` of XML (a row of
  millions of empty cells inflates from a few kilobytes, and the reader holds a row
  whole).

Only then does openpyxl (read-only mode, streaming) read the first worksheet, at most
:data:`MAX_SHEET_ROWS` rows and :data:`MAX_CELLS` cells, up to the header's width.
Anything wrong becomes a :class:`FileRejected` with a reason, in seconds.

The first row with content is the header, as for CSV; line numbers are the sheet's row
numbers. A cell is read as its text would be in a CSV file: text as it is, a whole
number (``12`` or ``12.0``) as ``12``; a date, a TRUE/FALSE or an error cell (``#N/A``)
in a column the parser reads makes that row an error with the reason. Cells to the right
of the header's last column are not read.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from inventory.models import RowError

from ingest.logic.records import (
    MAX_COLUMNS,
    Cursor,
    FileRejected,
    ParsedRow,
    header_columns,
    row_from_fields,
)

#: Largest workbook read (the upload grant's own cap).
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
#: Most parts a workbook's zip may hold.
MAX_ENTRIES = 1_000
#: Most bytes all parts may inflate to: about a million rows of a few columns.
MAX_INFLATED_BYTES = 512 * 1024 * 1024
#: Highest inflated/compressed ratio of a part over a mebibyte: real sheets stay far below.
MAX_RATIO = 200
#: Longest XML of one worksheet row.
MAX_ROW_XML_BYTES = 1024 * 1024
#: Most rows read from the sheet (Excel's own limit), and most cells.
MAX_SHEET_ROWS = 1_048_576
MAX_CELLS = 20_000_000
#: Workbooks up to this size stay in memory while read; larger ones go to a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024

_READ = 256 * 1024
_BIG_PART = 1024 * 1024


def workbook_rows(chunks: Iterable[bytes], cursor: Cursor) -> Iterator[ParsedRow]:
    """The rows of a workbook given as byte chunks (the whole object, its size already capped).

    Resumes after ``cursor.offset`` sheet rows when the cursor has a state.
    """
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        _spool(chunks, spool)
        with _open_zip(spool) as archive:
            check_archive(archive)
        spool.seek(0)
        yield from _sheet_rows(spool, cursor)


def _spool(chunks: Iterable[bytes], spool: IO[bytes]) -> None:
    written = 0
    for chunk in chunks:
        written += len(chunk)
        spool.write(chunk)
    if not written:
        raise FileRejected("the file is empty", 1)
    spool.seek(0)


def _open_zip(spool: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(spool)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise FileRejected(
            "not an Excel workbook: an .xlsx file is a zip archive (an old .xls workbook must be saved as .xlsx)", 0
        ) from error


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip that could cost more than its size promises; see the module docstring."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise FileRejected(f"the workbook has {len(entries):,} parts; at most {MAX_ENTRIES:,} are accepted", 0)
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise FileRejected("not an Excel workbook: the archive has no xl/workbook.xml", 0)
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRejected("the workbook is password-protected: save it without a password", 0)
        total += entry.file_size
        if total > MAX_INFLATED_BYTES:
            raise FileRejected(
                f"the workbook inflates to more than {MAX_INFLATED_BYTES // 1024**2:,} MiB: too large, or a zip bomb",
                0,
            )
        if entry.file_size > _BIG_PART and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise FileRejected(
                f"the workbook part {entry.filename[:80]} inflates {entry.file_size // max(entry.compress_size, 1):,} "
                f"times: a zip bomb, not a spreadsheet",
                0,
            )
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")):
            _check_part(archive, entry)


#: Markup a worksheet never needs, that would let XML hide or multiply what the checks count.
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_SHEET_MARKUP = re.compile(rb"<!DOCTYPE|<!ENTITY|<!--|<!\[CDATA\[", re.IGNORECASE)
#: The start or end of a worksheet row, with or without a namespace prefix (and the row's number, if given).
_ROW_TAG = re.compile(rb"</?(?:[A-Za-z_][\w.-]*:)?row[\s/>](?:(?:[^<>]*?\s)?r\s*=\s*[\"'](\d+))?")
_OVERLAP = 64  # bytes kept from the previous block, so a tag split between blocks is still seen


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Inflate one XML part as a stream, counting bytes and looking for markup that does not belong."""
    sheet = entry.filename.startswith("xl/worksheets/")
    forbidden = _SHEET_MARKUP if sheet else _DOCTYPE
    inflated = 0
    since_row = 0  # bytes since the last row tag (worksheets only)
    tail = b""
    try:
        with archive.open(entry) as part:
            while block := part.read(_READ):
                inflated += len(block)
                if inflated > entry.file_size:  # zipfile stops at the declared size; this is a second guard
                    raise FileRejected("the workbook's zip directory understates a part's size: refused", 0)
                window = tail + block
                if forbidden.search(window):
                    raise FileRejected(
                        f"the workbook part {entry.filename[:80]} holds XML markup a spreadsheet does not use "
                        "(a document type, entity, comment or CDATA section): refused",
                        0,
                    )
                if sheet:
                    last = None
                    for last in _ROW_TAG.finditer(window):
                        if last[1] and (len(last[1]) > 7 or int(last[1]) > MAX_SHEET_ROWS):
                            raise FileRejected(f"the sheet has more than {MAX_SHEET_ROWS:,} rows", 0)
                    since_row = len(window) - last.end() if last else since_row + len(block)
                    if since_row > MAX_ROW_XML_BYTES:
                        raise FileRejected(
                            f"a row of the worksheet {entry.filename[:80]} is over {MAX_ROW_XML_BYTES // 1024:,} KiB "
                            "of XML: refused",
                            0,
                        )
                tail = window[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as error:
        # BadZipFile covers a CRC that does not match; NotImplementedError an unknown compression.
        raise FileRejected(f"the workbook is damaged: {_describe(error)}", 0) from error


def _sheet_rows(spool: IO[bytes], cursor: Cursor) -> Iterator[ParsedRow]:
    """The first worksheet's rows, after ``cursor.offset`` sheet rows, as inventory rows."""
    # openpyxl is imported here: only workbooks pay for it.
    import openpyxl

    try:
        book = openpyxl.load_workbook(spool, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # a third-party reader on hostile input may raise anything
        raise FileRejected(f"unreadable workbook: {_describe(error)}", 0) from error
    try:
        if not book.worksheets:
            raise FileRejected("the workbook has no worksheet", 0)
        sheet = book.worksheets[0]
        # The sheet's own note of its size may be stale or false: read to the end, never past our caps.
        sheet.reset_dimensions()
        state = cursor.state
        if state:
            columns, width = state["columns"], state["width"]
            first = cursor.offset + 1
        else:
            header_row, columns, width = _header(sheet)
            state = {"format": "xlsx", "columns": columns, "width": width}
            cursor.offset, cursor.line, cursor.state = header_row, header_row + 1, state
            first = header_row + 1
        yield from _data_rows(sheet, first, columns, width, cursor)
    finally:
        book.close()


def _header(sheet: Any) -> tuple[int, dict[str, int], int]:
    """The header's row number, each known field's column, and the header's width."""
    for number, cells in _rows(sheet, 1, MAX_COLUMNS + 1):
        values = [_cell_value(cell) for cell in cells]
        while values and values[-1] in (None, ""):
            values.pop()
        if not values:
            continue
        if len(values) > MAX_COLUMNS:
            raise FileRejected(
                f"the header has more than {MAX_COLUMNS} columns; at most {MAX_COLUMNS} are accepted", number
            )
        names = [value if isinstance(value, str) else "" for value in values]
        return number, header_columns(names, number), len(values)
    raise FileRejected("the workbook's first sheet is empty", 1)


def _rows(sheet: Any, first: int, width: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, cells)`` from row ``first`` on, cells up to column ``width``, with the sheet caps applied."""
    cells_read = 0
    number = first - 1
    rows = sheet.iter_rows(min_row=first, max_col=width)
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as error:  # a third-party reader on hostile input may raise anything
            raise FileRejected(f"unreadable workbook at row {number + 1}: {_describe(error)}", number + 1) from error
        number += 1
        if number > MAX_SHEET_ROWS:
            raise FileRejected(f"the sheet has more than {MAX_SHEET_ROWS:,} rows", number)
        cells_read += len(cells)
        if cells_read > MAX_CELLS:
            raise FileRejected(f"the sheet has more than {MAX_CELLS:,} cells", number)
        yield number, cells


def _data_rows(sheet: Any, first: int, columns: Mapping[str, int], width: int, cursor: Cursor) -> Iterator[ParsedRow]:
    for number, cells in _rows(sheet, first, width):
        cursor.offset, cursor.line = number, number + 1
        fields: dict[str, Any] = {}
        problem = None
        for name, index in columns.items():
            cell = cells[index] if index < len(cells) else None
            text, problem = _cell_text(cell, name)
            if problem:
                break
            fields[name] = text
        if problem:
            yield RowError(number, problem)
            continue
        if not any(fields.values()) and all(_cell_value(cell) in (None, "") for cell in cells):
            continue  # an empty row
        yield row_from_fields(fields, number)


def _cell_value(cell: Any) -> Any:
    return getattr(cell, "value", None)


def _cell_text(cell: Any, field: str) -> tuple[str, str | None]:
    """A cell as the text a CSV file would hold, or the reason it cannot be one."""
    value = _cell_value(cell)
    kind = getattr(cell, "data_type", "n")
    if value is None:
        return "", None
    if kind == "e":
        return "", f"{field} is an Excel error cell ({str(value)[:20]})"
    if isinstance(value, bool) or kind == "b":
        return "", f"{field} is a TRUE/FALSE cell, not a whole number or text"
    if isinstance(value, datetime | date | time | timedelta) or kind == "d":
        return "", f"{field} is a date or time cell ({str(value)[:30]}), not a whole number or text"
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)), None
        return repr(value), None
    return str(value), None


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
