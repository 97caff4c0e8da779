"""Excel workbooks (.xlsx): the first worksheet's rows, read like a CSV file, after the zip is proven harmless.

The reader is python-calamine (Rust), chosen by measurement in ``make bench``: about
twenty times openpyxl's read-only mode. It holds the sheet in memory as a dense grid
spanning the outermost cells, and a failed allocation aborts the process (no exception
to catch): a workbook of 1.5 KB with cells in A1 and XFD1048576 would ask for 512 GiB.
So nothing reaches it before the workbook is checked, streaming, in bounded memory:

- the zip's central directory: at most :data:`MAX_ENTRIES` parts, none encrypted, at
  most :data:`MAX_INFLATED_BYTES` in all once inflated (the shared strings, held whole,
  at most :data:`MAX_SHARED_STRINGS_BYTES`), and no part of over a mebibyte inflating
  more than :data:`MAX_RATIO` times (a zip bomb's signature);
- every XML part, inflated as a stream and counted (zipfile stops at the size the
  directory states and checks the CRC, so a directory that lies is caught too): no
  ``<!DOCTYPE`` or ``<!ENTITY`` (entity expansion); in worksheets no comment or CDATA;
- every worksheet part's cells (each part under ``xl/worksheets/``, in any case: the reader
  finds parts by name in any case): every ``<c>`` element must carry its own reference
  (``r="B7"``, as Excel, LibreOffice and the usual libraries write them), and the grid
  those references and the sheet's ``<dimension>`` span, rows times columns, must stay
  within :data:`MAX_CELLS`; no two parts may share a name in any case;
- the first sheet is the one the reader will read: every element named ``sheet`` (the reader
  takes them in any namespace) is in workbook.xml's sheet list, no two share a name, and the
  first one's relationship id is unambiguous.

Only then does calamine read the sheet, and in a process of its own with a memory cap and a
time limit (:mod:`ingest.logic.sheet_process`): a workbook the checks did not foresee ends
that process, not the function. Anything wrong is a :class:`FileRejected` with a reason, in
seconds.

The first row with content is the header, as for CSV; line numbers are the sheet's row
numbers. A cell is read as its text would be in a CSV file: text as it is, a whole
number (``12`` or ``12.0``) as ``12``; a date, time, TRUE/FALSE or error cell (``#N/A``,
``#DIV/0!``...) in a column the parser reads makes that row an error with the reason. The
reader gives an error cell no value (it reads as an empty cell), so the check above notes
where the first sheet's error cells are (at most :data:`MAX_ERROR_CELLS`; any beyond read
as empty). Cells right of the header's last column are not read.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import IO, Any
from xml.etree import ElementTree

from inventory.models import RowError

from ingest.logic.records import MAX_COLUMNS, Cursor, FileRejected, ParsedRow, header_columns, row_from_fields
from ingest.logic.sheet_process import ReaderFailed, SheetProcess

#: Largest workbook read (the upload grant's own cap).
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
#: Most parts a workbook's zip may hold.
MAX_ENTRIES = 1_000
#: Most bytes all parts may inflate to.
MAX_INFLATED_BYTES = 512 * 1024 * 1024
#: Most bytes of each sheet's XML (about a million rows of a few columns), and of the
#: other parts the reader holds whole.
MAX_SHEET_BYTES = 256 * 1024 * 1024
MAX_PART_BYTES = {"xl/sharedstrings.xml": 64 * 1024 * 1024, "xl/styles.xml": 32 * 1024 * 1024}
#: Highest inflated/compressed ratio of a part over a mebibyte: real sheets stay far below.
MAX_RATIO = 200
#: Most cells of the grid each sheet spans (rows x columns, from A1): a million rows of five
#: columns. The reader holds them all; larger files load as CSV.
MAX_CELLS = 5_000_000
#: Most error cells (``#N/A``...) whose place is remembered across a workbook's sheets.
MAX_ERROR_CELLS = 100_000

_READ = 256 * 1024
_BIG_PART = 1024 * 1024
_SMALL_PART = 4 * 1024 * 1024  # workbook.xml and its relationships are parsed whole
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def workbook_rows(chunks: Iterable[bytes], cursor: Cursor) -> Iterator[ParsedRow]:
    """The rows of a workbook given as byte chunks (the whole object, its size already capped).

    Resumes after ``cursor.offset`` sheet rows when the cursor has a state.
    """
    with tempfile.TemporaryFile() as spool:  # a real file: the reader's process reads it (Lambda: /tmp)
        _spool(chunks, spool)
        with _open_zip(spool) as archive:
            name, error_cells = check_workbook(archive)
        spool.seek(0)
        yield from _sheet_rows(spool, name, error_cells, cursor)


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


# -- checks ---------------------------------------------------------------------------------


def check_workbook(archive: zipfile.ZipFile) -> tuple[str, frozenset[tuple[int, int]]]:
    """Refuse a workbook that could cost more than its size promises.

    Returns the first sheet's name and where its error cells are: (row, column), both from 1.
    Every worksheet part is held to the caps, not only the first sheet's: the reader finds parts
    by name in any case, so what it reads must never depend on which sheet the checks picked.
    """
    entries = archive.infolist()
    _check_directory(entries)
    extents: dict[str, _Extent] = {}
    budget = _ErrorBudget(MAX_ERROR_CELLS)
    for entry in entries:
        sheet = _is_sheet_part(entry.filename)
        if sheet or entry.filename.endswith((".xml", ".rels")):
            extent = extents.setdefault(entry.filename, _Extent(budget)) if sheet else None
            _scan_part(archive, entry, extent)
    name, first = _first_sheet(archive)
    for part, extent in extents.items():
        where = "the first sheet" if part == first else f"the workbook part {part[:80]}"
        _check_sheet(where, archive.getinfo(part).file_size, extent)
    return name, frozenset(extents[first].errors)


def _is_sheet_part(name: str) -> bool:
    """A part the reader could read as a worksheet: it matches names in any case."""
    return name.lower().startswith("xl/worksheets/") and not name.endswith("/")


def _check_sheet(where: str, size: int, extent: _Extent) -> None:
    """The caps every worksheet part is held to: its size, cells the checks can place, and the grid they span."""
    if size > MAX_SHEET_BYTES:
        raise FileRejected(f"{where} is over {MAX_SHEET_BYTES // 1024**2} MiB of XML: save it as CSV", 0)
    if extent.tags != extent.referenced:
        raise FileRejected(
            f"{where} has cells without their own reference (r attribute), which this reader does not "
            "place: save the workbook from Excel or LibreOffice, or as CSV",
            0,
        )
    rows, columns = max(extent.rows, extent.dimension_rows), max(extent.columns, extent.dimension_columns)
    if rows * columns > MAX_CELLS or extent.tags > MAX_CELLS:
        raise FileRejected(
            f"{where} spans {rows:,} rows by {columns:,} columns; at most {MAX_CELLS:,} cells "
            "are read from a workbook: save it as CSV (or split it)",
            0,
        )


def _check_directory(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise FileRejected(f"the workbook has {len(entries):,} parts; at most {MAX_ENTRIES:,} are accepted", 0)
    names = {entry.filename.lower() for entry in entries}
    if len(names) != len(entries):  # the reader finds parts by name in any case: each name must be one part
        raise FileRejected("the workbook has two parts of the same name: a damaged or crafted file", 0)
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise FileRejected("not an Excel workbook: the archive has no xl/workbook.xml", 0)
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRejected("the workbook is password-protected: save it without a password", 0)
        total += entry.file_size
        if total > MAX_INFLATED_BYTES:
            raise FileRejected(
                f"the workbook inflates to more than {MAX_INFLATED_BYTES // 1024**2:,} MiB: too large, or a zip bomb", 0
            )
        ratio = entry.file_size // max(entry.compress_size, 1)
        if entry.file_size > _BIG_PART and ratio > MAX_RATIO:
            raise FileRejected(
                f"the workbook part {entry.filename[:80]} inflates {ratio:,} times: a zip bomb, not a spreadsheet", 0
            )
        cap = MAX_PART_BYTES.get(entry.filename.lower())
        if cap is not None and entry.file_size > cap:
            raise FileRejected(f"the workbook part {entry.filename} is over {cap // 1024**2} MiB: save it as CSV", 0)


@dataclass
class _ErrorBudget:
    """How many more error cells may be remembered, all sheets together."""

    left: int


@dataclass
class _Extent:
    """What a worksheet's cells span, counted while its XML streams past."""

    budget: _ErrorBudget
    tags: int = 0  # every <c> start tag
    referenced: int = 0  # those with a reference of their own
    rows: int = 0  # the largest row and column referenced
    columns: int = 0
    errors: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of error cells (t="e")
    dimension_rows: int = 0  # the end of the range the sheet's <dimension ref="A1:D9"> declares
    dimension_columns: int = 0


