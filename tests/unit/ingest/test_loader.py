"""The loader writes only what changed, in file order per item, lets the newer upload win, and pauses cleanly."""

from __future__ import annotations

from typing import Any

import pytest
from ingest.dal.inventory import READ_BATCH_SIZE
from ingest.logic.loader import Loader, Pause
from ingest.models.errors import TableUnavailable
from inventory.models import InventoryRow, Ordering, RowError, SourceVersion
from inventory.report import UploadReport, UploadSource

from tests.fakes.ingest import FakeItemTable

pytestmark = pytest.mark.unit

MONDAY = SourceVersion("2026-01-05T09:00:00.000Z", "uploads/monday.csv")
TUESDAY = SourceVersion("2026-01-06T09:00:00.000Z", "uploads/tuesday.csv")


class Pacer:
    """Answers the loader's questions from a script; records each checkpoint's tallies."""

    def __init__(self, pauses: dict[int, Pause] | None = None) -> None:
        self.pauses = pauses or {}
        self.asked = 0
        self.report: UploadReport | None = None
        self.checkpoints: list[dict[str, int]] = []

    def due(self) -> Pause:
        self.asked += 1
        return self.pauses.get(self.asked, Pause.NONE)

    def checkpoint(self) -> None:
        assert self.report is not None
        self.checkpoints.append(self.report.rows.to_json())


def loader(table: FakeItemTable, concurrency: int = 3) -> Loader:
    return Loader(table, default_threshold=5, concurrency=concurrency, clock=lambda: "2026-01-07T00:00:00.000Z")


def load(
    table: FakeItemTable,
    rows: list[InventoryRow | RowError],
    source: SourceVersion = MONDAY,
    pacer: Pacer | None = None,
    report: UploadReport | None = None,
) -> UploadReport:
    report = report or UploadReport(UploadSource("b", source.key))
    pacer = pacer or Pacer()
    pacer.report = report
    loader(table).load(iter(rows), source, report, pacer)
    return report


def row(item: str, count: int, line: int = 2, threshold: int | None = None, store: str = "Berlin") -> InventoryRow:
    return InventoryRow(store, item, count, threshold, line)


def rows(count: int, start: int = 0) -> list[InventoryRow | RowError]:
    return [row(f"i{n}", n, line=n + 2) for n in range(start, start + count)]


def test_unchanged_rows_cost_reads_and_no_writes() -> None:
    table = FakeItemTable()
    load(table, rows(250))
    writes_before = table.write_calls

    report = load(table, rows(250), TUESDAY)

    assert report.rows.unchanged == 250
    assert report.rows.written == 0
    assert table.write_calls == writes_before


def test_only_changed_items_are_written() -> None:
    table = FakeItemTable()
    load(table, [row("a", 1), row("b", 2), row("c", 3)])

    report = load(table, [row("a", 1), row("b", 20), row("c", 3, threshold=1)], TUESDAY)

    assert (report.rows.written, report.rows.unchanged) == (2, 1)
    assert table.counts() == {"a": 1, "b": 20, "c": 3}


def test_an_older_upload_is_stale_and_leaves_the_item_alone() -> None:
    table = FakeItemTable()
    load(table, [row("a", 9)], TUESDAY)

    report = load(table, [row("a", 1)], MONDAY)

    assert report.rows.stale == 1
    assert table.counts() == {"a": 9}


def test_a_newer_upload_landing_between_read_and_write_makes_the_older_row_stale() -> None:
    # Given Monday's load has read the item, and Tuesday's count lands before Monday writes
    table = FakeItemTable()

    def tuesday_lands(fake: FakeItemTable) -> None:
        fake.before_write = None
        load(fake, [row("a", 0)], TUESDAY)

    table.before_write = tuesday_lands

    # When Monday's write goes out
    report = load(table, [row("a", 10)], MONDAY)

    # Then its condition fails: the item keeps Tuesday's count and Monday counts it stale
    assert table.counts() == {"a": 0}
    assert (report.rows.written, report.rows.stale) == (0, 1)


def test_the_last_row_for_an_item_wins_whatever_the_distance() -> None:
    table = FakeItemTable()
    rows_ = [row("a", 1, line=2)] + [row(f"filler {n}", n, line=n + 3) for n in range(500)]
    rows_ += [row("a", 7, line=503), row("a", 8, line=504)]

    report = load(table, rows_)

    assert table.counts()["a"] == 8
    assert report.rows.duplicates >= 1
    assert report.rows.accepted == report.rows.written + report.rows.unchanged + report.rows.duplicates


def test_rejected_rows_are_counted_and_listed_and_the_rest_loads() -> None:
    table = FakeItemTable()

    report = load(table, [row("a", 1), RowError(3, "count is empty"), row("b", 2, line=4)])

    assert (report.rows.read, report.rows.accepted, report.rows.rejected) == (3, 2, 1)
    assert report.errors == [RowError(3, "count is empty")]
    assert table.counts() == {"a": 1, "b": 2}


