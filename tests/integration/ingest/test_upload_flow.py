"""An upload, delivered as S3 delivers it, lands in the table with a report beside it."""

from __future__ import annotations

import pytest

from tests.builders import csv_file, lab_file
from tests.integration.ingest.conftest import BUCKET, IngestWorld

pytestmark = pytest.mark.integration


def test_lab_file_loads_every_row_and_reports_ok(world: IngestWorld) -> None:
    world.upload("uploads/inventory-berlin.csv", lab_file("berlin"))

    assert world.counts("Berlin") == {
        "Echo Dot": 12, "Echo (2nd Gen)": 19, "Echo Show": 18, "Echo Plus": 0, "Echo Look": 10, "Amazon Tap": 15,
    }  # fmt: skip
    report = world.report("uploads/inventory-berlin.csv")
    assert report["status"] == "ok"
    assert report["rows"] == {
        "read": 6, "accepted": 6, "rejected": 0, "written": 6, "unchanged": 0, "stale": 0, "duplicates": 0,
    }  # fmt: skip
    assert report["source"]["bucket"] == BUCKET
    assert report["source"]["etag"]
    assert report["stores"] == ["Berlin"]
    assert report["started_at"] <= report["finished_at"]


def test_items_carry_status_source_and_the_store_summary_follows(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))

    items = world.items("Berlin")
    assert items["Echo Plus"]["AlertStatus"] == {"S": "out"}
    assert "AlertStatus" not in items["Echo Dot"]
    assert items["Echo Dot"]["SourceKey"] == {"S": "uploads/berlin.csv"}
    assert world.summary("Berlin") == {"Items": 6, "Out": 1, "Low": 0}

    world.upload("uploads/berlin-2.csv", csv_file([("Berlin", "Echo Plus", 3), ("Berlin", "New Thing", 0)]))
    assert world.summary("Berlin") == {"Items": 7, "Out": 1, "Low": 1}


def test_reupload_of_unchanged_file_writes_nothing(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))
    world.upload("uploads/berlin-again.csv", lab_file("berlin"))

    rows = world.report("uploads/berlin-again.csv")["rows"]
    assert rows["written"] == 0
    assert rows["unchanged"] == 6
    assert world.items("Berlin")["Echo Dot"]["SourceKey"] == {"S": "uploads/berlin.csv"}


def test_replayed_event_changes_nothing(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))
    before = world.items("Berlin")

    world.deliver("uploads/berlin.csv")

    assert world.items("Berlin") == before
    assert world.report("uploads/berlin.csv")["rows"]["written"] == 0


def test_older_file_never_sets_an_item_back(world: IngestWorld) -> None:
    world.s3.put_object(Bucket=BUCKET, Key="uploads/monday.csv", Body=csv_file([("Berlin", "Echo Dot", 1)]))
    world.upload("uploads/tuesday.csv", csv_file([("Berlin", "Echo Dot", 9)]))

    # Monday's event arrives late: S3 delivers events unordered.
    world.deliver("uploads/monday.csv", event_time="2026-01-05T09:00:00.000Z")

    assert world.counts("Berlin") == {"Echo Dot": 9}
    assert world.report("uploads/monday.csv")["rows"]["stale"] == 1


def test_newer_file_replaces_an_older_level(world: IngestWorld) -> None:
    world.upload("uploads/monday.csv", csv_file([("Berlin", "Echo Dot", 1)]))
    world.upload("uploads/tuesday.csv", csv_file([("Berlin", "Echo Dot", 9)]))

    assert world.counts("Berlin") == {"Echo Dot": 9}
    assert world.report("uploads/tuesday.csv")["rows"]["written"] == 1


def test_keys_with_spaces_and_plus_signs_are_decoded(world: IngestWorld) -> None:
    key = "uploads/Berlin store/stock 1+1 März.csv"
    world.upload(key, lab_file("berlin"))

    assert world.report(key)["status"] == "ok"
    assert len(world.counts("Berlin")) == 6