#: Markup a spreadsheet never needs, that would expand entities or hide what the checks count.
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_SHEET_MARKUP = re.compile(rb"<!DOCTYPE|<!ENTITY|<!--|<!\[CDATA\[", re.IGNORECASE)
#: Any element named c, with or without a namespace prefix: a cell.
_CELL = re.compile(rb"<(?:[^\s<>/:=]+:)?c[\s/>]")
#: A cell start tag with its reference: attribute values are consumed whole, so an ``r=``
#: inside another attribute's value never counts.
_ATTRIBUTES = rb"(?:[^<>\"']|\"[^\"]*\"|'[^']*')*?"
_REFERENCED_CELL = re.compile(
    rb"<(?:[^\s<>/:=]+:)?c\s" + _ATTRIBUTES + rb"(?<=\s)r\s*=\s*([\"'])([A-Z]{1,3})([0-9]{1,7})\1"
)
#: A referenced cell whose type is an error (``t="e"``), the attributes in any order.
_ERROR_CELL = re.compile(
    rb"<(?:[^\s<>/:=]+:)?c\s(?=" + _ATTRIBUTES + rb"(?<=\s)t\s*=\s*([\"'])e\1)"
    + _ATTRIBUTES + rb"(?<=\s)r\s*=\s*([\"'])([A-Z]{1,3})([0-9]{1,7})\2"
)  # fmt: skip
#: The sheet's declared range (the reader sizes a buffer from it): its end, or its only cell.
_DIMENSION = re.compile(
    rb"<(?:[^\s<>/:=]+:)?dimension\s"
    + _ATTRIBUTES
    + rb"(?<=\s)ref\s*=\s*([\"'])(?:[^\"':]*:)?([A-Za-z]{1,3})([0-9]{1,7})\1"
)
_OVERLAP = 512  # bytes kept from the previous block, so a tag split between blocks is still whole once


