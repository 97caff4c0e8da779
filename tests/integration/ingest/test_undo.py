"""Undoing an applied upload, on moto, after real uploads through the handler: the items it set go back to
what they were (as new changes, stamped now), an item it created is retired, a newer upload always wins
over the undo (before it or racing it), and an undo done twice changes nothing the second time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import pytest
from ingest.dal.inventory import InventoryTable
from ingest.logic.undo import Undoer, Undone
from ingest.models.claim import Fence
from ingest.models.writes import ItemWrite, WriteOutcome
from inventory.models import SourceVersion
from inventory.table import AttributeMap
from inventory.uploads import store_prefix

from tests.builders import csv_file
from tests.integration.ingest.conftest import TABLE, IngestWorld

pytestmark = pytest.mark.integration

BERLIN = store_prefix("Berlin")
FULL_LIST = {"full-list": "true"}
LATER = "2026-12-07T12:00:00.000Z"


def source_of(world: IngestWorld, item: str, store: str = "Berlin") -> SourceVersion:
    stored = world.items(store)[item]
    return SourceVersion(stored["SourceTime"]["S"], stored["SourceKey"]["S"], stored.get("SourceSeq", {}).get("S", ""))


def undoer(table: Any = None) -> Undoer:
    inventory = InventoryTable(boto3.client("dynamodb", region_name="us-east-1"), TABLE)
    return Undoer(table or inventory, clock=lambda: LATER, default_threshold=5)


def test_an_undo_puts_back_what_the_upload_changed_as_new_changes(world: IngestWorld) -> None:
    # Given Monday's counts, then a bad file that zeroes them and sets a threshold
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Tap", 2)]))
    monday = world.items("Berlin")
    world.upload(f"{BERLIN}bad.csv", csv_file([("Berlin", "Echo Dot", 0, 7)], header="store,item,count,threshold"))
    bad = source_of(world, "Echo Dot")
    assert world.items("Berlin")["Echo Dot"]["AlertStatus"] == {"S": "out"}

    # When the bad file is undone
    undone = undoer().undo(["Berlin"], bad)

    # Then Echo Dot is as Monday left it (count, threshold, source, not out of stock), changed now;
    # Tap, which the bad file did not name, is untouched
    items = world.items("Berlin")
    echo = items["Echo Dot"]
    assert undone == Undone(restored=1)
    assert echo["Count"] == {"N": "9"}
    assert "Threshold" not in echo
    assert "AlertStatus" not in echo
    for name in ("SourceKey", "SourceTime", "SourceSeq", "SourceLine"):
        assert echo[name] == monday["Echo Dot"][name]
    assert echo["UpdatedAt"] == {"S": LATER}
    assert echo["Before"] == {"M": {}}  # what it was before Monday is not known
    assert items["Tap"] == monday["Tap"]


def test_an_undo_retires_an_item_the_upload_created_and_brings_back_what_its_full_list_retired(
    world: IngestWorld,
) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Tap", 2)]))
    key = f"{BERLIN}full.csv"
    world.upload(key, csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Kindle", 4)]), metadata=FULL_LIST)
    full = source_of(world, "Kindle")
    assert "Retired" in world.items("Berlin")["Tap"]

    undone = undoer().undo(["Berlin"], full)

    items = world.items("Berlin")
    assert undone == Undone(restored=2, retired=1)  # Echo Dot (relisted) and Tap back; Kindle retired
    assert "Retired" in items["Kindle"]
    assert "AlertStatus" not in items["Kindle"]
    assert "Retired" not in items["Tap"]
    assert items["Tap"]["AlertStatus"] == {"S": "low"}
    assert items["Tap"]["SourceKey"] == {"S": f"{BERLIN}monday.csv"}
    # A file naming Kindle again brings it back
    world.upload(f"{BERLIN}kindle.csv", csv_file([("Berlin", "Kindle", 3)]))
    assert "Retired" not in world.items("Berlin")["Kindle"]


def test_a_newer_upload_wins_over_an_undo_that_comes_after_it(world: IngestWorld) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Tap", 2)]))
    world.upload(f"{BERLIN}bad.csv", csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Tap", 0)]))
    bad = source_of(world, "Echo Dot")
    world.upload(f"{BERLIN}tuesday.csv", csv_file([("Berlin", "Echo Dot", 6)]))

    undone = undoer().undo(["Berlin"], bad)

    assert undone == Undone(restored=1)
    assert world.counts("Berlin") == {"Echo Dot": 6, "Tap": 2}


class _RacingTable:
    """The Inventory table, with a newer upload landing between the undo's read and its first write."""

    def __init__(self, world: IngestWorld, key: str, body: bytes) -> None:
        self._table = InventoryTable(world.dynamodb, TABLE)
        self._newer: tuple[IngestWorld, str, bytes] | None = (world, key, body)

    def items_of(self, store: str) -> Iterator[AttributeMap]:
        return self._table.items_of(store)

    def write_many(self, writes: Sequence[ItemWrite], deadline: float, fence: Fence | None = None) -> WriteOutcome:
        if self._newer is not None:
            world, key, body = self._newer
            self._newer = None
            world.upload(key, body)
        return self._table.write_many(writes, deadline, fence)


