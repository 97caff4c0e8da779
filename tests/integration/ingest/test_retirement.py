"""A full list (``x-amz-meta-full-list: true``) retires the items of its store it omits, through the real
handler on moto: written as a change under the newer-upload-wins rule and the upload's lease, counted as
``retired`` in the report; a later file naming an item brings it back."""

from __future__ import annotations

from typing import Any

import pytest
from inventory.uploads import store_prefix

from tests.builders import LambdaContext, csv_file
from tests.integration.ingest.conftest import STORES, IngestWorld
from tests.integration.ingest.test_faults import quiet_first_invocation

pytestmark = pytest.mark.integration

BERLIN = store_prefix("Berlin")
FULL_LIST = {"full-list": "true"}


def retired(world: IngestWorld, store: str = "Berlin") -> set[str]:
    return {name for name, item in world.items(store).items() if "Retired" in item}


def last_full_list_at(world: IngestWorld, store: str) -> str | None:
    item = world.dynamodb.get_item(TableName=STORES, Key={"Store": {"S": store}}).get("Item", {})
    return item.get("LastFullListAt", {}).get("S")


def test_a_full_list_retires_the_items_of_its_store_it_omits(world: IngestWorld) -> None:
    # Given Berlin's items, one of them out of stock
    world.upload(
        f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 0), ("Berlin", "Kindle", 8)])
    )
    monday = world.items("Berlin")

    # When Berlin sends its full list without Tap, Echo Dot unchanged
    key = f"{BERLIN}tuesday.csv"
    world.upload(key, csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Kindle", 7)]), metadata=FULL_LIST)

    # Then Tap is retired: its count kept, out of the alerts index; the others are not
    items = world.items("Berlin")
    assert retired(world) == {"Tap"}
    assert items["Tap"]["Count"] == {"N": "0"}
    assert "AlertStatus" not in items["Tap"]
    assert items["Tap"]["SourceKey"] == {"S": key}
    # Echo Dot is marked as listed by the full list, its count and the time it was set kept
    assert items["Echo Dot"]["SourceKey"] == {"S": key}
    assert items["Echo Dot"]["UpdatedAt"] == monday["Echo Dot"]["UpdatedAt"]
    report = world.assert_consistent(key)
    assert (report.status, report.rows.written, report.rows.unchanged, report.rows.retired) == ("ok", 1, 1, 1)
    assert last_full_list_at(world, "Berlin") == world.latest(key).event_time


def test_a_file_naming_a_retired_item_brings_it_back_and_one_without_the_flag_retires_nothing(
    world: IngestWorld,
) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 0)]))
    world.upload(f"{BERLIN}tuesday.csv", csv_file([("Berlin", "Echo Dot", 5)]), metadata=FULL_LIST)
    assert retired(world) == {"Tap"}

    # When a file that is not a full list names Tap again, at the same count
    key = f"{BERLIN}wednesday.csv"
    world.upload(key, csv_file([("Berlin", "Tap", 0)]))

    # Then Tap is back (out of stock again), and Echo Dot, which that file omitted, stays
    items = world.items("Berlin")
    assert retired(world) == set()
    assert items["Tap"]["AlertStatus"] == {"S": "out"}
    report = world.assert_consistent(key)
    assert (report.rows.written, report.rows.retired) == (1, 0)


def test_an_older_full_list_cannot_retire_an_item_a_newer_upload_set(world: IngestWorld) -> None:
    # Given Tap and Kindle from Monday, and a full list from Tuesday 10:00 (without Tap or Kindle)
    # that arrives only after a file from Tuesday 11:00 set Tap
    world.upload(
        f"{BERLIN}monday.csv",
        csv_file([("Berlin", "Tap", 4), ("Berlin", "Kindle", 9)]),
        event_time="2026-11-23T09:00:00.000Z",
    )
    late = world.put(f"{BERLIN}full.csv", csv_file([("Berlin", "Echo Dot", 5)]), "2026-11-24T10:00:00.000Z", FULL_LIST)
    world.upload(f"{BERLIN}tap.csv", csv_file([("Berlin", "Tap", 3)]), event_time="2026-11-24T11:00:00.000Z")

    # When the older full list is loaded
    world.deliver(late)

    # Then it retires Kindle (set before it) but not Tap, and says so
    assert retired(world) == {"Kindle"}
    assert world.counts("Berlin")["Tap"] == 3
    assert world.assert_consistent(late.key).rows.retired == 1