def _scan_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, extent: _Extent | None) -> None:
    """Inflate one XML part as a stream, looking for markup that does not belong; count a sheet's cells."""
    forbidden = _SHEET_MARKUP if extent is not None else _DOCTYPE
    tail = b""
    try:
        with archive.open(entry) as part:
            while block := part.read(_READ):
                window = tail + block
                if forbidden.search(window):
                    raise FileRejected(
                        f"the workbook part {entry.filename[:80]} holds XML markup a spreadsheet does not use "
                        "(a document type, entity, comment or CDATA section): refused",
                        0,
                    )
                if extent is not None:
                    _count_cells(window, len(tail), extent)
                    if b"dimension" in window:
                        _note_dimension(window, extent)
                tail = window[-_OVERLAP:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as error:
        # BadZipFile covers a CRC that does not match (a directory that understates a size);
        # NotImplementedError an unknown compression method.
        raise FileRejected(f"the workbook is damaged: {_describe(error)}", 0) from error


def _count_cells(window: bytes, seen: int, extent: _Extent) -> None:
    """Count the cells that end in ``window[seen:]`` (the ones before were counted with the previous block).

    A match that ends inside the first ``seen`` bytes is a match of those bytes alone, so
    subtracting their count leaves the new ones. Kept to C-level loops: a sheet has millions of cells.
    """
    tail = window[:seen]
    extent.tags += len(_CELL.findall(window)) - len(_CELL.findall(tail))
    found = _REFERENCED_CELL.findall(window)
    new = found[len(_REFERENCED_CELL.findall(tail)) :] if tail else found
    if not new:
        return
    extent.referenced += len(new)
    _, letters, digits = zip(*new, strict=True)
    extent.rows = max(extent.rows, *map(int, digits))
    # Right-justified, column letters sort as columns do (a space sorts before A).
    extent.columns = max(extent.columns, _column_number(max(map(bytes.rjust, letters, repeat(3))).lstrip()))
    if extent.budget.left and (b'"e"' in window or b"'e'" in window):  # most sheets have no error cell
        errors = _ERROR_CELL.findall(window)
        for _, _, column, row in errors[len(_ERROR_CELL.findall(tail)) if tail else 0 :][: extent.budget.left]:
            extent.errors.add((int(row), _column_number(column)))
            extent.budget.left -= 1


def _note_dimension(window: bytes, extent: _Extent) -> None:
    for _, letters, digits in _DIMENSION.findall(window):
        extent.dimension_rows = max(extent.dimension_rows, int(digits))
        extent.dimension_columns = max(extent.dimension_columns, _column_number(letters.upper()))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str]:
    """The first sheet's name and its part, as workbook.xml and its relationships name them for the reader.

    The reader takes every element named ``sheet`` in workbook.xml, in any namespace and at any
    depth, and finds the sheet by its name; its ``r:id`` leads to the part. So a workbook whose
    sheets could be seen otherwise (a ``sheet`` outside the sheet list, two sheets of one name,
    an id that is not one relationship's) is refused rather than read.
    """
    book = _small_xml(archive, "xl/workbook.xml")
    sheets = book.findall(f"{_MAIN}sheets/{_MAIN}sheet")
    if len(sheets) != sum(1 for element in book.iter() if _local_name(element.tag) == "sheet"):
        raise FileRejected(
            "the workbook lists a sheet outside its sheet list, or in another XML namespace: refused, as a reader"
            " could take another sheet for the first",
            0,
        )
    if not sheets or not sheets[0].get("name"):
        raise FileRejected("the workbook has no worksheet", 0)
    names = [sheet.get("name") for sheet in sheets]
    if len(set(names)) != len(names):
        raise FileRejected("the workbook has two sheets of the same name: rename one", 0)
    first = sheets[0]
    if [key for key in first.attrib if _local_name(key) == "id"] != [_RELATIONSHIP_ID]:
        raise FileRejected("the workbook's first sheet has no single relationship id", 0)
    wanted = first.get(_RELATIONSHIP_ID)
    relationships = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    targets = [
        str(relationship.get("Target", ""))
        for relationship in relationships.iter(f"{_RELATIONSHIPS}Relationship")
        if relationship.get("Id") == wanted
    ]
    part = _sheet_path(targets[0]) if len(targets) == 1 else ""
    found = [name for name in archive.namelist() if name.lower() == part.lower()]
    if part.split("/")[1:2] == ["worksheets"] and len(found) == 1:
        return str(first.get("name")), found[0]
    raise FileRejected("the workbook's first sheet is not a worksheet (a chart sheet?), or is missing", 0)