def test_rows_this_upload_already_landed_count_as_written_not_unchanged() -> None:
    # Given an attempt of Monday's upload that landed its first 150 rows, then died
    table = FakeItemTable()
    load(table, rows(150))

    # When the retry reads the whole file again
    report = load(table, rows(300))

    # Then the tallies are those of one clean pass, and nothing is written twice
    assert report.rows.to_json() | {"read": 0} == {
        "read": 0, "accepted": 300, "rejected": 0, "written": 300, "unchanged": 0, "stale": 0, "duplicates": 0,
        "retired": 0,
    }  # fmt: skip
    assert len(table.counts()) == 300


def test_a_resumed_load_never_sets_an_item_back_to_an_earlier_row_of_the_same_file() -> None:
    # Given an attempt that landed the later of two rows for item "a" (line 900)
    table = FakeItemTable()
    load(table, [row("a", 8, line=900)])

    # When a retry from an older checkpoint meets the earlier row (line 2) again
    report = load(table, [row("a", 1, line=2)])

    # Then the item keeps the later row's count, and the earlier row counts as written
    assert table.counts() == {"a": 8}
    assert report.rows.written == 1


def test_an_unreadable_stored_item_counts_as_no_prior_state_and_is_rewritten() -> None:
    table = FakeItemTable()
    table.put("Berlin", "a", {"Count": {"S": "twelve"}, "SourceTime": {"S": "2026-01-01T00:00:00.000Z"}})
    table.put("Berlin", "b", {"Count": {"N": "3"}})  # no source at all
    table.put("Berlin", "c", {"Count": {"N": "3"}, "Threshold": {"S": "x"}, "SourceTime": {"N": "1"}})
    report = UploadReport(UploadSource("b", MONDAY.key))

    result = loader(table).load(iter([row("a", 5), row("b", 3), row("c", 3)]), MONDAY, report, Pacer())

    assert table.counts() == {"a": 5, "b": 3, "c": 3}
    assert report.rows.written == 3
    assert result.unreadable == 3
    assert all(item["SourceKey"] == {"S": MONDAY.key} for item in table.items.values())


def test_a_checkpoint_comes_after_every_row_read_so_far_has_landed() -> None:
    table = FakeItemTable()
    pacer = Pacer({2: Pause.CHECKPOINT})  # asked every 100 rows: after row 200

    report = load(table, rows(450), pacer=pacer)

    assert pacer.checkpoints == [
        {"read": 200, "accepted": 200, "rejected": 0, "written": 200, "unchanged": 0, "stale": 0, "duplicates": 0,
         "retired": 0}
    ]  # fmt: skip
    assert report.rows.written == 450


def test_a_stop_lands_what_was_read_and_leaves_the_rest_unread() -> None:
    table = FakeItemTable()
    report = UploadReport(UploadSource("b", MONDAY.key))
    remaining = iter(rows(1000))

    result = loader(table).load(remaining, MONDAY, report, Pacer({3: Pause.STOP}))

    assert not result.finished
    assert report.rows.read == report.rows.written == len(table.counts()) == 300
    assert next(remaining) == row("i300", 300, line=302)


def test_a_table_that_stays_unavailable_fails_the_load_keeping_the_tallies_of_what_landed() -> None:
    # Given a table that accepts the first write batches, then stays throttled
    table = FakeItemTable()
    report = UploadReport(UploadSource("b", MONDAY.key))
    landed = load(table, rows(300)).rows.written
    table.items.clear()
    table.fail_writes = 0

    calls = {"n": 0}

    def throttle_after_two(fake: FakeItemTable) -> None:
        calls["n"] += 1
        if calls["n"] > 2:
            fake.fail_writes = 1

    table.before_write = throttle_after_two

    # When a 300-row file is loaded
    with pytest.raises(TableUnavailable, match="after every retry"):
        loader(table, concurrency=1).load(iter(rows(300)), MONDAY, report, Pacer())

    # Then the two batches that landed are counted as written, exactly
    assert landed == 300
    assert report.rows.written == len(table.counts()) == 2 * READ_BATCH_SIZE


