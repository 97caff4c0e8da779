"""Excel workbooks: read like CSV, cell by cell; and zip bombs refused in seconds with bounded memory."""

from __future__ import annotations

import io
import os
import struct
import sys
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
from ingest.logic import xlsx
from ingest.logic.parser import FileFormat, FileRejected, ParsedRow, ParsePosition, open_inventory
from ingest.logic.sheet_process import ReaderFailed, SheetProcess, child_environment
from inventory.models import InventoryRow, Ordering, RowError

from tests.builders import workbook_parts

pytestmark = pytest.mark.unit


def workbook(*rows: list[Any], title: str = "Inventory", before: list[list[Any]] | None = None) -> bytes:
    """A workbook as Excel users make them (written by openpyxl), rows from the top of the first sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in before or []:
        sheet.append(row)
    for row in rows:
        sheet.append(row)
    book.create_sheet("Notes").append(["store", "item", "count"])  # only the first sheet is read
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, start: ParsePosition | None = None) -> list[ParsedRow]:
    return list(open_inventory([data[i : i + 4096] for i in range(0, len(data), 4096)], FileFormat.XLSX, start=start))


def test_the_first_sheet_reads_like_a_csv_file_with_sheet_row_numbers() -> None:
    data = workbook(
        [" Store", "ITEM", "count", "threshold", "note"],
        ["Berlin", "Echo Dot", 3, None, "shelf 2"],
        [],
        ["Berlin", "Echo Plus", 12.0, 4],
        [1001, 42, "7", ""],
    )

    assert read(data) == [
        InventoryRow("Berlin", "Echo Dot", 3, None, 2, clears_threshold=True),  # an empty cell: the default
        InventoryRow("Berlin", "Echo Plus", 12, 4, 4),
        InventoryRow("1001", "42", 7, None, 5, clears_threshold=True),  # numbers in name columns read as their text
    ]


@pytest.mark.parametrize(
    ("count", "reason"),
    [
        (12.5, "count must be a whole number of 0 or more, got '12.5'"),
        (-3, "count must be a whole number of 0 or more, got '-3'"),
        (datetime(2026, 1, 2, 3, 4), "count is a date or time cell"),
        (date(2026, 1, 2), "count is a date or time cell"),
        (True, "count is a TRUE/FALSE cell"),
        ("#N/A", "count is an error cell (such as #N/A or #DIV/0!)"),  # the reader gives it no value
        ("#DIV/0!", "count is an error cell"),
        (None, "count is empty"),
        (10**12, "count is larger than 999999999"),
    ],
)
def test_cells_that_are_not_whole_numbers_are_rejected_with_a_reason(count: object, reason: str) -> None:
    results = read(workbook(["store", "item", "count"], ["B", "ok", 1], ["B", "bad", count]))

    assert results[0] == InventoryRow("B", "ok", 1, None, 2)
    assert isinstance(results[1], RowError)
    assert results[1].line == 3
    assert results[1].reason.startswith(reason)


def test_the_header_is_the_first_row_with_content_and_blank_rows_keep_their_numbers() -> None:
    data = workbook(["store", "item", "count"], ["B", "a", 1], before=[[], [None, None]])

    assert read(data) == [InventoryRow("B", "a", 1, None, 4)]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([["name", "qty"], ["B", 1]], "no recognisable header"),
        ([["store", "item", "count", "count"]], "more than once"),
        ([["store", "item", "count", *[f"c{i}" for i in range(200)]]], "more than 100 columns"),
        ([], "first sheet is empty"),
    ],
)
def test_a_sheet_without_a_usable_header_is_rejected(rows: list[list[Any]], reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        read(workbook(*rows))


def test_a_workbook_resumed_after_any_row_gives_the_rows_of_one_pass() -> None:
    data = workbook(["store", "item", "count"], *[["B", f"i{n}", n] if n % 3 else [] for n in range(12)])
    stream = open_inventory([data], FileFormat.XLSX, size=len(data))
    results, positions = [], []
    for row in stream:
        results.append(row)
        positions.append(stream.position)

    assert [p.offset for p in positions] == [r.line for r in results]
    for index, position in enumerate(positions):
        assert read(data, start=position) == results[index + 1 :]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "an old .xls workbook must be saved as .xlsx"),
        (b"store,item,count\nB,a,1\n", "not an Excel workbook"),
    ],
)
def test_files_that_are_not_workbooks_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        read(data)


def test_a_workbook_over_the_size_cap_is_refused_before_it_is_read() -> None:
    data = workbook(["store", "item", "count"], ["B", "a", 1])

    with pytest.raises(FileRejected, match="files up to 1 KiB are accepted"):
        list(open_inventory([data], FileFormat.XLSX, size=len(data), max_bytes=1024))
    with pytest.raises(FileRejected, match="larger than 1 KiB"):  # a stream longer than its stated size
        list(open_inventory([data], FileFormat.XLSX, size=10, max_bytes=1024))


# -- zip bombs and hostile XML ------------------------------------------------------------

SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>store</t></is></c><c r="B1" t="inlineStr"><is><t>item</t></is></c>'
    b'<c r="C1" t="inlineStr"><is><t>count</t></is></c></row>'
)
SHEET_END = b"</sheetData></worksheet>"
SMALL_PARTS = workbook_parts()


def raw_workbook(sheet: bytes | None = None, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook written part by part, so a test can put anything in its XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in SMALL_PARTS:
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet if sheet is not None else SHEET_START + SHEET_END)
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return out.getvalue()


@pytest.fixture(scope="module")
def gibibyte_of_spaces() -> tuple[bytes, int]:
    """A sheet of 1 GiB (its start, then spaces) as a raw deflate stream of about a megabyte, and its CRC-32.

    Fed to zlib block by block, so building it never holds the inflated bytes.
    """
    block = SHEET_START + b" " * (1024 * 1024 - len(SHEET_START))
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    pieces, crc = [deflate.compress(block)], zlib.crc32(block)
    filler = b" " * len(block)
    for _ in range(1023):
        pieces.append(deflate.compress(filler))
        crc = zlib.crc32(filler, crc)
    pieces.append(deflate.flush())
    return b"".join(pieces), crc


def bomb_workbook(sheet: tuple[bytes, int], *, lie_about_size: bool = False) -> bytes:
    """A workbook around a deflated sheet; with ``lie_about_size`` its directory says the sheet is 1 KiB."""
    body, crc = sheet
    entries = [(name, _deflate(part.encode()), zlib.crc32(part.encode()), len(part)) for name, part in SMALL_PARTS]
    entries.append(("xl/worksheets/sheet1.xml", body, crc, 1024 if lie_about_size else 1024**3))
    return _zip(entries)


def _deflate(body: bytes) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return deflate.compress(body) + deflate.flush()


def _zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated parts: (name, deflated bytes, CRC-32, size the directory states)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, body, crc, size in entries:
        encoded, offset = name.encode(), out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), size, len(encoded), 0))
        out.write(encoded + body)
        directory.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(body),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(listing), start, 0))
    return out.getvalue()


def rejected_within_memory(data: bytes, limit: int = 64 * 1024 * 1024) -> FileRejected:
    tracemalloc.start()
    try:
        with pytest.raises(FileRejected) as caught:
            list(open_inventory([data], FileFormat.XLSX, size=len(data)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - len(data) < limit, f"peak {peak:,} bytes"
    return caught.value


def test_a_sheet_inflating_to_a_gibibyte_is_refused_from_the_zip_directory(
    gibibyte_of_spaces: tuple[bytes, int],
) -> None:
    data = bomb_workbook(gibibyte_of_spaces)
    assert len(data) < 8 * 1024 * 1024  # a few megabytes on the wire

    rejected = rejected_within_memory(data)
    assert "zip bomb" in rejected.reason


def test_a_zip_directory_that_understates_a_part_is_refused_while_inflating(
    gibibyte_of_spaces: tuple[bytes, int],
) -> None:
    data = bomb_workbook(gibibyte_of_spaces, lie_about_size=True)

    rejected = rejected_within_memory(data)
    assert "damaged" in rejected.reason or "understates" in rejected.reason


def test_more_cells_than_the_cap_are_refused_before_the_reader_holds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_CELLS", 1_000)
    cells = b'<c r="A2"><v>1</v></c>' * 1_001  # one cell over and over: a small grid, many cells

    rejected = rejected_within_memory(raw_workbook(SHEET_START + b'<row r="2">' + cells + b"</row>" + SHEET_END))
    assert "at most 1,000 cells" in rejected.reason


@pytest.mark.parametrize(
    ("part", "body"),
    [
        (
            "xl/sharedStrings.xml",
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<sst><si><t>&lol2;</t></si></sst>",
        ),
        ("xl/worksheets/sheet1.xml", SHEET_START + b"<!-- <row r='2'> -->" + SHEET_END),
        ("xl/worksheets/sheet1.xml", SHEET_START + b"<![CDATA[ x ]]>" + SHEET_END),
    ],
)
def test_xml_markup_a_spreadsheet_never_uses_is_refused(part: str, body: bytes) -> None:
    data = raw_workbook(body) if part == "xl/worksheets/sheet1.xml" else raw_workbook(extra={part: body})

    with pytest.raises(FileRejected, match="markup a spreadsheet does not use"):
        read(data)


def test_too_many_parts_and_encrypted_parts_are_refused() -> None:
    many = raw_workbook(extra={f"xl/media/{n}.bin": b"x" for n in range(xlsx.MAX_ENTRIES)})
    with pytest.raises(FileRejected, match="parts; at most"):
        read(many)

    locked = bytearray(raw_workbook())
    at = locked.index(b"PK\x01\x02")
    locked[at + 8] |= 0x1  # the central directory's "encrypted" flag of the first part
    with pytest.raises(FileRejected, match="password"):
        read(bytes(locked))


def test_a_cell_far_from_the_others_is_refused_before_the_reader_allocates_its_grid() -> None:
    # The reader holds rows x columns from A1: a 1.5 KB workbook with a cell in XFD1048576 would
    # ask it for 17 billion cells and abort the process.
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'

    rejected = rejected_within_memory(raw_workbook(SHEET_START + far + SHEET_END), limit=8 * 1024 * 1024)
    assert "spans 1,048,576 rows by 16,384 columns" in rejected.reason


@pytest.mark.parametrize(
    "cell",
    [
        b"<c><v>1</v></c>",  # no reference: placed after the previous cell
        b'<c r="b2"><v>1</v></c>',  # a reference the checks cannot read
        b'<c t="n" xr="A1"><v>1</v></c>',  # r only as part of another attribute's name
        b'<c t="x r=&quot;A1&quot;"><v>1</v></c>',  # r only inside another attribute's value
        b"<x:c><v>1</v></x:c>",  # a prefixed cell without a reference
    ],
)
def test_a_cell_the_checks_cannot_place_is_refused(cell: bytes) -> None:
    sheet = SHEET_START + b'<row r="2">' + cell + b"</row>" + SHEET_END

    with pytest.raises(FileRejected, match="without their own reference"):
        read(raw_workbook(sheet))


def test_cells_with_references_and_prefixes_read_as_excel_writes_them() -> None:
    row = (
        b'<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>B</x:t></x:is></x:c>'
        b"<x:c s='1' r='B2' t=\"inlineStr\"><x:is><x:t>a</x:t></x:is></x:c><x:c r=\"C2\"><x:v>4</x:v></x:c></x:row>"
    )
    prefixed = b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    sheet = SHEET_START.replace(b"<worksheet ", prefixed)

    assert read(raw_workbook(sheet + row + SHEET_END)) == [InventoryRow("B", "a", 4, None, 2)]


# -- which sheet is read ------------------------------------------------------------------------

FAR_CELL = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
OOXML = "http://schemas.openxmlformats.org"
SHEET_RELATIONSHIP = f"{OOXML}/officeDocument/2006/relationships/worksheet"


def two_sheet_workbook(sheets: str, second: bytes, *, second_target: str = "worksheets/sheet2.xml") -> bytes:
    """A workbook whose workbook.xml lists ``sheets`` (rId1 is sheet1, a harmless sheet; rId2 the ``second``)."""
    parts = dict(SMALL_PARTS)
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{OOXML}/spreadsheetml/2006/main" '
        f'xmlns:r="{OOXML}/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>'
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        f'<Relationship Id="rId2" Type="{SHEET_RELATIONSHIP}" Target="{second_target}"/></Relationships>',
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_START + SHEET_END)
        archive.writestr(second_target.replace("worksheets/", "xl/worksheets/"), SHEET_START + second + SHEET_END)
    return out.getvalue()


def test_the_decoy_sheet_of_another_namespace_is_refused_before_the_reader_sees_it() -> None:
    # The reader takes elements named sheet in any namespace: this decoy would be its first sheet,
    # with a cell in XFD1048576, and it would ask for 512 GiB and abort the process.
    decoy = two_sheet_workbook(
        '<o:sheet xmlns:o="urn:decoy" name="Inventory" r:id="rId2"/><sheet name="Inventory" sheetId="1" r:id="rId1"/>',
        FAR_CELL,
    )
    assert len(decoy) < 2048

    rejected = rejected_within_memory(decoy, limit=8 * 1024 * 1024)
    assert "in another XML namespace" in rejected.reason


@pytest.mark.parametrize(
    ("sheets", "reason"),
    [
        (
            '<o:sheet xmlns:o="urn:decoy" name="Inventory" r:id="rId1"/>'
            '<sheet name="Inventory" sheetId="1" r:id="rId1"/>',
            "a sheet outside its sheet list, or in another XML namespace",
        ),
        (
            '<sheet name="Inventory" sheetId="1" r:id="rId1"><sheet name="Inner" r:id="rId2"/></sheet>',
            "a sheet outside its sheet list",
        ),
        (
            '<sheet name="Inventory" sheetId="1" r:id="rId1"/><sheet name="Inventory" sheetId="2" r:id="rId2"/>',
            "two sheets of the same name",
        ),
        (
            # The reader takes the attribute spelled r:id, whatever its namespace: here the far sheet's.
            f'<sheet xmlns:r="urn:decoy" xmlns:q="{OOXML}/officeDocument/2006/relationships" name="Inventory" '
            'r:id="rId2" q:id="rId1"/>',
            "no single relationship id",
        ),
    ],
)
def test_a_workbook_whose_first_sheet_a_reader_could_see_otherwise_is_refused(sheets: str, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        read(two_sheet_workbook(sheets, b""))


def test_a_second_sheet_over_the_caps_refuses_the_workbook() -> None:
    sheets = '<sheet name="Inventory" sheetId="1" r:id="rId1"/><sheet name="Far" sheetId="2" r:id="rId2"/>'

    rejected = rejected_within_memory(two_sheet_workbook(sheets, FAR_CELL), limit=8 * 1024 * 1024)
    assert rejected.reason.startswith("the workbook part xl/worksheets/sheet2.xml spans 1,048,576 rows")
    with pytest.raises(FileRejected, match="without their own reference"):
        read(two_sheet_workbook(sheets, b'<row r="2"><c><v>1</v></c></row>'))


def test_a_sheet_part_of_any_name_or_case_is_held_to_the_caps() -> None:
    sheets = '<sheet name="Inventory" sheetId="1" r:id="rId1"/><sheet name="Far" sheetId="2" r:id="rId2"/>'
    # The reader finds parts by name in any case, with any ending.
    data = two_sheet_workbook(sheets, FAR_CELL, second_target="worksheets/FAR.bin")

    with pytest.raises(FileRejected, match=r"FAR\.bin spans 1,048,576 rows"):
        read(data)


def test_two_parts_whose_names_differ_only_in_case_are_refused() -> None:
    data = raw_workbook(extra={"XL/Worksheets/Sheet1.xml": SHEET_START + FAR_CELL + SHEET_END})

    with pytest.raises(FileRejected, match="two parts of the same name"):
        read(data)


def test_a_declared_range_over_the_cap_is_refused() -> None:
    sheet = SHEET_START.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>') + SHEET_END

    with pytest.raises(FileRejected, match="spans 1,048,576 rows by 16,384 columns"):
        read(raw_workbook(sheet))


# -- the reader's own process ---------------------------------------------------------------------


def test_a_reader_that_aborts_is_a_rejected_file_with_the_reason_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a workbook the checks do not catch (here: checks that pass anything), whose reader
    # asks for 512 GiB and aborts its process
    monkeypatch.setattr(xlsx, "check_workbook", lambda _: ("Inventory", frozenset()))
    started = time.monotonic()

    with pytest.raises(FileRejected) as caught:
        read(raw_workbook(SHEET_START + FAR_CELL + SHEET_END))

    # Then the reader's process ended, not this one, and the reason says how
    assert time.monotonic() - started < 10
    assert "the reader stopped on signal SIGABRT" in caught.value.reason
    assert "memory allocation of 549755813888 bytes failed" in caught.value.reason
    assert read(workbook(["store", "item", "count"], ["B", "a", 1])) == [InventoryRow("B", "a", 1, None, 2)]


def test_a_reader_that_gives_no_answer_is_stopped_after_its_wait() -> None:
    read_end, write_end = os.pipe()  # a workbook whose bytes never come: the reader waits for ever
    with os.fdopen(read_end, "rb") as never, SheetProcess(never, "Inventory", columns=4, wait_seconds=1) as reader:
        with pytest.raises(ReaderFailed, match="the reader gave no answer in 1 s and was stopped"):
            reader.start()
        assert reader.ended()
    os.close(write_end)


def test_the_readers_process_gets_the_module_path_and_none_of_the_functions_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/var/lang/lib")  # Lambda's interpreter finds libpython with it

    environment = child_environment()

    assert not any(name.startswith("AWS_") for name in environment)
    assert environment["LD_LIBRARY_PATH"] == "/var/lang/lib"
    assert environment["PYTHONPATH"].split(os.pathsep) == [path for path in sys.path if path]


def test_a_reader_without_memory_for_the_sheet_is_a_reason_not_a_dead_function() -> None:
    text = b"x" * 1000
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (n, n, text) for n in range(2, 40_002)
    )
    with tempfile.TemporaryFile() as file:
        file.write(raw_workbook(SHEET_START + rows + SHEET_END))  # 40 MB of text, in a reader of 32 MiB
        file.seek(0)
        with (
            SheetProcess(file, "Inventory", columns=4, memory_bytes=32 * 1024**2) as reader,
            pytest.raises(ReaderFailed, match="needs more than the 32 MiB a workbook may take"),
        ):
            reader.start()


# -- error cells ------------------------------------------------------------------------------


def test_an_error_cell_in_any_column_read_is_a_row_error_and_elsewhere_is_ignored() -> None:
    data = workbook(
        ["store", "item", "count", "threshold", "note"],
        ["#REF!", "a", 1],
        ["B", "b", 2, "#VALUE!"],
        ["B", "c", 3, None, "#N/A"],  # a column the parser does not read
        [None, None, "#N/A"],  # a row of nothing but an error cell is not an empty row
    )

    assert read(data) == [
        RowError(2, "store is an error cell (such as #N/A or #DIV/0!), not a whole number or text"),
        RowError(3, "threshold is an error cell (such as #N/A or #DIV/0!), not a whole number or text"),
        InventoryRow("B", "c", 3, None, 4, clears_threshold=True),
        RowError(5, "count is an error cell (such as #N/A or #DIV/0!), not a whole number or text"),
    ]


def test_error_cells_are_found_whatever_the_order_of_their_attributes_and_a_resume_keeps_them() -> None:
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>B</t></is></c><c r="B%d" t="inlineStr"><is><t>i%d</t></is></c>'
        % (n, n, n, n)
        + (b'<c t="e" s="2" r="C%d"><v>#N/A</v></c></row>' % n if n % 2 else b'<c r="C%d"><v>%d</v></c></row>' % (n, n))
        for n in range(2, 8)
    )
    data = raw_workbook(SHEET_START + rows + SHEET_END)
    stream = open_inventory([data], FileFormat.XLSX)
    results = [next(stream) for _ in range(2)]

    assert results == [InventoryRow("B", "i2", 2, None, 2), RowError(3, results[1].reason)]
    assert results[1].reason.startswith("count is an error cell")
    assert [r.line for r in read(data, start=stream.position) if isinstance(r, RowError)] == [5, 7]


def test_error_cells_past_the_cap_read_as_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ERROR_CELLS", 1)
    data = workbook(["store", "item", "count"], ["B", "a", "#N/A"], ["B", "b", "#N/A"])

    assert [r.reason[:25] for r in read(data) if isinstance(r, RowError)] == [
        "count is an error cell (s",
        "count is empty",
    ]


def test_ordering_columns_of_a_workbook_read_like_a_csv_files() -> None:
    data = workbook(
        ["store", "item", "count", "Lead Time Days", "lead_time_days", "Pack_Size", "SUPPLIER"],
        ["Berlin", "Echo Dot", 3, None, 7.0, 12, "Acme"],
        ["Berlin", "Echo Plus", 4, None, "", None, None],
    )

    results = read(data)

    assert [r.ordering for r in results if isinstance(r, InventoryRow)] == [Ordering(7, 12, "Acme"), Ordering()]