def _sheet_path(target: str) -> str:
    """A sheet relationship's target as the reader resolves it, from the package root."""
    if target.startswith("/xl/"):
        return target[1:]
    return target if target.startswith("xl/") else f"xl/{target}"


def _local_name(name: str) -> str:
    return name.rpartition("}")[2]


def _small_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        entry = archive.getinfo(name)
        if entry.file_size > _SMALL_PART:
            raise FileRejected(f"the workbook part {name} is over {_SMALL_PART // 1024**2} MiB", 0)
        # Every XML part was scanned first: no DOCTYPE, so no entity to expand or fetch.
        return ElementTree.fromstring(archive.read(entry))  # noqa: S314
    except KeyError as error:
        raise FileRejected(f"not an Excel workbook: the archive has no {name}", 0) from error
    except (ElementTree.ParseError, zipfile.BadZipFile, zlib.error, ValueError) as error:
        raise FileRejected(f"the workbook is damaged: {_describe(error)}", 0) from error


# -- rows -------------------------------------------------------------------------------------


def _sheet_rows(
    spool: IO[bytes],
    name: str,
    error_cells: frozenset[tuple[int, int]],
    cursor: Cursor,
) -> Iterator[ParsedRow]:
    """The first worksheet's rows, after ``cursor.offset`` sheet rows, as inventory rows.

    The reader runs in a process of its own (:mod:`ingest.logic.sheet_process`): if it dies or
    hangs, the file is rejected with the reason, and the function goes on.
    """
    state = cursor.state
    skip = cursor.offset if state else 0
    try:
        with SheetProcess(spool, name, columns=MAX_COLUMNS + 1, skip=skip) as reader:
            start = reader.start()
            # The rows come from the first, and the columns from the leftmost one used.
            left = start[1] if start else 0
            numbered = enumerate(reader.rows(), start=skip + 1)
            if not state:
                header_row, columns, width = _header(numbered, left)
                state = {"format": "xlsx", "columns": columns, "width": width}
                cursor.offset, cursor.line, cursor.state = header_row, header_row + 1, state
            yield from _data_rows(numbered, left, state["columns"], state["width"], cursor, error_cells=error_cells)
    except ReaderFailed as failed:
        raise FileRejected(failed.reason, cursor.line if cursor.state else 0) from failed


