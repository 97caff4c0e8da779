"""The streaming parser: what stores actually upload, good and bad, in any chunking."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest.logic.parser import FileFormat, FileRejected, format_for_key, parse_inventory
from inventory.models import MAX_NAME_LENGTH, RESERVED_STORE_NAMES, InventoryRow, Ordering, RowError

pytestmark = pytest.mark.unit


def parse(data: bytes, fmt: FileFormat = FileFormat.CSV, chunk: int = 7) -> list[InventoryRow | RowError]:
    return list(parse_inventory((data[i : i + chunk] for i in range(0, len(data), chunk)), fmt))


def rows(results: list[InventoryRow | RowError]) -> list[tuple[str, str, int, int | None]]:
    return [(r.store, r.item, r.count, r.threshold) for r in results if isinstance(r, InventoryRow)]


def errors(results: list[InventoryRow | RowError]) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in results if isinstance(r, RowError)]


def test_header_in_any_case_and_order_with_bom_crlf_quotes_spaces_and_blank_lines() -> None:
    data = '\ufeff Count ,ITEM, Store \r\n\r\n 3 ,"Echo, Dot",  Berlin \r\n,,\r\n"7","Say ""hi""",Köln\r\n'.encode()

    assert rows(parse(data)) == [("Berlin", "Echo, Dot", 3, None), ("Köln", 'Say "hi"', 7, None)]


def test_line_numbers_are_physical_lines_even_after_blank_and_multiline_rows() -> None:
    data = b'store,item,count\n\nBerlin,"two\nlines",1\nBerlin,x,bad\n'

    assert errors(parse(data)) == [
        (3, "item contains a control character"),  # a line break inside a quoted name
        (5, "count must be a whole number of 0 or more, got 'bad'"),
    ]


def test_threshold_column_is_optional_and_empty_cells_mean_default() -> None:
    data = b"store,item,count,threshold\nB,a,1,4\nB,b,2,\n"

    assert rows(parse(data)) == [("B", "a", 1, 4), ("B", "b", 2, None)]


def test_extra_columns_are_ignored_but_extra_fields_in_a_row_are_an_error() -> None:
    data = b"store,item,count,note\nB,a,1,hello\nB,b,2,x,y\nB,c\n"

    assert rows(parse(data)) == [("B", "a", 1, None)]
    assert errors(parse(data)) == [(3, "the row has 5 fields; the header has 4"), (4, "count is empty")]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (b",a,1", "store is empty"),
        (b"B,   ,1", "item is empty"),
        (b"B,a,-1", "count must be a whole number of 0 or more, got '-1'"),
        (b"B,a,1.5", "count must be a whole number of 0 or more, got '1.5'"),
        (b"B,a,1e3", "count must be a whole number of 0 or more, got '1e3'"),
        (b"B,a,", "count is empty"),
        (b"B,a,9999999999", "count is larger than 999999999"),
        (b"B," + b"x" * (MAX_NAME_LENGTH + 1) + b",1", f"item is longer than {MAX_NAME_LENGTH} characters"),
        (b"B,a\x07b,1", "item contains a control character"),
    ],
)
def test_each_class_of_bad_row_is_rejected_with_its_line_and_reason(row: bytes, reason: str) -> None:
    assert errors(parse(b"store,item,count\nB,ok,1\n" + row + b"\n")) == [(3, reason)]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"\xff\xfe\x00s\x00t", "not UTF-8"),
        (b"store,item,count\nB,a,1\x00\n", "NUL bytes"),
        (b"name,qty\nB,1\n", "no recognisable header"),
        (b"store,item,count,count\n", "more than once"),
    ],
)
def test_unreadable_csv_files_are_rejected_whole(data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        parse(data)


def test_json_array_rows_report_the_line_each_object_starts_on() -> None:
    data = b'[\n  {"store": "B", "item": "a", "count": 1},\n  {"store": "B", "item": "b", "count": true},\n  7\n]'

    results = parse(data, FileFormat.JSON)
    assert rows(results) == [("B", "a", 1, None)]
    assert errors(results) == [
        (3, "count must be a whole number, got True"),
        (4, "expected an object with store, item and count, got int"),
    ]


def test_json_lines_skip_blank_lines_and_keep_going_after_a_broken_line() -> None:
    data = (
        b'{"STORE": "B", "Item": "a", "count": "2", "threshold": null}\n'
        b"\n"
        b"{oops\n"
        b'{"store": "B", "item": "c", "count": 0}\n'
    )

    results = parse(data, FileFormat.JSON)
    assert rows(results) == [("B", "a", 2, None), ("B", "c", 0, None)]
    assert errors(results) == [(3, "invalid JSON: Expecting property name enclosed in double quotes")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"store": "B", "item": "a", "count": 1}', "not closed"),
        (b'[{"store": "B"} {"x": 1}]', "expected ','"),
        (b'"just text"', "not inventory JSON"),
        (b'[{"store": "B", "item": "a", "count": 1}] trailing', "text after the closing bracket"),
    ],
)
def test_broken_json_structure_rejects_the_rest_of_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        parse(data, FileFormat.JSON)


