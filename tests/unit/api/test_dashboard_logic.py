"""The API's logic with in-memory readers: listing, filtering, paging and alerts per caller."""

from __future__ import annotations

import pytest
from dashboard_api.logic import dashboard as dashboard_module
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.dashboard import Dashboard, parse_time
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.errors import InvalidInput, NotAllowed, Unknown
from inventory.models import StockStatus
from inventory.stores import StoreSummary

from tests.fakes.api import FakeForecastReader, FakeHistoryReader, FakeItemReader, FakeStoreDirectory

pytestmark = pytest.mark.unit

ADMIN = Caller("a", "admin", admin=True, stores=frozenset())
BERLIN = Caller("b", "berlin", admin=False, stores=frozenset({"Berlin"}))


World = tuple[Dashboard, FakeItemReader, FakeStoreDirectory, None]


def summary(store: str, last_upload_at: str | None = None) -> StoreSummary:
    return StoreSummary(store, 1, 0, 0, "2026-11-22T03:00:00.000Z", last_upload_at)


@pytest.fixture
def world() -> World:
    items = FakeItemReader()
    stores = FakeStoreDirectory([summary("Karachi", "2026-11-22T05:00:00.000Z"), summary("Berlin")])
    dashboard = Dashboard(
        stores=stores,
        items=items,
        history=FakeHistoryReader(),
        forecasts=FakeForecastReader(),
        cursors=CursorCodec(b"k"),
        mapper=lambda function, values: [function(value) for value in values],
        stale_days=14,
    )
    return dashboard, items, stores, None