def test_once_dynamodb_pushes_back_a_stores_writes_go_one_transaction_at_a_time() -> None:
    # Given a table whose first write was throttled (and retried) and whose writes take a while
    import threading
    import time

    class SlowTable(FakeItemTable):
        """Counts the writes in flight that started after the push-back (earlier ones were ungated)."""

        def __init__(self) -> None:
            super().__init__()
            self.gated_in_flight = 0
            self.most_gated_in_flight = 0
            self.pushed_back = False
            self.count_lock = threading.Lock()

        def write_many(self, writes, deadline, fence=None):  # type: ignore[no-untyped-def]
            with self.count_lock:
                gated = self.pushed_back
                self.gated_in_flight += gated
                self.most_gated_in_flight = max(self.most_gated_in_flight, self.gated_in_flight)
            time.sleep(0.005)
            outcome = super().write_many(writes, deadline, fence)
            with self.count_lock:
                self.gated_in_flight -= gated
                outcome.pushed_back = not self.pushed_back
                self.pushed_back = True
            return outcome

    table = SlowTable()

    # When 4 lanes load 3,000 rows of one store
    report = load(table, rows(3_000))

    # Then after the push-back no two transactions for that store were in flight at once, and all landed
    assert table.most_gated_in_flight == 1
    assert report.rows.written == len(table.counts()) == 3_000


def test_ordering_values_are_stored_and_kept_by_an_upload_without_them() -> None:
    table = FakeItemTable()
    given = InventoryRow("Berlin", "a", 5, None, 2, Ordering(7, 12, "Acme"))
    load(table, [given])

    unchanged = load(table, [row("a", 5)], TUESDAY)

    assert (unchanged.rows.unchanged, unchanged.rows.written) == (1, 0)
    stored = table.items[("Berlin", "a")]
    assert (stored["LeadTimeDays"], stored["PackSize"], stored["Supplier"]) == ({"N": "7"}, {"N": "12"}, {"S": "Acme"})


def test_a_new_pack_size_alone_is_a_change_and_keeps_the_other_values() -> None:
    table = FakeItemTable()
    load(table, [InventoryRow("Berlin", "a", 5, None, 2, Ordering(7, 12, "Acme"))])

    report = load(table, [InventoryRow("Berlin", "a", 5, None, 2, Ordering(pack_size=24))], TUESDAY)

    assert report.rows.written == 1
    stored = table.items[("Berlin", "a")]
    assert (stored["LeadTimeDays"], stored["PackSize"], stored["Supplier"]) == ({"N": "7"}, {"N": "24"}, {"S": "Acme"})


def test_an_empty_threshold_cell_clears_the_items_threshold_and_a_missing_column_keeps_it() -> None:
    table = FakeItemTable()
    load(table, [row("a", 3, threshold=9), row("b", 3, threshold=9, line=3)])

    cleared = InventoryRow("Berlin", "a", 3, None, 2, clears_threshold=True)  # the column, an empty cell
    kept = InventoryRow("Berlin", "b", 4, None, 3)  # no threshold column
    report = load(table, [cleared, kept], TUESDAY)

    assert report.rows.written == 2
    assert "Threshold" not in table.items[("Berlin", "a")]
    assert table.items[("Berlin", "a")]["AlertStatus"] == {"S": "low"}  # 3 under the default of 5
    assert table.items[("Berlin", "b")]["Threshold"] == {"N": "9"}


# -- a store read whole (a Query a load) answers as reads by key do --------------------------------


def reads_by_key(table: FakeItemTable, concurrency: int = 3) -> Loader:
    """The design before: every batch read by key (BatchGetItem)."""
    return Loader(
        table, default_threshold=5, concurrency=concurrency, clock=lambda: "2026-01-07T00:00:00.000Z", store_items=0
    )


def named_twice(store: str = "Berlin") -> list[InventoryRow | RowError]:
    """Items named twice, batches apart (the first row changes them, the second changes them back)."""
    middle = [row(f"filler {n}", n, line=n + 10, store=store) for n in range(600)]
    return [row("a", 9, store=store), row("b", 1, line=3, store=store), *middle, row("a", 5, line=700, store=store)]


def head_office(stores: int, items: int) -> list[InventoryRow | RowError]:
    return [row(f"i{n}", n + s, line=s * items + n + 2, store=f"S{s}") for s in range(stores) for n in range(items)]