def test_an_undo_racing_a_newer_upload_leaves_the_newer_uploads_values(world: IngestWorld) -> None:
    # Given a bad file over Monday's counts
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9), ("Berlin", "Tap", 2)]))
    world.upload(f"{BERLIN}bad.csv", csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Tap", 0)]))
    bad = source_of(world, "Echo Dot")

    # When the undo has read both items as the bad file's, and Tuesday's file sets Echo Dot before it writes
    undone = undoer(_RacingTable(world, f"{BERLIN}tuesday.csv", csv_file([("Berlin", "Echo Dot", 6)]))).undo(
        ["Berlin"], bad
    )

    # Then Echo Dot keeps Tuesday's count (the undo's write of it is lost), and Tap is put back
    assert undone == Undone(restored=1, stale=1)
    assert world.counts("Berlin") == {"Echo Dot": 6, "Tap": 2}
    assert world.items("Berlin")["Echo Dot"]["SourceKey"] == {"S": f"{BERLIN}tuesday.csv"}


def test_an_undo_done_twice_changes_nothing_the_second_time(world: IngestWorld) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9)]))
    world.upload(f"{BERLIN}bad.csv", csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Kindle", 1)]))
    bad = source_of(world, "Echo Dot")
    assert undoer().undo(["Berlin"], bad) == Undone(restored=1, retired=1)
    after_first = world.items("Berlin")

    assert undoer().undo(["Berlin"], bad) == Undone()
    assert world.items("Berlin") == after_first


def test_an_item_set_twice_by_one_upload_goes_back_to_what_it_was_before_that_upload(world: IngestWorld) -> None:
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9)]))
    world.upload(f"{BERLIN}bad.csv", csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Echo Dot", 1)]))
    bad = source_of(world, "Echo Dot")

    assert undoer().undo(["Berlin"], bad) == Undone(restored=1)
    assert world.counts("Berlin") == {"Echo Dot": 9}


def test_undoing_the_upload_an_undo_went_back_to_leaves_its_items_as_they_are(world: IngestWorld) -> None:
    """What an item was before the upload an undo went back to is not known: undoing that upload too
    must neither retire the item nor guess."""
    world.upload(f"{BERLIN}monday.csv", csv_file([("Berlin", "Echo Dot", 9)]))
    world.upload(f"{BERLIN}tuesday.csv", csv_file([("Berlin", "Echo Dot", 4)]))
    tuesday = source_of(world, "Echo Dot")
    world.upload(f"{BERLIN}bad.csv", csv_file([("Berlin", "Echo Dot", 0)]))
    assert undoer().undo(["Berlin"], source_of(world, "Echo Dot")) == Undone(restored=1)

    assert undoer().undo(["Berlin"], tuesday) == Undone()
    assert world.counts("Berlin") == {"Echo Dot": 4}
    assert "Retired" not in world.items("Berlin")["Echo Dot"]
