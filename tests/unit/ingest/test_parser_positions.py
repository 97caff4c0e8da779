"""Resumable positions: reading from any position a stream reported gives exactly the rows one pass gives."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest.logic.parser import FileFormat, FileRejected, ParsedRow, ParsePosition, open_inventory
from inventory.models import InventoryRow, RowError

pytestmark = pytest.mark.unit


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def one_pass(data: bytes, fmt: FileFormat, chunk: int) -> tuple[list[ParsedRow], list[ParsePosition]]:
    """Every row of the file, and the stream's position after each of them."""
    stream = open_inventory(chunked(data, chunk), fmt, size=len(data))
    results: list[ParsedRow] = []
    positions: list[ParsePosition] = []
    for row in stream:
        results.append(row)
        positions.append(stream.position)
    return results, positions


def resumed(data: bytes, fmt: FileFormat, start: ParsePosition, chunk: int) -> list[ParsedRow]:
    # As the loader does: the object opened with Range: bytes=<offset>-, and the saved
    # position passed through JSON (a checkpoint on the uploads index row).
    position = ParsePosition.from_json(json.loads(json.dumps(start.to_json())))
    assert position == start
    return list(open_inventory(chunked(data[start.offset :], chunk), fmt, start=position, size=len(data)))


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s)
counts = st.integers(0, 10**6).map(str) | st.sampled_from(["-1", "1.5", "", "x", "9" * 5001])
records = st.lists(st.tuples(names, names, counts, st.none() | st.integers(0, 1000)), max_size=25)
line_ends = st.sampled_from(["\n", "\r\n", "\r"])


#: A note column's text: line ends of every kind, several in a row (blank lines inside a quoted field).
notes = st.text(alphabet="x\r\n", max_size=8)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    rows = draw(records)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    end = draw(line_ends)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=end)
    writer.writerow(["Store", "item", "COUNT", "threshold", "note"])
    for store, item, count, threshold in rows:
        out.write(end * draw(st.integers(0, 3)))  # blank lines, one or several in a row
        writer.writerow([store, item, count, "" if threshold is None else threshold, draw(notes)])
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + out.getvalue()).encode()


@st.composite
def json_files(draw: st.DrawFn) -> bytes:
    rows = draw(records)
    objects = [
        {"store": s, "item": i, "count": int(c) if c.isdigit() and len(c) < 10 else c, "threshold": t}
        for s, i, c, t in rows
    ]
    if draw(st.booleans()):  # JSON Lines, a line end of any kind, blank lines and a broken line
        end = draw(line_ends)
        lines = [json.dumps(o, ensure_ascii=draw(st.booleans())) for o in objects]
        if lines and draw(st.booleans()):
            lines.insert(draw(st.integers(0, len(lines))), "{broken")
        if lines and draw(st.booleans()):
            lines.insert(draw(st.integers(0, len(lines))), "")
        return (end.join(lines) + (end if draw(st.booleans()) else "")).encode()
    indent = draw(st.sampled_from([None, 1, 2]))
    text = json.dumps(objects, indent=indent, ensure_ascii=draw(st.booleans()))
    return text.replace("\n", draw(line_ends)).encode()


@settings(max_examples=150, deadline=None)
@given(data=csv_files(), chunk=st.integers(1, 40), rechunk=st.integers(1, 40), picks=st.data())
def test_a_csv_file_resumed_at_any_row_gives_the_rows_of_one_pass(
    data: bytes, chunk: int, rechunk: int, picks: st.DataObject
) -> None:
    results, positions = one_pass(data, FileFormat.CSV, chunk)

    for index, position in enumerate(positions):
        assert resumed(data, FileFormat.CSV, position, rechunk) == results[index + 1 :], index
    if positions:  # a resume from a resumed stream's position holds as well
        first = picks.draw(st.integers(0, len(positions) - 1))
        stream = open_inventory(
            chunked(data[positions[first].offset :], rechunk), FileFormat.CSV, start=positions[first]
        )
        taken = [next(stream) for _ in range(picks.draw(st.integers(0, len(positions) - 1 - first)))]
        assert taken + resumed(data, FileFormat.CSV, stream.position, chunk) == results[first + 1 :]


@settings(max_examples=150, deadline=None)
@given(data=json_files(), chunk=st.integers(1, 40), rechunk=st.integers(1, 40))
def test_a_json_file_resumed_at_any_row_gives_the_rows_of_one_pass(data: bytes, chunk: int, rechunk: int) -> None:
    try:
        results, positions = one_pass(data, FileFormat.JSON, chunk)
    except FileRejected as rejected:
        assert data.strip() in (b"", b"[]") or "empty" in rejected.reason  # noqa: PT017
        return

    for index, position in enumerate(positions):
        assert resumed(data, FileFormat.JSON, position, rechunk) == results[index + 1 :], index


def test_line_numbers_after_a_resume_are_those_of_the_file() -> None:
    data = b'sep=;\r\nstore;item;count\r\n\r\nB;a;1\r\nB;"two\r\nlines";2\r\nB;c;x\r\nB;d;4\r\n'
    results, positions = one_pass(data, FileFormat.CSV, 5)

    assert [r.line for r in results] == [4, 5, 7, 8]
    assert resumed(data, FileFormat.CSV, positions[1], 3) == [
        RowError(7, "count must be a whole number of 0 or more, got 'x'"),
        InventoryRow("B", "d", 4, None, 8),
    ]
    assert positions[1] == ParsePosition(
        offset=data.index(b"B;c"),
        line=7,
        state={
            "format": "csv",
            "delimiter": ";",
            "columns": {"store": 0, "item": 1, "count": 2},
            "width": 3,
            "utf8_only": False,
        },
    )


def test_a_json_array_position_is_just_after_the_last_record() -> None:
    data = b'[\n {"store": "B", "item": "a", "count": 1},\n {"store": "B", "item": "b", "count": 2}\n]\n'
    results, positions = one_pass(data, FileFormat.JSON, 4)

    assert [r.line for r in results] == [2, 3]
    assert positions[0] == ParsePosition(data.index(b"},") + 1, 2, {"format": "json", "layout": "array"})
    assert resumed(data, FileFormat.JSON, positions[0], 4) == [InventoryRow("B", "b", 2, None, 3)]
    assert resumed(data, FileFormat.JSON, positions[1], 4) == []


def test_a_stream_before_its_first_row_is_at_the_start() -> None:
    stream = open_inventory([b"store,item,count\nB,a,1\n"], FileFormat.CSV)

    assert stream.position == ParsePosition(0, 1, {})
    assert next(stream) == InventoryRow("B", "a", 1, None, 2)
    assert stream.position.offset == len(b"store,item,count\nB,a,1\n")


def test_a_position_of_another_format_is_refused() -> None:
    position = ParsePosition(10, 2, {"format": "json", "layout": "lines"})

    with pytest.raises(ValueError, match="cannot resume"):
        open_inventory([b""], FileFormat.CSV, start=position)