SCENARIOS = {
    "first load": ([], rows(500), False),
    "unchanged": (rows(500), rows(500), False),
    "named twice": ([row("a", 5), row("b", 1, line=3)], named_twice(), False),
    "a full list": ([*rows(300), row("x", 1, line=400)], rows(250), True),
    "retired items come back": (rows(50), rows(50), True),
    "a head-office file": (head_office(6, 120), head_office(9, 150), False),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("budget", [40_000, 200])
def test_reading_each_store_once_lands_and_tallies_exactly_as_reading_every_batch_by_key(
    name: str, budget: int
) -> None:
    before, file, full_list = SCENARIOS[name]
    results = []
    for make in (
        reads_by_key,
        lambda table: Loader(table, 5, 3, lambda: "2026-01-07T00:00:00.000Z", store_items=budget),
    ):
        table = FakeItemTable()
        load(table, before)
        if name == "retired items come back":
            for key in list(table.items)[::2]:
                table.items[key]["Retired"] = {"S": "2026-01-06T00:00:00.000Z"}
        report = UploadReport(UploadSource("b", TUESDAY.key))
        make(table).load(iter(file), TUESDAY, report, Pacer(), full_list=full_list)
        results.append((table.items, report.rows.to_json()))
    assert results[0] == results[1]


def test_a_stores_first_load_reads_it_once_however_many_lanes_meet_it_and_never_by_key() -> None:
    table = FakeItemTable()

    load(table, rows(1_000))

    assert table.store_reads == ["Berlin"]
    assert table.reads == 0


def test_a_store_bigger_than_the_query_would_save_is_read_by_key() -> None:
    # Given a store of 5,000 items, and a file naming 9 of them (three lanes of 3 rows: 3 x 3 x 6 < 5,000)
    table = FakeItemTable()
    load(table, rows(5_000))

    report = load(table, rows(9), TUESDAY)

    assert table.store_reads == ["Berlin", "Berlin"]  # the second gave up past 54 items
    assert table.reads == 3
    assert report.rows.unchanged == 9


def test_past_its_budget_a_load_forgets_the_stores_used_longest_ago_and_reads_them_by_key() -> None:
    table = FakeItemTable()
    load(table, head_office(5, 100))
    table.store_reads.clear()
    loader_ = Loader(table, 5, 1, lambda: "2026-01-07T00:00:00.000Z", store_items=250)
    report = UploadReport(UploadSource("b", TUESDAY.key))

    # When one lane goes through the stores in turn, then names the first store again
    file = [*head_office(5, 100), row("i0", 99, line=900, store="S0")]
    loader_.load(iter(file), TUESDAY, report, Pacer())

    # Then each store was read whole once; S0, forgotten by then, was read by key; the tallies are exact
    assert table.store_reads == ["S0", "S1", "S2", "S3", "S4"]
    assert table.reads == 1
    assert (report.rows.unchanged, report.rows.written) == (500, 1)
    assert table.items[("S0", "i0")]["Count"] == {"N": "99"}


def test_a_write_refused_for_a_newer_upload_leaves_the_item_it_handed_back_as_the_loads_state() -> None:
    # Given Monday's a = 5, and Wednesday's a = 0 landing after this load's Query, before its first write
    table = FakeItemTable()
    load(table, [row("a", 5)])
    wednesday = SourceVersion("2026-01-07T09:00:00.000Z", "uploads/wednesday.csv")

    def wednesday_lands(fake: FakeItemTable) -> None:
        fake.before_write = None
        load(fake, [row("a", 0)], wednesday)

    table.before_write = wednesday_lands
    sent: list[tuple[str, str]] = []
    write_many = table.write_many

    def recording(writes: Any, deadline: float, fence: Any = None) -> Any:
        sent.extend(write.key for write in writes)
        return write_many(writes, deadline, fence)

    table.write_many = recording  # type: ignore[method-assign]

    # When Tuesday's file names a twice, batches apart
    report = UploadReport(UploadSource("b", TUESDAY.key))
    middle = [row(f"filler {n}", n, line=n + 10) for n in range(600)]
    loader(table, concurrency=1).load(iter([row("a", 9), *middle, row("a", 7, line=700)]), TUESDAY, report, Pacer())

    # Then a keeps Wednesday's count, and its second row is stale on what the refusal handed back: not sent
    assert table.counts()["a"] == 0
    assert report.rows.stale == 2
    assert sent.count(("Berlin", "a")) == 2  # Tuesday's first row and Wednesday's, none for the second row


def test_a_resumed_load_reads_the_store_afresh_and_sees_what_landed_in_between() -> None:
    # Given Monday's 400 items, and Tuesday's file (every count one more) stopped after 200 rows
    table = FakeItemTable()
    load(table, rows(400))
    table.store_reads.clear()
    report = UploadReport(UploadSource("b", TUESDAY.key))
    tuesday = iter([row(f"i{n}", n + 1, line=n + 2) for n in range(400)])
    assert not loader(table).load(tuesday, TUESDAY, report, Pacer({2: Pause.STOP})).finished

    # When Wednesday's upload sets i300 in between, and another invocation carries on with the rest
    wednesday = SourceVersion("2026-01-07T09:00:00.000Z", "uploads/wednesday.csv")
    load(table, [row("i300", 0)], wednesday)
    table.store_reads.remove("Berlin")  # Wednesday's own
    assert loader(table).load(tuesday, TUESDAY, report, Pacer()).finished

    # Then the continuation read the store again: i300 is Wednesday's, and Tuesday's tallies are one clean pass
    assert table.store_reads == ["Berlin", "Berlin"]
    assert table.counts()["i300"] == 0
    assert (report.rows.written, report.rows.stale) == (399, 1)
