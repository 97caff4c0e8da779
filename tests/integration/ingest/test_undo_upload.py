"""Undoing an applied upload end to end on moto: the decision written on the row by the dashboard API's own
data access (as ``POST /uploads/undo`` does), then ingest's handler on the resume event the API sends. The
items go back to what they were, the report and the index row turn ``undone`` with the counts, a newer
upload wins over the undo, and a repeated event changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_api.dal.uploads import UploadIndex
from ingest.models.errors import RetryLater
from inventory.uploads import UNDO, resume_event, store_prefix

from tests.builders import LambdaContext, csv_file
from tests.integration.ingest.conftest import BUCKET, UPLOADS, IngestWorld, aws_error

pytestmark = pytest.mark.integration

BERLIN = store_prefix("Berlin")
MONDAY = f"{BERLIN}monday.csv"
BAD = f"{BERLIN}bad.csv"


def undo(world: IngestWorld, key: str, by: str = "ravi") -> None:
    """What ``POST /uploads/undo`` does: the row, then ingest's own event."""
    version = world.latest(key).version
    assert UploadIndex(world.dynamodb, UPLOADS).decide(key, version, UNDO, by)
    resume(world, key)


def resume(world: IngestWorld, key: str) -> None:
    from ingest.handlers.upload import handler

    handler(resume_event(BUCKET, key, world.latest(key).version), LambdaContext())


def monday_then_bad(world: IngestWorld) -> None:
    world.upload(MONDAY, csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Tap", 2), ("Berlin", "Kindle", 4)]))
    world.upload(BAD, csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Fire TV", 3)]))
    assert world.report(BAD)["status"] == "ok"


def test_an_applied_upload_undone_puts_its_items_back_and_its_report_says_undone(world: IngestWorld) -> None:
    monday_then_bad(world)
    applied = world.report_model(BAD)

    undo(world, BAD)

    assert world.counts("Berlin") == {"Echo Dot": 9, "Tap": 2, "Kindle": 4, "Fire TV": 3}
    assert "Retired" in world.items("Berlin")["Fire TV"]  # the bad file created it: retired
    assert "Retired" not in world.items("Berlin")["Echo Dot"]
    report = world.assert_consistent(BAD)
    assert report.status == "undone"
    assert report.reason == "Undone by ravi: 1 item put back as it was, 1 item it created retired."
    assert report.rows == applied.rows  # the file's own tallies stand
    assert report.started_at == applied.started_at
    row = world.index_row(BAD)
    assert row["Decision"] == {"S": "undo"}
    assert row["DecidedBy"] == {"S": "ravi"}


def test_a_newer_upload_before_the_undo_wins(world: IngestWorld) -> None:
    monday_then_bad(world)
    world.upload(f"{BERLIN}tuesday.csv", csv_file([("Berlin", "Echo Dot", 7)]))

    undo(world, BAD)

    assert world.counts("Berlin")["Echo Dot"] == 7
    assert "Retired" in world.items("Berlin")["Fire TV"]
    report = world.assert_consistent(BAD)
    assert report.status == "undone"
    assert report.reason is not None
    assert report.reason == "Undone by ravi: 1 item it created retired."  # Echo Dot is the newer upload's


def test_an_undo_is_done_once_and_a_repeated_event_changes_nothing(world: IngestWorld) -> None:
    monday_then_bad(world)
    undo(world, BAD)
    items = world.items("Berlin")
    report = world.report(BAD)
    row = world.index_row(BAD)

    resume(world, BAD)  # Lambda delivers the API's event again
    world.deliver(world.latest(BAD))  # and S3 its event
    again = UploadIndex(world.dynamodb, UPLOADS).decide(BAD, world.latest(BAD).version, UNDO, "ravi")

    assert again is False  # the dashboard API answers 409
    assert world.items("Berlin") == items
    assert world.report(BAD) == report
    assert world.index_row(BAD) == row


def test_a_head_office_upload_is_undone_in_every_store_it_named(world: IngestWorld) -> None:
    world.upload(MONDAY, csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Tap", 2)]))
    world.upload("uploads/karachi.csv", csv_file([("Karachi", "Echo Dot", 5), ("Karachi", "Tap", 1)]))
    world.upload("uploads/all.csv", csv_file([("Berlin", "Echo Dot", 1), ("Karachi", "Tap", 0)]))

    undo(world, "uploads/all.csv", by="head-office")

    assert world.counts("Berlin") == {"Echo Dot": 9, "Tap": 2}
    assert world.counts("Karachi") == {"Echo Dot": 5, "Tap": 1}
    assert world.assert_consistent("uploads/all.csv").status == "undone"


def test_an_undo_cut_short_by_the_table_is_finished_by_lambdas_retry(world: IngestWorld) -> None:
    monday_then_bad(world)
    applied = world.report_model(BAD)
    outage = {"on": True}

    def table_down(params: dict[str, Any], **_: Any) -> Any:
        return aws_error("InternalServerError", 500) if outage["on"] else None

    world.hook("before-call.dynamodb.TransactWriteItems", table_down)
    with pytest.raises(RetryLater):
        undo(world, BAD)
    assert world.report(BAD)["status"] == "retrying"
    assert world.counts("Berlin")["Echo Dot"] == 0

    outage["on"] = False
    resume(world, BAD)  # Lambda's retry of the same event

    report = world.assert_consistent(BAD)
    assert report.status == "undone"
    assert report.rows == applied.rows
    assert world.counts("Berlin")["Echo Dot"] == 9