def _header(numbered: Iterator[tuple[int, list[Any]]], left: int) -> tuple[int, dict[str, int], int]:
    """The header's row number, each known field's column (from column A), and the header's width."""
    for number, cells in numbered:
        values = [""] * left + list(cells)
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


def _data_rows(
    numbered: Iterator[tuple[int, list[Any]]],
    left: int,
    columns: Mapping[str, int],
    width: int,
    cursor: Cursor,
    *,
    error_cells: frozenset[tuple[int, int]],
) -> Iterator[ParsedRow]:
    for number, cells in numbered:
        cursor.offset, cursor.line = number, number + 1
        fields: dict[str, str] = {}
        problem = None
        for name, column in columns.items():
            index = column - left
            text, problem = _cell_text(cells[index] if 0 <= index < len(cells) else "", name)
            if not text and error_cells and (number, column + 1) in error_cells:
                problem = f"{name} is an error cell (such as #N/A or #DIV/0!), not a whole number or text"
            if problem:
                break
            fields[name] = text
        if problem:
            yield RowError(number, problem)
            continue
        if not any(fields.values()) and all(cell == "" or cell is None for cell in cells[: max(width - left, 0)]):
            continue  # an empty row
        yield row_from_fields(fields, number)


def _cell_text(value: Any, field: str) -> tuple[str, str | None]:
    """A cell as the text a CSV file would hold, or the reason it cannot be one."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return "", f"{field} is a TRUE/FALSE cell, not a whole number or text"
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), None
    if value is None:
        return "", None
    if isinstance(value, dict) and "time" in value:  # as the reader's process sends a date or time
        return "", f"{field} is a date or time cell ({str(value['time'])[:30]}), not a whole number or text"
    kind = value.get("kind") if isinstance(value, dict) else type(value).__name__
    return "", f"{field} is a cell of an unknown kind ({str(kind)[:30]})"


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