def test_format_follows_the_file_name() -> None:
    assert format_for_key("uploads/Berlin.CSV") is FileFormat.CSV
    assert format_for_key("uploads/b.jsonl") is FileFormat.JSON
    assert format_for_key("uploads/b.json") is FileFormat.JSON
    assert format_for_key("uploads/b.txt") is None


names = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s != "" and "\ufeff" not in s
)
stores = names.filter(lambda s: s not in RESERVED_STORE_NAMES)
records = st.lists(st.tuples(stores, names, st.integers(0, 10**6), st.none() | st.integers(0, 1000)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(records=records, chunk=st.integers(1, 64), crlf=st.booleans())
def test_any_valid_csv_round_trips_whatever_the_chunking(records: list, chunk: int, crlf: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["store", "item", "count", "threshold"])
    writer.writerows([(s, i, c, "" if t is None else t) for s, i, c, t in records])

    assert rows(parse(out.getvalue().encode(), chunk=chunk)) == records


@settings(max_examples=150, deadline=None)
@given(records=records, chunk=st.integers(1, 64), lines=st.booleans())
def test_any_valid_json_round_trips_whatever_the_chunking(records: list, chunk: int, lines: bool) -> None:
    objects = [{"store": s, "item": i, "count": c, "threshold": t} for s, i, c, t in records]
    text = "\n".join(json.dumps(o) for o in objects) if lines else json.dumps(objects, indent=1)
    if lines and not objects:
        text = "[]"

    assert rows(parse(text.encode(), FileFormat.JSON, chunk=chunk)) == records


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), fmt=st.sampled_from(list(FileFormat)))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes, fmt: FileFormat) -> None:
    try:
        results = parse(data, fmt)
    except FileRejected as rejected:
        assert rejected.reason  # noqa: PT017 - either outcome is fine; a crash is not
    else:
        assert all(isinstance(r, InventoryRow | RowError) for r in results)


@pytest.mark.parametrize("fmt", [FileFormat.CSV, FileFormat.JSON])
def test_a_row_naming_head_office_as_its_store_is_rejected_with_its_line(fmt: FileFormat) -> None:
    data = (
        b"store,item,count\nBerlin,Echo Dot,1\n*,Echo Dot,2\n"
        if fmt is FileFormat.CSV
        else b'{"store":"Berlin","item":"Echo Dot","count":1}\n{"store":" * ","item":"Echo Dot","count":2}\n'
    )
    results = parse(data, fmt)

    assert rows(results) == [("Berlin", "Echo Dot", 1, None)]
    ((line, reason),) = errors(results)
    assert line == (3 if fmt is FileFormat.CSV else 2)
    assert reason.startswith("store '*' is reserved: head office is a role")


def test_ordering_columns_in_any_case_are_read_and_empty_cells_mean_not_given() -> None:
    data = b"store,item,count,Lead_Time_Days,PACK_SIZE,Supplier\nB,a,1,7,12, Acme \nB,b,2,,,\n"

    results = parse(data)

    assert [r.ordering for r in results if isinstance(r, InventoryRow)] == [Ordering(7, 12, "Acme"), Ordering()]


def test_ordering_fields_of_json_records_take_numbers_or_their_text() -> None:
    data = b'[{"store": "B", "item": "a", "count": 1, "LEAD_TIME_DAYS": "2", "pack_size": 6, "supplier": null}]'

    (result,) = parse(data, FileFormat.JSON)

    assert isinstance(result, InventoryRow)
    assert result.ordering == Ordering(2, 6, None)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (b"-1,6,Acme", "lead_time_days must be a whole number of 0 or more"),
        (b"400,6,Acme", "lead_time_days must be at most 365, got 400"),
        (b"3,0,Acme", "pack_size must be 1 or more, got 0"),
        (b"3,1.5,Acme", "pack_size must be a whole number of 0 or more"),
        (b'3,6,"Ac\x01me"', "supplier contains a control character"),
    ],
)
def test_a_bad_ordering_value_rejects_its_row_with_line_and_reason(cells: bytes, reason: str) -> None:
    data = b"store,item,count,lead_time_days,pack_size,supplier\nB,ok,1,3,6,Acme\nB,bad,1," + cells + b"\n"

    results = parse(data)

    assert rows(results) == [("B", "ok", 1, None)]
    ((line, message),) = errors(results)
    assert line == 3
    assert message.startswith(reason)