def test_every_record_in_an_event_is_processed(world: IngestWorld) -> None:
    world.s3.put_object(Bucket=BUCKET, Key="uploads/berlin.csv", Body=lab_file("berlin"))
    world.s3.put_object(Bucket=BUCKET, Key="uploads/karachi.csv", Body=lab_file("karachi"))

    result = world.deliver("uploads/berlin.csv", "uploads/karachi.csv")

    assert [file["status"] for file in result["files"]] == ["ok", "ok"]
    assert len(world.counts("Berlin")) == 6
    assert len(world.counts("Karachi")) == 6


def test_bad_rows_are_reported_by_line_and_good_rows_still_land(world: IngestWorld) -> None:
    body = csv_file(
        [
            ("Berlin", "Echo Dot", 4),
            ("Berlin", "", 3),
            ("Berlin", "Echo Show", -2),
            ("Berlin", "Echo Plus", "many"),
            ("", "Echo Look", 1),
            ("Berlin", "Amazon Tap", 7),
        ]
    )
    world.upload("uploads/mixed.csv", body)

    report = world.report("uploads/mixed.csv")
    assert report["status"] == "partial"
    assert report["rows"]["accepted"] == 2
    assert report["rows"]["rejected"] == 4
    assert [error["line"] for error in report["errors"]] == [3, 4, 5, 6]
    assert "item is empty" in report["errors"][0]["reason"]
    assert "0 or more" in report["errors"][1]["reason"]
    assert world.counts("Berlin") == {"Echo Dot": 4, "Amazon Tap": 7}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"name,qty\nBerlin,3\n", "no recognisable header"),
        (b"store,item,count\n", "no inventory rows"),
    ],
)
def test_unreadable_files_fail_with_a_reason_and_do_not_raise(world: IngestWorld, body: bytes, reason: str) -> None:
    world.upload("uploads/bad.csv", body)

    report = world.report("uploads/bad.csv")
    assert report["status"] == "failed"
    assert reason in report["reason"]
    assert world.s3.get_object(Bucket=BUCKET, Key="uploads/bad.csv")["Body"].read() == body


def test_json_array_and_json_lines_load(world: IngestWorld) -> None:
    world.upload("uploads/a.json", b'[{"store": "Pusan", "item": "Echo Dot", "count": 3, "threshold": 4}]')
    world.upload("uploads/b.jsonl", b'{"Store": "Pusan", "Item": "Echo Show", "Count": "0"}\n')

    items = world.items("Pusan")
    assert items["Echo Dot"]["AlertStatus"] == {"S": "low"}
    assert items["Echo Dot"]["Threshold"] == {"N": "4"}
    assert items["Echo Show"]["AlertStatus"] == {"S": "out"}


def test_duplicate_item_in_a_file_last_row_wins(world: IngestWorld) -> None:
    world.upload("uploads/dup.csv", csv_file([("Berlin", "Echo Dot", 1), ("Berlin", "Echo Dot", 8)]))

    assert world.counts("Berlin") == {"Echo Dot": 8}
    assert world.report("uploads/dup.csv")["rows"]["duplicates"] == 1


def test_threshold_is_kept_when_a_later_file_has_no_threshold_column(world: IngestWorld) -> None:
    world.upload("uploads/t.csv", csv_file([("Berlin", "Echo Dot", 20, 10)], header="store,item,count,threshold"))
    world.upload("uploads/u.csv", csv_file([("Berlin", "Echo Dot", 9)]))

    item = world.items("Berlin")["Echo Dot"]
    assert item["Threshold"] == {"N": "10"}
    assert item["AlertStatus"] == {"S": "low"}


def test_reports_and_other_objects_are_never_ingested(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))
    world.deliver("reports/uploads/berlin.csv.json")

    assert world.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/reports/").get("KeyCount") == 0


def test_objects_outside_the_upload_prefix_are_not_ingested(world: IngestWorld) -> None:
    world.upload("elsewhere/berlin.csv", lab_file("berlin"))

    assert world.counts("Berlin") == {}
    assert world.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/").get("KeyCount") == 0


def test_uploaded_file_is_never_modified_or_deleted(world: IngestWorld) -> None:
    body = lab_file("berlin")
    world.upload("uploads/berlin.csv", body)

    versions = world.s3.list_object_versions(Bucket=BUCKET, Prefix="uploads/berlin.csv")["Versions"]
    assert len(versions) == 1
    assert world.s3.get_object(Bucket=BUCKET, Key="uploads/berlin.csv")["Body"].read() == body
