"""The shapes services exchange: each one's writer and reader are one class, pinned by round trips."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inventory.history import HistoryEntry
from inventory.models import MAX_NAME_LENGTH, RESERVED_STORE_NAMES, RowError
from inventory.report import MalformedReport, ReportStatus, RowCounts, UploadReport, UploadSource
from inventory.uploads import (
    HEAD_OFFICE,
    MAX_KEY_BYTES,
    InvalidUploadKey,
    UploadEntry,
    encode_store,
    report_key,
    store_of_key,
    store_prefix,
    version_tag,
)

from tests.builders import every_field_set

pytestmark = pytest.mark.unit

#: Names ingest accepts: no control characters, not blank, at most 200 characters.
store_names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=MAX_NAME_LENGTH).filter(
    lambda name: name.strip() == name and name != "" and name not in RESERVED_STORE_NAMES
)


def sample_report() -> UploadReport:
    report = UploadReport(
        source=UploadSource("uploads-bucket", "uploads/stores/Berlin/g1/inventory.csv", etag="abc", version_id="v1"),
        store="Berlin",
        uploaded_by="berlin-manager",
        status=ReportStatus.PARTIAL,
        reason=None,
        rows=RowCounts(read=3, accepted=2, rejected=1, written=2),
        started_at="2026-11-22T03:00:00.000Z",
        finished_at="2026-11-22T03:00:01.000Z",
    )
    report.reject(RowError(4, "count must be a whole number of 0 or more, got 'ten'"))
    report.rows.rejected = 1
    report.saw_store("Berlin")
    return report


def test_a_report_reads_back_as_written_through_json() -> None:
    report = sample_report()

    again = UploadReport.from_json(json.loads(json.dumps(report.to_json())))

    assert again.to_json() == report.to_json()
    assert again.status is ReportStatus.PARTIAL
    assert again.errors == [RowError(4, "count must be a whole number of 0 or more, got 'ten'")]


@pytest.mark.parametrize(
    "broken",
    [
        [],
        {"status": "ok"},  # no source
        {"source": {"key": "k"}, "status": "exploded"},
        {"source": {"key": "k"}, "status": "ok", "rows": {"read": -1}},
        {"source": {"key": "k"}, "status": "ok", "errors": [{"line": "4", "reason": "x"}]},
        {"source": {"key": 7}, "status": "ok"},
    ],
)
def test_a_report_in_another_shape_is_refused_not_guessed(broken: object) -> None:
    with pytest.raises(MalformedReport):
        UploadReport.from_json(broken)


def test_every_field_of_a_report_and_of_an_index_row_survives_its_round_trip() -> None:
    """A field added to either model but left out of its writer or reader fails here."""
    report, entry = every_field_set(UploadReport), every_field_set(UploadEntry)

    assert UploadReport.from_json(json.loads(json.dumps(report.to_json()))) == report
    assert UploadEntry.from_item(entry.to_item()) == entry


def test_only_loading_and_retrying_are_not_final() -> None:
    assert {status for status in ReportStatus if not status.final} == {ReportStatus.LOADING, ReportStatus.RETRYING}


def test_an_index_row_reads_back_as_written_and_summarises_the_report() -> None:
    report = sample_report()
    entry = UploadEntry.of(report, version="v1", received_at="2026-11-22T03:00:00.000Z", report_key="reports/x")

    again = UploadEntry.from_item(entry.to_item())

    assert again == entry
    assert again.store == "Berlin"
    assert again.rows.written == 2
    assert again.errors[0].line == 4


def test_a_head_office_upload_is_indexed_under_the_head_office_scope() -> None:
    report = UploadReport(UploadSource("b", "uploads/all-stores.csv"), status=ReportStatus.OK)

    entry = UploadEntry.of(report, version="v", received_at="t", report_key="r")

    assert entry.scope == HEAD_OFFICE
    assert UploadEntry.from_item(entry.to_item()).store is None


@given(store_names)
def test_any_store_name_is_one_key_segment_that_decodes_to_itself(store: str) -> None:
    prefix = store_prefix(store)

    assert prefix.count("/") == 3  # uploads/stores/<store>/
    assert store_of_key(f"{prefix}grant/file.csv") == store


@pytest.mark.parametrize("store", ["Berlin", "São Paulo", "A/B", "#1 Shop", "..", "東京", "Shop 50%"])
def test_hostile_store_names_stay_inside_their_own_folder(store: str) -> None:
    segment = encode_store(store)

    assert not {"/", "#", " "} & set(segment)
    assert segment not in (".", "..")
    assert store_of_key(f"uploads/stores/{segment}/g/f.csv") == store


@pytest.mark.parametrize(
    "key",
    [
        "uploads/stores/Berlin",  # no file
        "uploads/stores//g/f.csv",  # no store
        "uploads/stores/%42erlin/g/f.csv",  # not canonical: two prefixes for one store
        "uploads/stores/%FF/g/f.csv",  # not UTF-8
        "uploads/stores/%20Berlin/g/f.csv",  # surrounding space: not a name ingest stores
        "uploads/stores/a%00b/g/f.csv",  # a control character
        "uploads/stores/%2A/g/f.csv",  # "*": head office is a role, never a store's folder
    ],
)
def test_a_malformed_store_folder_is_refused(key: str) -> None:
    with pytest.raises(InvalidUploadKey):
        store_of_key(key)


def test_a_key_outside_the_stores_folder_is_a_head_office_upload() -> None:
    assert store_of_key("uploads/inventory-berlin.csv") is None
    assert store_of_key("uploads/storesX/Berlin/f.csv") is None


def test_each_version_gets_its_own_report_and_long_keys_a_bounded_one() -> None:
    key = "uploads/inventory.csv"
    first, second = report_key(key, version_tag("v/1+a")), report_key(key, version_tag("v2"))
    long_key = "uploads/" + "x" * 1010 + ".csv"

    assert first != second
    assert first == "reports/uploads/inventory.csv/v%2F1%2Ba.json"
    assert len(report_key(long_key, version_tag("v1")).encode()) <= MAX_KEY_BYTES
    assert report_key(long_key, "v1") != report_key(long_key + "y", "v1")


def test_a_version_tag_falls_back_to_the_sequencer_then_the_etag() -> None:
    assert version_tag("", "0055AED6DCD90281E5", "e") == "0055AED6DCD90281E5"
    assert version_tag("null", "", "etag") == "etag"
    assert version_tag("", "", "") == "unversioned"


def test_a_history_row_reads_back_as_written() -> None:
    entry = HistoryEntry("Berlin", "Echo Dot", "2026-11-22T03:00:00.000Z", "000123", 3, 0, 1_800_000_000)
    announced = HistoryEntry("Berlin", "Echo Dot", "2026-11-22T03:00:00.000Z", "000123", None, 0, 1, "out", "t")

    assert HistoryEntry.from_item(entry.to_item()) == entry
    assert HistoryEntry.from_item(announced.to_item()) == announced
