"""What a write does to a stored item: thresholds back to the default, attributes other writers keep,
S3's sequencers compared as AWS says, and a deleted upload left unloaded."""

from __future__ import annotations

import json

import pytest

from tests.builders import csv_file
from tests.integration.ingest.conftest import BUCKET, TABLE, IngestWorld

pytestmark = pytest.mark.integration

KEY = "uploads/berlin.csv"


def threshold_of(world: IngestWorld, item: str) -> int | None:
    stored = world.items("Berlin")[item].get("Threshold")
    return None if stored is None else int(stored["N"])


def test_an_empty_threshold_cell_or_json_null_puts_the_item_back_on_the_default(world: IngestWorld) -> None:
    # Given two items with thresholds of their own
    world.upload(
        KEY, csv_file([("Berlin", "Echo Dot", 4, 9), ("Berlin", "Echo Show", 4, 9)], "store,item,count,threshold")
    )

    # When a CSV leaves one cell empty and a JSON file says null for the other
    world.upload(KEY, csv_file([("Berlin", "Echo Dot", 4, "")], "store,item,count,threshold"))
    world.upload(
        "uploads/berlin.json",
        json.dumps([{"store": "Berlin", "item": "Echo Show", "count": 4, "threshold": None}]).encode(),
    )

    # Then both are back on the stage default (5): 4 is low, and the alert index says so
    items = world.items("Berlin")
    assert threshold_of(world, "Echo Dot") is None
    assert threshold_of(world, "Echo Show") is None
    assert items["Echo Dot"]["AlertStatus"] == items["Echo Show"]["AlertStatus"] == {"S": "low"}


def test_a_file_without_a_threshold_column_keeps_every_items_threshold(world: IngestWorld) -> None:
    world.upload(KEY, csv_file([("Berlin", "Echo Dot", 20, 9)], "store,item,count,threshold"))

    world.upload(KEY, csv_file([("Berlin", "Echo Dot", 8)]))

    assert threshold_of(world, "Echo Dot") == 9
    assert world.items("Berlin")["Echo Dot"]["AlertStatus"] == {"S": "low"}  # 8 is low under its own 9


def test_attributes_other_writers_keep_on_an_item_survive_a_rewrite(world: IngestWorld) -> None:
    world.upload(KEY, csv_file([("Berlin", "Echo Dot", 3, 1)], "store,item,count,threshold"))
    world.dynamodb.update_item(
        TableName=TABLE,
        Key={"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}},
        UpdateExpression="SET #note = :note",
        ExpressionAttributeNames={"#note": "ShelfNote"},
        ExpressionAttributeValues={":note": {"S": "aisle 4"}},
    )

    world.upload(KEY, csv_file([("Berlin", "Echo Dot", 0, "")], "store,item,count,threshold"))

    item = world.items("Berlin")["Echo Dot"]
    assert item["ShelfNote"] == {"S": "aisle 4"}
    assert (item["Count"], item["AlertStatus"]) == ({"N": "0"}, {"S": "out"})
    assert "Threshold" not in item  # the attributes ingest owns follow the file


def test_sequencers_of_different_lengths_are_compared_right_padded_whatever_the_delivery_order(
    world: IngestWorld,
) -> None:
    # Given two versions of one key with the same event time; the later one's sequencer is shorter
    # (AWS: right-pad the shorter with zeros, then compare): 00C0 -> 00C00 > 00B0F, in any case
    # (as text, "00b0F" > "00C0": the condition in DynamoDB compares the stored, padded form)
    v1 = world.put(KEY, csv_file([("Berlin", "Echo Dot", 1)]), "2026-11-22T09:00:00.000Z")
    v2 = world.put(KEY, csv_file([("Berlin", "Echo Dot", 2)]), "2026-11-22T09:00:00.000Z")
    v1.sequencer, v2.sequencer = "00b0F", "00C0"

    # When the later version's event arrives first
    world.deliver(v2)
    world.deliver(v1)

    # Then the item keeps the later version's count, and the earlier one is counted stale
    assert world.counts("Berlin") == {"Echo Dot": 2}
    assert world.report_model(KEY, v1).rows.stale == 1
    assert world.items("Berlin")["Echo Dot"]["SourceSeq"]["S"] == "00C0".ljust(32, "0")


def test_an_upload_deleted_before_it_is_loaded_is_not_loaded(world: IngestWorld) -> None:
    # Given a file whose key was deleted (a delete marker) before its event was handled
    delivered = world.put(KEY, csv_file([("Berlin", "Echo Dot", 0)]))
    world.s3.delete_object(Bucket=BUCKET, Key=KEY)

    world.deliver(delivered)

    # Then nothing is loaded and the report says why
    report = world.assert_consistent(KEY)
    assert report.status == "failed"
    assert "deleted before it could be loaded" in (report.reason or "")
    assert world.counts("Berlin") == {}


def test_an_older_version_of_a_key_that_was_overwritten_still_loads(world: IngestWorld) -> None:
    """Only a delete marker stops a load: an overwritten version is ordered by the newer-upload rule."""
    v1 = world.put(KEY, csv_file([("Berlin", "Echo Dot", 1), ("Berlin", "Echo Show", 7)]), "2026-11-22T09:00:00.000Z")
    world.put(KEY, csv_file([("Berlin", "Echo Dot", 2)]), "2026-11-22T09:05:00.000Z")

    world.deliver(v1)

    assert world.counts("Berlin") == {"Echo Dot": 1, "Echo Show": 7}
