"""An upload, delivered as S3 delivers it, lands in the table with its report and index row beside it."""

from __future__ import annotations

import pytest
from inventory.uploads import HEAD_OFFICE, MAX_KEY_BYTES, report_key, store_prefix

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
        "retired": 0,
    }  # fmt: skip
    assert report["source"]["bucket"] == BUCKET
    assert report["source"]["etag"]
    assert report["source"]["version_id"] == world.latest("uploads/inventory-berlin.csv").version_id
    assert report["stores"] == ["Berlin"]
    assert report["store"] is None  # a head-office file
    assert report["started_at"] <= report["finished_at"]
    world.assert_consistent("uploads/inventory-berlin.csv")


def test_the_index_row_lists_the_upload_under_its_scope_and_time(world: IngestWorld) -> None:
    delivered = world.put("uploads/inventory-berlin.csv", lab_file("berlin"))
    world.deliver(delivered)

    entry = world.entry("uploads/inventory-berlin.csv")
    assert entry.scope == HEAD_OFFICE
    assert entry.received_at == delivered.event_time
    assert entry.report_key == report_key("uploads/inventory-berlin.csv", delivered.version)
    assert entry.rows.written == 6


def test_items_carry_status_and_source_and_the_store_its_last_upload_time(world: IngestWorld) -> None:
    delivered = world.put("uploads/berlin.csv", lab_file("berlin"))
    world.deliver(delivered)

    items = world.items("Berlin")
    assert items["Echo Plus"]["AlertStatus"] == {"S": "out"}
    assert "AlertStatus" not in items["Echo Dot"]
    assert items["Echo Dot"]["SourceKey"] == {"S": "uploads/berlin.csv"}
    assert world.last_upload_at("Berlin") == delivered.event_time


def test_last_upload_time_only_moves_forward(world: IngestWorld) -> None:
    world.upload("uploads/tuesday.csv", lab_file("berlin"), event_time="2026-01-06T09:00:00.000Z")
    world.upload("uploads/monday.csv", lab_file("berlin"), event_time="2026-01-05T09:00:00.000Z")

    assert world.last_upload_at("Berlin") == "2026-01-06T09:00:00.000Z"


def test_reupload_of_unchanged_file_writes_nothing(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))
    world.upload("uploads/berlin-again.csv", lab_file("berlin"))

    rows = world.report("uploads/berlin-again.csv")["rows"]
    assert rows["written"] == 0
    assert rows["unchanged"] == 6
    assert world.items("Berlin")["Echo Dot"]["SourceKey"] == {"S": "uploads/berlin.csv"}


def test_a_new_version_of_the_same_key_gets_a_report_of_its_own(world: IngestWorld) -> None:
    first = world.put("uploads/berlin.csv", csv_file([("Berlin", "Echo Dot", 1)]))
    world.deliver(first)
    second = world.put("uploads/berlin.csv", csv_file([("Berlin", "Echo Dot", 2)]))
    world.deliver(second)

    assert world.report("uploads/berlin.csv", first)["rows"]["written"] == 1
    assert world.report("uploads/berlin.csv", second)["rows"]["written"] == 1
    assert world.counts("Berlin") == {"Echo Dot": 2}
    assert len(world.reports()) == 2


def test_older_file_never_sets_an_item_back(world: IngestWorld) -> None:
    monday = world.put("uploads/monday.csv", csv_file([("Berlin", "Echo Dot", 1)]), event_time="2026-01-05T09:00:00Z")
    world.upload("uploads/tuesday.csv", csv_file([("Berlin", "Echo Dot", 9)]))

    # Monday's event arrives late: S3 delivers events unordered.
    world.deliver(monday)

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
    berlin = world.put("uploads/berlin.csv", lab_file("berlin"))
    karachi = world.put("uploads/karachi.csv", lab_file("karachi"))

    result = world.deliver(berlin, karachi)

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
    world.assert_consistent("uploads/mixed.csv")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
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
    world.assert_consistent("uploads/bad.csv")


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


