"""The loader writes only what changed, in file order per item, and never sets an item back."""

from __future__ import annotations

import pytest
from ingest.dal.inventory import Backoff, InventoryTable
from ingest.logic.loader import Loader
from inventory.models import InventoryRow, RowError, SourceVersion
from inventory.report import UploadReport

from tests.fakes import FakeDynamoDB

pytestmark = pytest.mark.unit

MONDAY = SourceVersion("2026-01-05T09:00:00.000Z", "uploads/monday.csv")
TUESDAY = SourceVersion("2026-01-06T09:00:00.000Z", "uploads/tuesday.csv")


def load(db: FakeDynamoDB, rows: list, source: SourceVersion = MONDAY, concurrency: int = 3) -> UploadReport:
    table = InventoryTable(db, "inventory", Backoff(sleep=lambda _: None))
    loader = Loader(table, default_threshold=5, concurrency=concurrency, clock=lambda: "2026-01-07T00:00:00.000Z")
    report = UploadReport(bucket="b", key=source.key)
    loader.load(iter(rows), source, report)
    return report


def row(item: str, count: int, line: int = 2, threshold: int | None = None) -> InventoryRow:
    return InventoryRow("Berlin", item, count, threshold, line)


def counts(db: FakeDynamoDB) -> dict[str, int]:
    return {item: int(attrs["Count"]["N"]) for (_, item), attrs in db.items.items()}


def test_unchanged_rows_cost_reads_and_no_writes() -> None:
    db = FakeDynamoDB()
    load(db, [row(f"i{n}", n) for n in range(250)])
    db.calls.clear()

    report = load(db, [row(f"i{n}", n) for n in range(250)], TUESDAY)

    assert report.rows.unchanged == 250
    assert report.rows.written == 0
    assert "BatchWriteItem" not in db.calls
    assert db.calls.count("BatchGetItem") >= 3  # 100 keys per read


def test_only_changed_items_are_written() -> None:
    db = FakeDynamoDB()
    load(db, [row("a", 1), row("b", 2), row("c", 3)])

    report = load(db, [row("a", 1), row("b", 20), row("c", 3, threshold=1)], TUESDAY)

    assert (report.rows.written, report.rows.unchanged) == (2, 1)
    assert counts(db) == {"a": 1, "b": 20, "c": 3}


def test_an_older_upload_is_stale_and_leaves_the_item_alone() -> None:
    db = FakeDynamoDB()
    load(db, [row("a", 9)], TUESDAY)

    report = load(db, [row("a", 1)], MONDAY)

    assert report.rows.stale == 1
    assert counts(db) == {"a": 9}


def test_the_last_row_for_an_item_wins_whatever_the_distance() -> None:
    db = FakeDynamoDB()
    rows = [row("a", 1, line=2)] + [row(f"filler {n}", n) for n in range(500)] + [row("a", 7, line=503), row("a", 8)]

    report = load(db, rows)

    assert counts(db)["a"] == 8
    assert report.rows.duplicates >= 1
    assert report.rows.accepted == report.rows.written + report.rows.unchanged + report.rows.duplicates


def test_rejected_rows_are_counted_and_listed_and_the_rest_loads() -> None:
    db = FakeDynamoDB()

    report = load(db, [row("a", 1), RowError(3, "count is empty"), row("b", 2)])

    assert (report.rows.read, report.rows.accepted, report.rows.rejected) == (3, 2, 1)
    assert report.errors == [RowError(3, "count is empty")]
    assert counts(db) == {"a": 1, "b": 2}


def test_store_summary_changes_follow_status_transitions() -> None:
    db = FakeDynamoDB()
    first = Loader(InventoryTable(db, "t", Backoff(sleep=lambda _: None)), 5, 2, lambda: "t")
    changes = first.load(iter([row("a", 0), row("b", 3), row("c", 10)]), MONDAY, UploadReport("b", "k"))
    assert (changes["Berlin"].items, changes["Berlin"].out, changes["Berlin"].low) == (3, 1, 1)

    changes = first.load(iter([row("a", 10), row("b", 0), row("c", 10)]), TUESDAY, UploadReport("b", "k"))
    assert (changes["Berlin"].items, changes["Berlin"].out, changes["Berlin"].low) == (0, 0, -1)


def test_a_table_that_stays_unavailable_fails_the_load() -> None:
    db = FakeDynamoDB()
    db.throttle = 10_000

    with pytest.raises(Exception, match="throttled"):
        load(db, [row(f"i{n}", n) for n in range(300)])
