"""Uploads from the index: who sees which, newest first across stores, bounded reads, one upload's versions."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_api.dal.uploads import scope_stream, time_stream
from dashboard_api.logic import uploads as uploads_module
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.permissions import Caller
from dashboard_api.logic.uploads import UploadListing
from dashboard_api.models.errors import InvalidCursor, NotAllowed, Unknown
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory.models import RowError
from inventory.report import ReportStatus, RowCounts, UploadReport, UploadSource
from inventory.uploads import HEAD_OFFICE, UploadEntry, store_prefix

from tests.fakes.api import FakeReports, FakeUploadIndex

pytestmark = pytest.mark.unit

ADMIN = Caller("a", "admin", admin=True, stores=frozenset())
BERLIN = Caller("b", "berlin", admin=False, stores=frozenset({"Berlin"}))
BOTH = Caller("c", "both", admin=False, stores=frozenset({"Berlin", "Karachi"}))


def entry(scope: str, name: str, at: str, *, version: str = "v1", status: str = "ok", **extra: Any) -> UploadEntry:
    prefix = "uploads/head-office/" if scope == HEAD_OFFICE else store_prefix(scope)
    key = f"{prefix}{name}"
    return UploadEntry(
        key=key,
        version=version,
        bucket="bucket",
        store=None if scope == HEAD_OFFICE else scope,
        received_at=at,
        status=ReportStatus(status),
        report_key=f"reports/{key}/{version}.json",
        **extra,
    )


def listing(index: FakeUploadIndex, reports: FakeReports | None = None) -> UploadListing:
    return UploadListing(
        index=index,
        reports=reports or FakeReports(),
        cursors=CursorCodec(b"k" * 32),
        scope_stream=scope_stream,
        time_stream=time_stream,
        mapper=lambda function, values: [function(value) for value in values],
    )


def at(n: int) -> str:
    return f"2026-11-22T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"


def walk(upload_listing: UploadListing, caller: Caller, store: str | None = None, limit: int = 3) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = upload_listing.uploads(caller, store, limit, cursor)
        pages.append([view.key for view in page.uploads])
        cursor = page.next_cursor
        if cursor is None:
            return pages


@pytest.fixture
def index() -> FakeUploadIndex:
    index = FakeUploadIndex()
    index.add(entry("Berlin", "1/berlin.csv", at(1), rows=RowCounts(read=3, accepted=3)))
    index.add(entry("Karachi", "2/karachi.csv", at(2)))
    index.add(entry(HEAD_OFFICE, "3/all-stores.csv", at(3), stores=["Berlin", "Karachi"]))
    # Failed before naming any store: the key says whose it is.
    index.add(entry("Berlin", "4/broken.xlsx", at(4), status="failed", reason="not a workbook"))
    return index


def test_a_store_user_sees_their_store_uploads_newest_first_failed_ones_included(index: FakeUploadIndex) -> None:
    page = listing(index).uploads(BERLIN, None, 20, None)

    assert [(view.file_name, view.status, view.store) for view in page.uploads] == [
        ("broken.xlsx", "failed", "Berlin"),
        ("berlin.csv", "ok", "Berlin"),
    ]
    assert page.uploads[0].reason == "not a workbook"
    assert page.next_cursor is None


def test_head_office_files_are_for_admins_who_see_everything_by_time(index: FakeUploadIndex) -> None:
    admin = listing(index).uploads(ADMIN, None, 20, None)

    assert [view.file_name for view in admin.uploads] == ["broken.xlsx", "all-stores.csv", "karachi.csv", "berlin.csv"]
    assert admin.uploads[1].store is None
    assert index.queries == [("uploads", 21)]  # one Query of UploadsByTime


def test_a_user_of_two_stores_gets_both_merged_and_the_store_filter_narrows_it(index: FakeUploadIndex) -> None:
    upload_listing = listing(index)

    both = upload_listing.uploads(BOTH, None, 20, None)
    karachi = upload_listing.uploads(BOTH, "Karachi", 20, None)

    assert [view.file_name for view in both.uploads] == ["broken.xlsx", "karachi.csv", "berlin.csv"]
    assert [view.file_name for view in karachi.uploads] == ["karachi.csv"]
    with pytest.raises(NotAllowed):
        upload_listing.uploads(BERLIN, "Karachi", 20, None)


def test_a_cursor_is_bound_to_its_listing(index: FakeUploadIndex) -> None:
    upload_listing = listing(index)
    cursor = upload_listing.uploads(BOTH, None, 1, None).next_cursor
    assert cursor

    with pytest.raises(InvalidCursor):
        upload_listing.uploads(BOTH, "Berlin", 1, cursor)
    with pytest.raises(InvalidCursor):
        upload_listing.uploads(ADMIN, None, 1, cursor)


def test_rows_without_a_summary_are_passed_over_yet_paging_moves_on() -> None:
    index = FakeUploadIndex()
    for n in range(5):
        index.add_raw({"Key": {"S": f"uploads/x/{n}"}, "Version": {"S": "v"}, "Scope": {"S": "Berlin"},
                       "ReceivedAt": {"S": at(100 + n)}, "Lease": {"S": "claimed"}})  # fmt: skip
    index.add(entry("Berlin", "old.csv", at(1)))

    pages = walk(listing(index), BERLIN, limit=2)

    assert [key for page in pages for key in page] == [f"{store_prefix('Berlin')}old.csv"]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["Berlin", "Karachi", "Lahore", HEAD_OFFICE]), st.integers(0, 6)),
        max_size=40,
    ),
    limit=st.integers(1, 7),
    caller=st.sampled_from([ADMIN, BERLIN, BOTH]),
)
def test_walking_the_pages_shows_every_visible_upload_once_newest_first(
    rows: list[tuple[str, int]], limit: int, caller: Caller
) -> None:
    """Many uploads share a time (ties across stores and within one): no page repeats or skips one."""
    index = FakeUploadIndex()
    for n, (scope, second) in enumerate(rows):
        index.add(entry(scope, f"{n:03d}.csv", at(second)))
    visible = [e for e in (entry(s, f"{n:03d}.csv", at(t)) for n, (s, t) in enumerate(rows))
               if caller.admin or (e.scope != HEAD_OFFICE and caller.may_see(e.scope))]  # fmt: skip

    pages = walk(listing(index), caller, limit=limit)
    shown = [key for page in pages for key in page]

    assert sorted(shown) == sorted(e.key for e in visible)
    times = {e.key: e.received_at for e in visible}
    assert [times[key] for key in shown] == sorted((times[key] for key in shown), reverse=True)
    assert all(len(page) <= limit for page in pages)


def test_reads_per_request_are_bounded_whatever_the_index_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    index = FakeUploadIndex()
    for n in range(300):
        index.add(entry("Berlin", f"{n:03d}.csv", at(n)))
        index.add(entry("Karachi", f"{n:03d}.csv", at(n)))

    page = listing(index).uploads(BOTH, None, 100, None)

    assert len(page.uploads) == 100
    assert len(index.queries) <= 2 + uploads_module.MAX_FURTHER_QUERIES
    assert sum(limit for _, limit in index.queries) <= uploads_module.MAX_EXAMINED + 101


def test_one_upload_answers_its_versions_newest_first_and_the_whole_report() -> None:
    index, reports = FakeUploadIndex(), FakeReports()
    old = entry("Berlin", "g/berlin.csv", at(1), version="v-old")
    new = entry("Berlin", "g/berlin.csv", at(2), version="v-new", status="partial")
    index.add(old)
    index.add(new)
    report = UploadReport(UploadSource("bucket", new.key), store="Berlin", status=ReportStatus.PARTIAL)
    for line in range(2, 40):
        report.reject(RowError(line, "count must be a whole number"))
    reports.reports[new.report_key] = report
    upload_listing = listing(index, reports)

    page = upload_listing.upload(BERLIN, new.key, None, 20)
    chosen = upload_listing.upload(BERLIN, new.key, "v-old", 20)

    assert [view.version for view in page.uploads] == ["v-new", "v-old"]
    assert page.report is not None
    assert len(page.report.errors) == 38  # the whole report, not the index's first ten
    assert reports.read_keys[0] == new.report_key
    assert chosen.report is None  # that version's report is not written (yet)
    assert reports.read_keys[1] == old.report_key


@pytest.mark.parametrize(
    ("caller", "key", "error"),
    [
        (BERLIN, f"{store_prefix('Karachi')}g/k.csv", NotAllowed),
        (BERLIN, "uploads/head-office/g/all.csv", NotAllowed),
        (BERLIN, "uploads/inventory.csv", NotAllowed),
        (BERLIN, f"{store_prefix('Berlin')}g/never-uploaded.csv", Unknown),
        (ADMIN, "reports/uploads/x.csv/v.json", Unknown),
        (ADMIN, "uploads/head-office/g/never.csv", Unknown),
    ],
)
def test_one_upload_is_refused_or_not_found_before_any_report_is_read(
    caller: Caller, key: str, error: type[Exception]
) -> None:
    index, reports = FakeUploadIndex(), FakeReports()
    index.add(entry("Karachi", "g/k.csv", at(1)))
    index.add(entry(HEAD_OFFICE, "g/all.csv", at(1)))

    with pytest.raises(error):
        listing(index, reports).upload(caller, key, None, 20)
    assert reports.read_keys == []


def test_an_admin_reads_a_head_office_upload() -> None:
    index = FakeUploadIndex()
    index.add(entry(HEAD_OFFICE, "g/all.csv", at(1)))

    page = listing(index).upload(ADMIN, "uploads/head-office/g/all.csv", None, 20)

    assert [view.store for view in page.uploads] == [None]
