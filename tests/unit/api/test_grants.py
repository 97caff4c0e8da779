"""Upload grants: one new key under the caller's own store, a cleaned file name, the size cap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.grants import GRANT_SECONDS, UploadGrants, clean_file_name
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.errors import FileTooLarge, InvalidInput, NotAllowed
from inventory.uploads import MAX_KEY_BYTES, store_of_key, store_prefix

from tests.fakes.api import FakeSigner

pytestmark = pytest.mark.unit

ADMIN = Caller("a", "head-office", admin=True, stores=frozenset())
BERLIN = Caller("b", "berlin-manager", admin=False, stores=frozenset({"Berlin", "Store A/B #1", "東京 本店"}))
NOW = datetime(2026, 11, 22, 3, 15, 0, tzinfo=UTC)
MAX_BYTES = 50 * 1024 * 1024


def grants(signer: FakeSigner | None = None) -> UploadGrants:
    return UploadGrants(
        signer=signer or FakeSigner(),
        max_bytes=MAX_BYTES,
        clock=lambda: NOW,
        token=lambda: "0123456789abcdef",
    )


@pytest.mark.parametrize("store", ["Berlin", "Store A/B #1", "東京 本店"])
def test_a_store_grant_is_for_one_new_key_in_that_store_folder(store: str) -> None:
    signer = FakeSigner()

    grant = grants(signer).for_store(BERLIN, store, "inventory.csv", 1234)

    assert grant.key == f"{store_prefix(store)}20261122T031500Z-0123456789abcdef/inventory.csv"
    assert store_of_key(grant.key) == store  # ingest reads the same store back from the key
    assert signer.signed == [
        {"key": grant.key, "max_bytes": MAX_BYTES, "uploaded_by": "berlin-manager", "expires_in": GRANT_SECONDS}
    ]
    assert GRANT_SECONDS <= 15 * 60
    assert grant.expires_at == "2026-11-22T03:25:00.000Z"
    assert grant.max_bytes == MAX_BYTES


def test_a_store_the_caller_may_not_see_is_forbidden_before_anything_is_signed() -> None:
    signer = FakeSigner()

    with pytest.raises(NotAllowed):
        grants(signer).for_store(BERLIN, "Karachi", "inventory.csv", 10)
    assert signer.signed == []


def test_admins_get_grants_for_any_store_and_head_office_grants_outside_the_stores_folder() -> None:
    store_grant = grants().for_store(ADMIN, "Karachi", "k.csv", 10)
    head_office = grants().for_head_office(ADMIN, "all-stores.xlsx", 10)

    assert store_of_key(store_grant.key) == "Karachi"
    assert head_office.key == "uploads/head-office/20261122T031500Z-0123456789abcdef/all-stores.xlsx"
    assert not head_office.key.startswith("uploads/stores/")
    assert store_of_key(head_office.key) is None  # ingest: a multi-store file


def test_only_admins_get_head_office_grants() -> None:
    with pytest.raises(NotAllowed, match="admins"):
        grants().for_head_office(BERLIN, "all.csv", 10)


def test_every_grant_has_its_own_key() -> None:
    live = UploadGrants(signer=FakeSigner(), max_bytes=MAX_BYTES, clock=lambda: NOW)

    keys = {live.for_store(BERLIN, "Berlin", "same.csv", 10).key for _ in range(50)}

    assert len(keys) == 50


@pytest.mark.parametrize("size", [MAX_BYTES + 1, 10**15])
def test_a_file_over_the_cap_is_refused_with_the_limit_in_the_message(size: int) -> None:
    with pytest.raises(FileTooLarge, match="52,428,800 bytes"):
        grants().for_store(BERLIN, "Berlin", "big.csv", size)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("inventory.csv", "inventory.csv"),
        ("Berlin.CSV", "Berlin.CSV"),
        ("stock.Json", "stock.Json"),
        ("rows.JSONL", "rows.JSONL"),
        ("Inventur März.xlsx", "Inventur März.xlsx"),
        ("../../reports/x.json", "x.json"),
        ("..\\..\\reports\\x.json", "x.json"),
        ("/etc/passwd.csv", "passwd.csv"),
        ("reports/uploads/stores/Karachi/x.csv", "x.csv"),
        ("..csv.csv", "csv.csv"),
        ("  spaced   out  .csv", "spaced out.csv"),
        ("tab\tand\nnewline\r.csv", "tabandnewline.csv"),
        ("zero\u200bwidth\u202eright-to-left.csv", "zerowidthright-to-left.csv"),
        ("null\x00byte.csv", "nullbyte.csv"),
        ("a#b?c%d&e{f}$g.csv", "a_b_c_d_e_f__g.csv"),
        ("${filename}.csv", "__filename_.csv"),
        ("e\u0301te\u0301.csv", "\u00e9t\u00e9.csv"),
        ("x" * 250 + ".csv", "x" * 100 + ".csv"),
    ],
)
def test_file_names_are_cleaned_into_one_harmless_segment(raw: str, kept: str) -> None:
    assert clean_file_name(raw) == kept


@pytest.mark.parametrize("raw", ["inventory.txt", "inventory", "inventory.csv.exe", "x.xls", "x.", "..", ".", "csv"])
def test_other_file_types_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_file_name(raw)

    assert answer_to(refused.value).code == "unsupported_file_type"
    assert ".csv, .json, .jsonl and .xlsx" in refused.value.message


@pytest.mark.parametrize("raw", [".csv", "   .csv", "...json", "\x00\x01.csv", "../.csv"])
def test_a_name_with_nothing_before_its_extension_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_file_name(raw)

    assert answer_to(refused.value).code == "invalid_file_name"


def test_a_key_that_would_pass_s3s_limit_keeps_a_shorter_name() -> None:
    store = "店" * 100  # 900 bytes once percent-encoded
    caller = Caller("c", "u", admin=False, stores=frozenset({store}))

    grant = grants().for_store(caller, store, "y" * 100 + ".csv", 10)

    assert len(grant.key.encode()) <= MAX_KEY_BYTES
    assert grant.key.endswith(".csv")
    assert store_of_key(grant.key) == store


def test_a_store_name_too_long_for_any_key_is_refused_with_a_message() -> None:
    store = "店" * 200  # 1,800 bytes percent-encoded: no key can hold it
    caller = Caller("c", "u", admin=False, stores=frozenset({store}))

    with pytest.raises(InvalidInput, match="too long"):
        grants().for_store(caller, store, "x.csv", 10)


def test_a_grant_asks_for_a_dry_run_only_when_the_request_does() -> None:
    signer = FakeSigner()

    grants(signer).for_store(BERLIN, "Berlin", "a.csv", 10, dry_run=True)
    grants(signer).for_head_office(ADMIN, "b.csv", 10, dry_run=True)
    grants(signer).for_store(BERLIN, "Berlin", "c.csv", 10)

    assert [call.get("dry_run", False) for call in signer.signed] == [True, True, False]
