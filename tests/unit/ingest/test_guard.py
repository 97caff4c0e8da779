"""The dry run's tally and the hold decision (``ingest.logic.guard``), with an in-memory table."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.logic.guard import Guard, PlanningTable, PlanTally
from ingest.models.claim import Fence
from ingest.models.writes import ItemWrite, WriteOutcome
from inventory.models import SourceVersion
from inventory.table import AttributeMap

SOURCE = SourceVersion("2026-12-07T19:00:00.000Z", "uploads/x.csv")


class Sizes:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def item_counts(self, stores: Sequence[str]) -> dict[str, int]:
        return {store: self.counts[store] for store in stores if store in self.counts}


class Table:
    """Stored items by key; records writes (the planning table must send none)."""

    def __init__(self, items: list[AttributeMap]) -> None:
        self.items = {(i["Store"]["S"], i["Item"]["S"]): i for i in items}
        self.written: list[ItemWrite] = []

    def get_many(self, keys: Sequence[AttributeMap], deadline: float) -> list[AttributeMap]:
        return [
            self.items[(k["Store"]["S"], k["Item"]["S"])]
            for k in keys
            if (k["Store"]["S"], k["Item"]["S"]) in self.items
        ]

    def write_many(self, writes: Sequence[ItemWrite], deadline: float, fence: Fence | None = None) -> WriteOutcome:
        self.written.extend(writes)
        return WriteOutcome(written=[w.key for w in writes])


def stored(item: str, count: str) -> AttributeMap:
    return {
        "Store": {"S": "Berlin"},
        "Item": {"S": item},
        "Count": {"N": count},
        "SourceTime": {"S": "2026-12-01T00:00:00.000Z"},
    }


def write(item: str, count: int) -> ItemWrite:
    return ItemWrite(
        ("Berlin", item), {"Store": {"S": "Berlin"}, "Item": {"S": item}, "Count": {"N": str(count)}}, SOURCE, 2
    )


def test_a_dry_run_counts_changes_and_items_going_out_of_stock_and_writes_nothing() -> None:
    table = Table([stored("Echo Dot", "12"), stored("Kindle", "0"), {**stored("Fire TV", "5"), "Count": {"S": "x"}}])
    tally = PlanTally()
    planning = PlanningTable(table, tally)

    planning.get_many(
        [{"Store": {"S": "Berlin"}, "Item": {"S": n}} for n in ("Echo Dot", "Kindle", "Fire TV", "New")], 0
    )
    outcome = planning.write_many([write("Echo Dot", 0), write("Kindle", 3), write("Fire TV", 0), write("New", 0)], 0)

    assert table.written == []
    assert len(outcome.written) == 4
    # Echo Dot 12 -> 0, an unreadable count -> 0 and a new item at 0 go out of stock; Kindle 0 -> 3 does not
    assert (tally.changed, tally.out_of_stock) == (4, 3)
    assert tally.stores["Berlin"].added == 1


def test_a_file_is_held_only_past_the_stages_share_of_a_stores_items() -> None:
    guard = Guard(Sizes({"Berlin": 4}), out_of_stock_share=0.5, retired_share=0.5, scripts=False)
    half = PlanTally()
    for _ in range(2):
        half.add("Berlin", out_of_stock=True, added=False)
    more = PlanTally.from_json(half.to_json())
    more.add("Berlin", out_of_stock=True, added=False)

    assert guard.hold_reason(half, dry_run=False) is None  # 2 of 4: not more than half
    reason = guard.hold_reason(more, dry_run=False)
    assert reason is not None
    assert reason.endswith("It would put 3 of Berlin's 4 items out of stock (more than 50%).")
    assert guard.hold_reason(half, dry_run=True) == (
        "Dry run: it would change 2 items (2 newly out of stock, 0 retired); nothing was loaded."
        " Confirm the file to load it, or discard it."
    )


def test_a_stores_new_items_count_towards_its_size() -> None:
    guard = Guard(Sizes({}), out_of_stock_share=0.5, retired_share=0.5, scripts=False)
    first_load = PlanTally()
    first_load.add("Karachi", out_of_stock=True, added=True)
    for _ in range(3):
        first_load.add("Karachi", out_of_stock=False, added=True)

    assert guard.hold_reason(first_load, dry_run=False) is None  # 1 of 4 new items out of stock


def test_which_files_are_planned() -> None:
    guard = Guard(Sizes({}), out_of_stock_share=0.5, retired_share=0.5, scripts=False)

    assert guard.planned(dry_run=True, signed=False)
    assert guard.planned(dry_run=False, signed=True)
    assert not guard.planned(dry_run=False, signed=False)
    scripts_too = Guard(Sizes({}), out_of_stock_share=0.5, retired_share=0.5, scripts=True)
    assert scripts_too.planned(dry_run=False, signed=False)
