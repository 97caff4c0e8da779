"""The API's logic with in-memory readers: listing, filtering, paging, alerts and uploads per caller."""

from __future__ import annotations

import pytest
from dashboard_api.logic import dashboard as dashboard_module
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.dashboard import Dashboard, parse_time
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import StoreSummary
from dashboard_api.models.errors import BadRequest, Forbidden, NotFound
from inventory.models import StockStatus
from inventory.report import ReportStatus, RowCounts, UploadReport

from tests.fakes import FakeHistoryReader, FakeItemReader, FakeReportBucket, FakeStoreDirectory

pytestmark = pytest.mark.unit

ADMIN = Caller("a", "admin", admin=True, stores=frozenset())
BERLIN = Caller("b", "berlin", admin=False, stores=frozenset({"Berlin"}))


def summary(store: str) -> StoreSummary:
    return StoreSummary(store=store, items=1, out=0, low=0, updated_at="2026-11-22T03:00:00.000Z")


@pytest.fixture
def world() -> tuple[Dashboard, FakeItemReader, FakeStoreDirectory, FakeReportBucket]:
    items = FakeItemReader()
    stores = FakeStoreDirectory([summary("Karachi"), summary("Berlin")])
    reports = FakeReportBucket()
    dashboard = Dashboard(
        stores=stores,
        items=items,
        history=FakeHistoryReader(),
        reports=reports,
        cursors=CursorCodec(b"k"),
        mapper=lambda function, values: [function(value) for value in values],
    )
    return dashboard, items, stores, reports


def walk(dashboard: Dashboard, caller: Caller, store: str, **options: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = dashboard.items(caller, store, cursor=cursor, **options)  # type: ignore[arg-type]
        pages.append([entry.item for entry in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_pages_hold_limit_items_and_the_last_page_says_it_is_last(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, items, _, _ = world
    for n in range(10):
        items.add("Berlin", f"I{n}", 10)

    pages = walk(dashboard, BERLIN, "Berlin", status=None, query=None, limit=5)

    assert pages == [[f"I{n}" for n in range(5)], [f"I{n}" for n in range(5, 10)]]


def test_a_search_fills_pages_across_reads_and_matches_any_case(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, items, _, _ = world
    for n in range(30):
        items.add("Berlin", f"{'Echo' if n % 4 == 0 else 'Kindle'} {n:02d}", 10)

    pages = walk(dashboard, BERLIN, "Berlin", status=None, query="eCHo", limit=3)

    assert [name for page in pages for name in page] == [f"Echo {n:02d}" for n in range(0, 30, 4)]
    assert all(len(page) == 3 for page in pages[:-1])


def test_a_search_stops_at_the_examined_budget_and_hands_back_a_cursor(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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


def test_status_pages_read_the_index_and_ok_filters_the_table(world) -> None:  # type: ignore[no-untyped-def]
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


def test_items_of_a_store_not_assigned_are_forbidden_before_any_read(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, items, _, _ = world

    with pytest.raises(Forbidden):
        dashboard.items(BERLIN, "Karachi", status=None, query=None, limit=5, cursor=None)
    assert items.pages == []


def test_an_unknown_store_is_not_found_for_an_admin(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, _, _, _ = world

    with pytest.raises(NotFound):
        dashboard.items(ADMIN, "Atlantis", status=None, query=None, limit=5, cursor=None)


def test_alerts_query_each_visible_store_and_scan_only_the_store_list(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, items, stores, _ = world
    items.add("Berlin", "Echo Plus", 0, updated_at="2026-11-22T01:00:00.000Z")
    items.add("Karachi", "Echo Dot", 2, updated_at="2026-11-22T02:00:00.000Z")

    admin = dashboard.alerts(ADMIN, None)
    manager = dashboard.alerts(BERLIN, None)

    assert [(a.store, a.item) for a in admin] == [("Karachi", "Echo Dot"), ("Berlin", "Echo Plus")]
    assert [(a.store, a.item) for a in manager] == [("Berlin", "Echo Plus")]
    assert items.alert_queries == ["Berlin", "Karachi", "Berlin"]
    assert stores.scans == 1  # the admin's store list; the manager's comes from the token


def test_stores_for_a_manager_are_read_by_key_not_scanned(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, _, stores, _ = world

    assert [s.store for s in dashboard.stores(BERLIN)] == ["Berlin"]
    assert stores.scans == 0
    assert [s.store for s in dashboard.stores(ADMIN)] == ["Berlin", "Karachi"]


def _report(key: str, stores: list[str], finished: str, status: str = "ok") -> dict[str, object]:
    report = UploadReport(
        bucket="b", key=key, status=ReportStatus(status), rows=RowCounts(read=1, accepted=1), finished_at=finished
    )
    report.stores.update(stores)
    return report.to_json()


def test_uploads_visible_only_when_every_store_is_visible(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, _, _, reports = world
    reports.add("reports/a.json", _report("a", ["Berlin"], "2026-11-22T01:00:00Z"), "2026-11-22T01:00:00.000Z")
    reports.add(
        "reports/b.json", _report("b", ["Berlin", "Karachi"], "2026-11-22T02:00:00Z"), "2026-11-22T02:00:00.000Z"
    )
    reports.add("reports/c.json", _report("c", [], "2026-11-22T03:00:00Z", "failed"), "2026-11-22T03:00:00.000Z")
    reports.add("reports/d.json", {"not": "a report"}, "2026-11-22T04:00:00.000Z")

    assert [u.key for u in dashboard.uploads(BERLIN, None, 20)] == ["a"]
    # A file in another format is left out rather than failing the list.
    assert [u.key for u in dashboard.uploads(ADMIN, None, 20)] == ["c", "b", "a"]
    assert [u.key for u in dashboard.uploads(ADMIN, "Karachi", 20)] == ["b"]


def test_uploads_read_reports_in_batches_and_stop_when_enough(world) -> None:  # type: ignore[no-untyped-def]
    dashboard, _, _, reports = world
    for n in range(100):
        minute = f"2026-11-22T{n // 60:02d}:{n % 60:02d}:00"
        reports.add(f"reports/{n:03d}.json", _report(f"{n:03d}", ["Berlin"], f"{minute}Z"), f"{minute}.000Z")

    shown = dashboard.uploads(BERLIN, None, 5)

    assert [u.key for u in shown] == [f"{n:03d}" for n in (99, 98, 97, 96, 95)]
    assert len(reports.read_keys) == dashboard_module.REPORTS_READ_BATCH


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
    with pytest.raises(BadRequest):
        parse_time(text, "from")