def walk(dashboard: Dashboard, caller: Caller, store: str, **options: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = dashboard.items(caller, store, cursor=cursor, **options)  # type: ignore[arg-type]
        pages.append([entry.item for entry in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_pages_hold_limit_items_and_the_last_page_says_it_is_last(world: World) -> None:
    dashboard, items, _, _ = world
    for n in range(10):
        items.add("Berlin", f"I{n}", 10)

    pages = walk(dashboard, BERLIN, "Berlin", status=None, query=None, limit=5)

    assert pages == [[f"I{n}" for n in range(5)], [f"I{n}" for n in range(5, 10)]]


def test_a_search_fills_pages_across_reads_and_matches_any_case(world: World) -> None:
    dashboard, items, _, _ = world
    for n in range(30):
        items.add("Berlin", f"{'Echo' if n % 4 == 0 else 'Kindle'} {n:02d}", 10)

    pages = walk(dashboard, BERLIN, "Berlin", status=None, query="eCHo", limit=3)

    assert [name for page in pages for name in page] == [f"Echo {n:02d}" for n in range(0, 30, 4)]
    assert all(len(page) == 3 for page in pages[:-1])


def test_a_search_stops_at_the_examined_budget_and_hands_back_a_cursor(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashboard, items, _, _ = world
    monkeypatch.setattr(dashboard_module, "MAX_EXAMINED_PER_PAGE", 20)
    for n in range(100):
        items.add("Berlin", f"Item {n:03d}", 10)
    items.add("Berlin", "Zebra", 1)

    first = dashboard.items(BERLIN, "Berlin", status=None, query="zebra", limit=10, cursor=None)
    pages = walk(dashboard, BERLIN, "Berlin", status=None, query="zebra", limit=10)

    assert first.items == []
    assert first.next_cursor is not None
    assert [name for page in pages for name in page] == ["Zebra"]


def test_status_pages_read_the_index_and_ok_filters_the_table(world: World) -> None:
    dashboard, items, _, _ = world
    for n in range(9):
        items.add("Berlin", f"I{n}", [0, 3, 50][n % 3])

    assert [n for p in walk(dashboard, BERLIN, "Berlin", status=StockStatus.OUT, query=None, limit=2) for n in p] == [
        "I0",
        "I3",
        "I6",
    ]
    assert [n for p in walk(dashboard, BERLIN, "Berlin", status=StockStatus.OK, query=None, limit=2) for n in p] == [
        "I2",
        "I5",
        "I8",
    ]


def test_items_of_a_store_not_assigned_are_forbidden_before_any_read(world: World) -> None:
    dashboard, items, _, _ = world

    with pytest.raises(NotAllowed):
        dashboard.items(BERLIN, "Karachi", status=None, query=None, limit=5, cursor=None)
    assert items.pages == []


def test_an_unknown_store_is_not_found_for_an_admin(world: World) -> None:
    dashboard, _, _, _ = world

    with pytest.raises(Unknown):
        dashboard.items(ADMIN, "Atlantis", status=None, query=None, limit=5, cursor=None)


def test_alerts_query_each_visible_store_and_scan_only_the_store_list(world: World) -> None:
    dashboard, items, stores, _ = world
    items.add("Berlin", "Echo Plus", 0, updated_at="2026-11-22T01:00:00.000Z")
    items.add("Karachi", "Echo Dot", 2, updated_at="2026-11-22T02:00:00.000Z")

    admin = dashboard.alerts(ADMIN, None)
    manager = dashboard.alerts(BERLIN, None)

    assert [(a.store, a.item) for a in admin] == [("Karachi", "Echo Dot"), ("Berlin", "Echo Plus")]
    assert [(a.store, a.item) for a in manager] == [("Berlin", "Echo Plus")]
    assert items.alert_queries == ["Berlin", "Karachi", "Berlin"]
    assert stores.scans == 1  # the admin's store list; the manager's comes from the token


def test_stores_for_a_manager_are_read_by_key_not_scanned(world: World) -> None:
    dashboard, _, stores, _ = world

    assert [s.store for s in dashboard.stores(BERLIN)] == ["Berlin"]
    assert stores.scans == 0
    assert [s.store for s in dashboard.stores(ADMIN)] == ["Berlin", "Karachi"]


def test_stores_carry_the_last_upload_time_so_stale_stores_show(world: World) -> None:
    dashboard, _, _, _ = world

    by_name = {view.store: view for view in dashboard.stores(ADMIN)}

    assert by_name["Karachi"].last_upload_at == "2026-11-22T05:00:00.000Z"
    assert by_name["Berlin"].last_upload_at is None


def test_a_search_for_a_rare_name_reads_a_few_queries_not_one_per_item(world: World) -> None:
    """Issue 10.9: `limit=1&q=<no match>` on a 3,000-item store used to cost 1,500 Queries of 2 items."""
    dashboard, items, _, _ = world
    for n in range(3_000):
        items.add("Berlin", f"Item {n:05d}", 10)

    page = dashboard.items(BERLIN, "Berlin", status=None, query="no such thing", limit=1, cursor=None)

    assert page.items == []
    assert page.next_cursor is not None  # examined its budget; the rest is a click away
    assert len(items.pages) == dashboard_module.MAX_EXAMINED_PER_PAGE // dashboard_module.FILTERED_QUERY_ITEMS == 4
    assert sum(p["limit"] for p in items.pages) == dashboard_module.MAX_EXAMINED_PER_PAGE
    walked = walk(dashboard, BERLIN, "Berlin", status=None, query="no such thing", limit=1)
    assert len(walked) == 3  # 3,000 items / 1,000 per request
    assert len(items.pages) == 4 + 12


def test_an_ok_filtered_page_reads_query_pages_sized_for_the_read_not_the_limit(world: World) -> None:
    dashboard, items, _, _ = world
    for n in range(600):
        items.add("Berlin", f"Item {n:05d}", 0 if n < 590 else 50)  # the ok items are at the end

    page = dashboard.items(BERLIN, "Berlin", status=StockStatus.OK, query=None, limit=1, cursor=None)

    assert [entry.item for entry in page.items] == ["Item 00590"]
    assert [p["limit"] for p in items.pages] == [250, 250, 250]


def test_an_unfiltered_page_reads_exactly_one_more_than_it_shows(world: World) -> None:
    dashboard, items, _, _ = world
    for n in range(50):
        items.add("Berlin", f"Item {n:05d}", 10)

    dashboard.items(BERLIN, "Berlin", status=None, query=None, limit=7, cursor=None)

    assert [p["limit"] for p in items.pages] == [8]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.000Z"),
        ("2026-11-22T12:00:00+02:00", "2026-11-22T10:00:00.000Z"),
        ("2026-11-22", "2026-11-22T00:00:00.000Z"),
        ("2026-11-22T10:00:00.123456", "2026-11-22T10:00:00.123Z"),
    ],
)
def test_times_are_normalised_to_the_tables_form(text: str, expected: str) -> None:
    assert parse_time(text, "from") == expected


@pytest.mark.parametrize("text", ["", "now", "22/11/2026", "2026-11-31", "9" * 50, "2026-11-22T25:00:00Z"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time(text, "from")