# -- which objects are loaded -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Berlin.CSV", "Berlin.Json", "berlin.JSONL"])
def test_extensions_are_recognised_in_any_case(world: IngestWorld, name: str) -> None:
    record = b'{"store": "Berlin", "item": "Echo Dot", "count": 3}'
    extension = name[name.rindex(".") :].lower()
    body = {".csv": lab_file("berlin"), ".json": b"[" + record + b"]", ".jsonl": record}[extension]
    world.upload(f"uploads/{name}", body)

    assert world.report(f"uploads/{name}")["status"] == "ok"
    assert "Echo Dot" in world.counts("Berlin")


def test_anything_else_under_the_prefix_gets_a_failed_report_naming_the_accepted_extensions(world: IngestWorld) -> None:
    world.upload("uploads/notes.txt", b"store,item,count\nBerlin,Echo Dot,3\n")

    report = world.report("uploads/notes.txt")
    assert report["status"] == "failed"
    assert ".csv" in report["reason"]
    assert ".jsonl" in report["reason"]
    assert "any case" in report["reason"]
    assert world.counts("Berlin") == {}
    world.assert_consistent("uploads/notes.txt")


def test_reports_and_other_objects_are_never_ingested(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))
    reports = world.reports()
    world.upload(reports[0], b"{}")

    assert world.reports() == reports


def test_objects_outside_the_upload_prefix_are_not_ingested(world: IngestWorld) -> None:
    world.upload("elsewhere/berlin.csv", lab_file("berlin"))

    assert world.counts("Berlin") == {}
    assert world.reports() == []


def test_uploaded_file_is_never_modified_or_deleted(world: IngestWorld) -> None:
    body = lab_file("berlin")
    world.upload("uploads/berlin.csv", body)

    versions = world.s3.list_object_versions(Bucket=BUCKET, Prefix="uploads/berlin.csv")["Versions"]
    assert len(versions) == 1
    assert world.s3.get_object(Bucket=BUCKET, Key="uploads/berlin.csv")["Body"].read() == body


def test_a_key_too_long_for_a_direct_report_name_gets_a_bounded_one_the_index_points_to(world: IngestWorld) -> None:
    key = "uploads/" + "long-name-" * 100 + ".csv"
    assert len(key.encode()) <= MAX_KEY_BYTES < len(f"reports/{key}/v.json".encode())

    world.upload(key, lab_file("berlin"))

    entry = world.entry(key)
    assert entry.report_key.startswith("reports/_long/")
    assert world.report(key)["status"] == "ok"
    assert world.reports() == [entry.report_key]


# -- store uploads ----------------------------------------------------------------------------------


def test_a_store_file_naming_another_store_changes_nothing_there_and_reports_the_line(world: IngestWorld) -> None:
    # Given Karachi's stock as Karachi itself reported it
    world.upload("uploads/karachi.csv", csv_file([("Karachi", "Echo Dot", 7)]))
    before = world.items("Karachi")
    key = store_prefix("Berlin") + "grant-1/stock.csv"

    # When a file uploaded for Berlin sets Karachi's Echo Dot to 0 on line 3
    world.upload(key, csv_file([("Berlin", "Echo Dot", 4), ("Karachi", "Echo Dot", 0), ("Berlin", "Echo Show", 2)]))

    # Then Karachi is untouched, the line is reported with the reason, and Berlin's rows land
    assert world.items("Karachi") == before
    report = world.report(key)
    assert report["status"] == "partial"
    assert report["store"] == "Berlin"
    assert report["errors"] == [
        {"line": 3, "reason": "this file was uploaded for store 'Berlin'; it may not change 'Karachi'"}
    ]
    assert world.counts("Berlin") == {"Echo Dot": 4, "Echo Show": 2}
    assert world.entry(key).scope == "Berlin"
    assert world.last_upload_at("Karachi") < world.last_upload_at("Berlin")  # type: ignore[operator]
    world.assert_consistent(key)


def test_a_store_named_with_slashes_and_spaces_is_one_folder_and_its_own_scope(world: IngestWorld) -> None:
    store = "São Paulo / Centro #2"
    key = store_prefix(store) + "grant/inventário.CSV"

    world.upload(key, csv_file([(store, "Echo Dot", 3)]))

    assert world.report(key)["status"] == "ok"
    assert world.entry(key).scope == store
    assert world.counts(store) == {"Echo Dot": 3}


