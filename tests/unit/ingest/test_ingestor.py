"""One file end to end through the ingest logic, with in-memory bucket and table."""

from __future__ import annotations

import pytest
from ingest.dal.inventory import Backoff, InventoryTable
from ingest.logic.ingest import Ingestor, RetryLater
from ingest.logic.loader import Loader
from ingest.models.upload import Upload

from tests.builders import lab_file
from tests.fakes import FakeDynamoDB, FakeStoreSummaries, FakeUploadBucket

pytestmark = pytest.mark.unit


def ingestor(bucket: FakeUploadBucket, db: FakeDynamoDB, stores: FakeStoreSummaries | None = None) -> Ingestor:
    table = InventoryTable(db, "inventory", Backoff(sleep=lambda _: None, max_attempts=3))
    return Ingestor(
        bucket=bucket,  # type: ignore[arg-type]
        loader=Loader(table, default_threshold=5, concurrency=2, clock=lambda: "now"),
        stores=stores or FakeStoreSummaries(),  # type: ignore[arg-type]
        upload_prefix="uploads/",
        reports_prefix="reports/",
        clock=lambda: "now",
    )


def test_a_busy_table_asks_for_a_retry_and_says_so_in_the_report() -> None:
    bucket, db = FakeUploadBucket({"uploads/b.csv": lab_file("berlin")}), FakeDynamoDB()
    db.throttle = 1000

    with pytest.raises(RetryLater):
        ingestor(bucket, db).ingest(Upload("bucket", "uploads/b.csv"))

    report = bucket.reports["reports/uploads/b.csv.json"]
    assert "retried automatically" in report["reason"]


def test_a_vanished_upload_gets_a_failed_report_not_an_error() -> None:
    bucket = FakeUploadBucket()

    report = ingestor(bucket, FakeDynamoDB()).ingest(Upload("bucket", "uploads/gone.csv"))

    assert report.status == "failed"
    assert "no longer exists" in (report.reason or "")


def test_a_file_broken_halfway_keeps_the_rows_before_the_break() -> None:
    body = b'[{"store": "B", "item": "a", "count": 1},\n{"store": "B", "item": "b", "count": 2} oops'
    bucket, db, stores = FakeUploadBucket({"uploads/b.json": body}), FakeDynamoDB(), FakeStoreSummaries()

    report = ingestor(bucket, db, stores).ingest(Upload("bucket", "uploads/b.json"))

    assert report.status == "partial"
    assert len(db.items) == 2
    assert [(store, change.items) for store, change in stores.applied] == [("B", 2)]
    assert report.errors[-1].line == 2
    assert "the rest of the file was not read" in report.errors[-1].reason


def test_other_file_types_are_refused_with_a_reason() -> None:
    bucket = FakeUploadBucket({"uploads/b.xls": b"\xd0\xcf\x11\xe0"})

    report = ingestor(bucket, FakeDynamoDB()).ingest(Upload("bucket", "uploads/b.xls"))

    assert report.status == "failed"
    assert ".csv, .json or .jsonl" in (report.reason or "")
