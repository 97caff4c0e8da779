"""Retired items (a full list of the store omitted them) through the real batch flow with fakes: out of the
totals, never announced, their forecast cleared; back like a new item when a file names them again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from alerts.logic.recount import Recounter
from alerts.logic.transitions import store_change, transition
from alerts.models.change import Alert, Level, StreamChangeRecord
from alerts.models.recount import CountedItem, StoreRow, Totals, Verdict
from inventory.stores import StoreChange

from tests.builders import count_change, inventory_image, stream_record
from tests.unit.alerts.conftest import AlertsWorld
from tests.unit.alerts.test_forecast_flow import Shelf, at, row, selling_ten_a_day

pytestmark = pytest.mark.unit


def retired(store: str, item: str, count: int, when: str) -> dict[str, Any]:
    image = inventory_image(store, item, count, updated_at=when)
    image["Retired"] = {"S": when}
    return image


def retirement(shelf: Shelf, day: float) -> dict[str, Any]:
    """The record of a full list retiring the shelf's item: count and threshold kept, ``Retired`` set."""
    assert shelf.count is not None
    old = inventory_image(shelf.store, shelf.item, shelf.count, updated_at=at(shelf.day))
    shelf.day = day
    return stream_record(retired(shelf.store, shelf.item, shelf.count, at(day)), old)


def listed_again(shelf: Shelf, count: int, day: float) -> dict[str, Any]:
    assert shelf.count is not None
    old = retired(shelf.store, shelf.item, shelf.count, at(shelf.day))
    shelf.count, shelf.day = count, day
    return stream_record(inventory_image(shelf.store, shelf.item, count, updated_at=at(day)), old)


def totals(world: AlertsWorld, store: str) -> tuple[int, int, int]:
    found = world.changes.totals.get(store, StoreChange())
    return found.items, found.out, found.low


def test_a_retired_out_item_leaves_the_totals_and_its_retirement_is_not_announced(world: AlertsWorld):
    dot, show = Shelf("Berlin", "Echo Dot"), Shelf("Berlin", "Echo Show")
    world.deliver(dot.to(0, 0), show.to(3, 0))
    assert totals(world, "Berlin") == (2, 1, 1)
    digests = len(world.topic.published)

    assert world.deliver(retirement(dot, 1), retirement(show, 1)) == []

    assert totals(world, "Berlin") == (0, 0, 0)
    assert len(world.topic.published) == digests  # nothing to act on: no OUT, LOW or RESTOCKED
    assert len(world.changes.rows) == 4  # the retirements are in the items' history


def test_a_retirement_delivered_again_counts_once(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    world.deliver(dot.to(0, 0))
    record = retirement(dot, 1)

    world.deliver(record)
    world.deliver(record)

    assert totals(world, "Berlin") == (0, 0, 0)


def test_a_retired_items_forecast_is_cleared_and_starts_over_when_a_file_names_it_again(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 40, 30, 20)  # 2 days of cover: soon
    assert row(world, dot).forecast is not None
    assert row(world, dot).soon

    world.deliver(retirement(dot, 3))

    cleared = row(world, dot)
    assert (cleared.forecast, cleared.soon_since, cleared.running_out_in, cleared.retired) == (None, None, None, True)

    assert world.deliver(listed_again(dot, 50, 20)) == []

    back = row(world, dot)
    assert (back.forecast, back.retired) == (None, False)  # what it sold before says nothing of now
    assert (back.state.count, back.state.at, back.state.elapsed) == (50, at(20), 0.0)
    assert totals(world, "Berlin") == (1, 0, 0)


def test_an_item_named_again_out_of_stock_is_announced_like_a_new_item(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    world.deliver(dot.to(30, 0))
    world.deliver(retirement(dot, 1))

    assert world.deliver(listed_again(dot, 0, 2)) == []

    assert world.lines("Berlin")[-1][0].startswith("OUT")
    assert totals(world, "Berlin") == (1, 1, 0)


def test_a_retirement_raises_no_alert_and_moves_the_totals_by_the_item() -> None:
    low = Level(3, None)
    gone = Level(3, None, retired=True)

    assert transition(low, gone, 5) is None
    assert transition(gone, Level(0, None), 5) is Alert.OUT
    assert transition(gone, Level(9, None), 5) is None  # back, and ok: nothing to act on
    record = StreamChangeRecord(retirement_record()).change()
    assert record is not None
    assert record.new.retired
    assert store_change(record, 5) == StoreChange(items=-1, out=0, low=-1)


def retirement_record() -> dict[str, Any]:
    old = count_change("Berlin", "Echo Dot", None, 3)["dynamodb"]["NewImage"]
    return stream_record(retired("Berlin", "Echo Dot", 3, "2026-11-23T03:00:00.000Z"), old)


def test_the_recount_leaves_retired_items_out_as_the_stream_consumer_does() -> None:
    # Given a store whose row counts its one listed item, and an out-of-stock item a full list retired
    row = StoreRow("Berlin", Totals(1, 0, 0), "2026-11-20T00:00:00.000Z", exists=True)
    items = [
        CountedItem("Echo Dot", Level(40, None), "2026-11-19T00:00:00.000Z"),
        CountedItem("Echo Show", Level(0, None, retired=True), "2026-11-20T00:00:00.000Z"),
    ]
    recounter = Recounter(
        stores=SimpleNamespace(row=lambda store: row),  # type: ignore[arg-type]
        inventory=SimpleNamespace(items=lambda store: items),  # type: ignore[arg-type]
        waiting=SimpleNamespace(has_pending=lambda store: False),  # type: ignore[arg-type]
        default_threshold=5,
        settle=timedelta(minutes=10),
        clock=lambda: datetime(2026, 11, 22, tzinfo=UTC),
        repair=False,
    )

    # When it is recounted, Then the totals agree
    recount = recounter.recount("Berlin")
    assert (recount.verdict, recount.counted) == (Verdict.MATCHED, Totals(1, 0, 0))