def test_a_full_list_with_a_rejected_row_retires_nothing(world: IngestWorld) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 0)]))

    # A row whose count cannot be read would otherwise retire its item
    key = f"{BERLIN}tuesday.csv"
    world.upload(key, csv_file([("Berlin", "Echo Dot", 4), ("Berlin", "Tap", "lots")]), metadata=FULL_LIST)

    assert retired(world) == set()
    report = world.assert_consistent(key)
    assert (report.status, report.rows.written, report.rows.retired) == ("partial", 1, 0)
    assert "retires nothing" in str(report.reason)
    assert last_full_list_at(world, "Berlin") is None


def test_a_head_office_full_list_retires_in_each_store_it_names(world: IngestWorld) -> None:
    world.upload(
        "uploads/monday.csv",
        csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 2), ("Karachi", "Tap", 1), ("Lahore", "Tap", 1)]),
    )

    world.upload(
        "uploads/tuesday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Karachi", "Kindle", 3)]), metadata=FULL_LIST
    )

    assert (retired(world, "Berlin"), retired(world, "Karachi"), retired(world, "Lahore")) == ({"Tap"}, {"Tap"}, set())
    assert world.assert_consistent("uploads/tuesday.csv").rows.retired == 2


def test_a_zombie_invocation_woken_after_a_takeover_retires_nothing(world: IngestWorld) -> None:
    # Given Berlin's items, and a full list whose first invocation goes quiet on its first retirement
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 0)]))
    key = f"{BERLIN}tuesday.csv"
    delivered = world.put(key, csv_file([("Berlin", "Echo Dot", 5)]), metadata=FULL_LIST)

    def a_retirement(params: dict[str, Any]) -> bool:
        return "#retired = :retired" in params["TransactItems"][0].get("Update", {}).get("UpdateExpression", "")

    # When a second delivery takes the upload over and finishes it, and only then the first wakes
    with quiet_first_invocation(world, delivered, stalls=a_retirement) as outcome:
        world.deliver(delivered, context=LambdaContext(request_id="second"))
        items_before, report_before = world.items("Berlin"), world.report(key)

    # Then the first stood down: Tap was retired once, by the second, and not one attribute rewritten
    assert outcome == {"result": {"files": [{"key": key, "skipped": "another invocation took the upload over"}]}}
    assert world.items("Berlin") == items_before
    assert retired(world) == {"Tap"}
    assert world.report(key) == report_before
    assert world.assert_consistent(key).rows.retired == 1


def test_a_store_that_asked_has_every_file_read_as_its_full_list(world: IngestWorld) -> None:
    # Given Berlin's items, and Berlin's row saying its files are full lists (the dashboard's setting)
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 0)]))
    world.dynamodb.update_item(
        TableName=STORES,
        Key={"Store": {"S": "Berlin"}},
        UpdateExpression="SET #full = :yes",
        ExpressionAttributeNames={"#full": "FullList"},
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )

    # When Berlin sends a file without Tap and without the full-list metadata
    key = f"{BERLIN}tuesday.csv"
    world.upload(key, csv_file([("Berlin", "Echo Dot", 5)]))

    # Then Tap is retired as by a full list, and Berlin is marked as listed in full
    assert retired(world) == {"Tap"}
    report = world.assert_consistent(key)
    assert (report.status, report.rows.retired) == ("ok", 1)
    assert last_full_list_at(world, "Berlin") == world.latest(key).event_time


def test_a_store_setting_does_not_make_a_head_office_file_a_full_list(world: IngestWorld) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Tap", 0)]))
    world.dynamodb.update_item(
        TableName=STORES,
        Key={"Store": {"S": "Berlin"}},
        UpdateExpression="SET #full = :yes",
        ExpressionAttributeNames={"#full": "FullList"},
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )

    key = "uploads/tuesday.csv"
    world.upload(key, csv_file([("Berlin", "Echo Dot", 6)]))

    assert retired(world) == set()
    assert world.assert_consistent(key).rows.retired == 0
