"""An undo's writes are announced like any change: ingest's own writers (a file's rows, then an undo of
that file) on the Inventory table, its stream delivered to the real alerts handler."""

from __future__ import annotations

import pytest
from ingest.dal.inventory import InventoryTable
from ingest.logic.undo import Undoer, Undone
from ingest.models.writes import ItemWrite
from inventory.models import SourceVersion
from inventory.table import StoredItem, to_attributes

from devstack.moto_transactions import fix_transactions
from tests.integration.alerts.conftest import INVENTORY, AlertsWorld

pytestmark = pytest.mark.integration

MONDAY = SourceVersion("2026-11-23T09:00:00.000Z", "uploads/stores/Berlin/monday.csv")
BAD = SourceVersion("2026-11-24T09:00:00.000Z", "uploads/stores/Berlin/bad.csv")


def row(source: SourceVersion, count: int, before: dict[str, dict[str, str]]) -> ItemWrite:
    stored = StoredItem("Berlin", "Echo Dot", count, None, source.time, source)
    return ItemWrite(("Berlin", "Echo Dot"), to_attributes(stored, 5), source, 2, before=before)


def test_an_undone_upload_is_announced_as_the_change_back(world: AlertsWorld) -> None:
    fix_transactions()  # as the local stack does: moto's own transactions stream a new item twice
    table = InventoryTable(world.dynamodb, INVENTORY)
    table.write_many([row(MONDAY, 9, before={})], deadline=60)
    monday = world.dynamodb.get_item(TableName=INVENTORY, Key={"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}})
    table.write_many([row(BAD, 0, before={k: v for k, v in monday["Item"].items() if k not in ("Store", "Item")})], 60)
    world.deliver()
    assert [note["Message"].splitlines()[1:] for note in world.notifications()] == [["OUT Echo Dot: 9 -> 0"]]

    undone = Undoer(table, clock=lambda: "2026-11-25T09:00:00.000Z", default_threshold=5).undo(["Berlin"], BAD)

    assert undone == Undone(restored=1)
    assert world.deliver() == {"batchItemFailures": []}
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1] == "RESTOCKED Echo Dot: 0 -> 9"
    assert world.totals("Berlin")[1] == 0  # no item out of stock