def test_a_store_folder_named_like_head_office_changes_no_store(world: IngestWorld) -> None:
    # Given a file under the folder of a store called "*" (head office's scope in the uploads
    # index): were "*" a store, its file would be a head-office file and change any store
    key = "uploads/stores/%2A/grant/stock.csv"

    world.upload(key, csv_file([("Berlin", "Echo Dot", 3), ("*", "Echo Dot", 1)]))

    report = world.report(key)
    assert report["status"] == "failed"
    assert "reserved: head office is a role" in report["reason"]
    assert world.counts("Berlin") == {}
    world.assert_consistent(key)


def test_rows_naming_head_office_as_a_store_are_rejected_with_their_line(world: IngestWorld) -> None:
    world.upload("uploads/all.csv", csv_file([("Berlin", "Echo Dot", 3), ("*", "Echo Dot", 1)]))

    report = world.report("uploads/all.csv")
    assert report["status"] == "partial"
    assert [error["line"] for error in report["errors"]] == [3]
    assert "reserved" in report["errors"][0]["reason"]
    assert world.counts("Berlin") == {"Echo Dot": 3}
    assert world.counts("*") == {}


def test_a_malformed_store_folder_gets_a_failed_report_saying_why(world: IngestWorld) -> None:
    key = "uploads/stores/%42erlin/grant/stock.csv"

    world.upload(key, csv_file([("Berlin", "Echo Dot", 3)]))

    report = world.report(key)
    assert report["status"] == "failed"
    assert "store folder" in report["reason"]
    assert world.counts("Berlin") == {}
    assert world.entry(key).scope == HEAD_OFFICE  # no store can be named: head office sees it
    world.assert_consistent(key)


def test_the_uploader_is_the_signed_metadata_of_a_dashboard_upload(world: IngestWorld) -> None:
    key = store_prefix("Berlin") + "grant/stock.csv"

    world.upload(
        key,
        csv_file([("Berlin", "Echo Dot", 3)]),
        metadata={"uploaded-by": "berlin-manager"},
        principal=world.api_principal,
    )

    assert world.report(key)["uploaded_by"] == "berlin-manager"
    assert world.report(key)["principal"] == world.api_principal
    assert world.entry(key).uploaded_by == "berlin-manager"


@pytest.mark.parametrize(
    "principal",
    [
        "AWS:AROAOPERATORROLE0001:ops-script",  # an operator's script with a role of its own
        "AWS:AROAOPERATORROLE0001:inventory-dashboard-api-test-api",  # ... naming its session as the API's
        "AWS:AIDAHEADOFFICEUSER01",  # an IAM user
    ],
)
def test_uploaded_by_metadata_put_by_anyone_but_the_api_is_not_believed(world: IngestWorld, principal: str) -> None:
    # Given a file put with uploaded-by metadata naming a store manager, by someone who is not the API
    key = store_prefix("Berlin") + "forged/stock.csv"

    world.upload(
        key, csv_file([("Berlin", "Echo Dot", 3)]), metadata={"uploaded-by": "berlin-manager"}, principal=principal
    )

    # Then the report names who really put it, and records the principal
    report = world.report(key)
    assert report["uploaded_by"] == principal
    assert report["principal"] == principal
    assert world.entry(key).uploaded_by == principal


@pytest.mark.parametrize(
    ("returned", "uploader"),
    [("=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=", "Jürgen Müller"), ("=?UTF-8?Q?Fran=C3=A7oise?=", "Françoise")],
)
def test_a_non_ascii_uploader_is_decoded_from_the_form_s3_returns(
    world: IngestWorld, returned: str, uploader: str
) -> None:
    # S3 returns a metadata value with non-ASCII characters as RFC 2047 encoded words. moto hands
    # back what it was given, so the object is put with the value in the form S3 returns it.
    key = store_prefix("Berlin") + "grant/stock.csv"

    world.upload(
        key, csv_file([("Berlin", "Echo Dot", 3)]), metadata={"uploaded-by": returned}, principal=world.api_principal
    )

    assert world.report(key)["uploaded_by"] == uploader
    assert world.entry(key).uploaded_by == uploader


def test_the_uploader_of_a_cli_upload_is_the_events_principal(world: IngestWorld) -> None:
    world.upload("uploads/berlin.csv", lab_file("berlin"))

    assert world.report("uploads/berlin.csv")["uploaded_by"] == "EXAMPLE"  # userIdentity.principalId
    assert world.report("uploads/berlin.csv")["principal"] == "EXAMPLE"
