"""Ingest refuses a store's file whose uploader may no longer change that store: disabled, deleted or
moved off the store after their grant was signed. Head office's changes reach ingest through the People
table; they are written here with the dashboard API's own data access, so both sides of the contract
(``inventory.people``) are the real code."""

from __future__ import annotations

import pytest
from dashboard_api.dal.revocations import RevocationTable
from inventory.people import PersonAccess
from inventory.uploads import store_prefix

from tests.builders import csv_file
from tests.integration.ingest.conftest import PEOPLE, IngestWorld

pytestmark = pytest.mark.integration

#: A key as a grant signed at 2026-12-07 19:00:00 UTC makes it (epoch 1796670000).
GRANTED = 1_796_670_000
KEY = f"{store_prefix('Berlin')}20261207T190000Z-0123456789abcdef/stock.csv"
FILE = csv_file([("Berlin", "Echo Dot", 4), ("Berlin", "Kindle", 9)])


def upload_as(world: IngestWorld, uploader: str, key: str = KEY) -> dict[str, object]:
    world.upload(key, FILE, metadata={"uploaded-by": uploader}, principal=world.api_principal)
    return world.report(key)


def people(world: IngestWorld) -> RevocationTable:
    return RevocationTable(world.dynamodb, PEOPLE)


def test_a_file_of_an_uploader_disabled_after_the_grant_fails_and_loads_nothing(world: IngestWorld) -> None:
    people(world).record_access("ravi", PersonAccess.recorded(enabled=False, stores=["Berlin"]))

    report = upload_as(world, "ravi")

    assert report["status"] == "failed"
    assert "'ravi' was disabled or deleted" in str(report["reason"])
    assert world.items("Berlin") == {}


def test_a_file_of_an_uploader_who_lost_the_store_fails_and_loads_nothing(world: IngestWorld) -> None:
    people(world).record_access("ravi", PersonAccess.recorded(enabled=True, stores=["Karachi"]))

    report = upload_as(world, "ravi")

    assert report["status"] == "failed"
    assert "may no longer change store 'Berlin'" in str(report["reason"])
    assert world.items("Berlin") == {}


def test_a_file_of_an_uploader_who_still_has_the_store_loads(world: IngestWorld) -> None:
    people(world).record_access("ravi", PersonAccess.recorded(enabled=True, stores=["Berlin", "Karachi"]))
    people(world).revoke("ravi", GRANTED + 60)  # sessions ended since (a password reset), the store kept

    report = upload_as(world, "ravi")

    assert report["status"] == "ok"
    assert world.counts("Berlin") == {"Echo Dot": 4, "Kindle": 9}


def test_without_recorded_access_a_revocation_after_the_grant_refuses_the_file(world: IngestWorld) -> None:
    people(world).revoke("ravi", GRANTED + 1)

    report = upload_as(world, "ravi")

    assert report["status"] == "failed"
    assert "access changed after the upload was granted" in str(report["reason"])
    assert world.items("Berlin") == {}


def test_without_recorded_access_a_revocation_before_the_grant_changes_nothing(world: IngestWorld) -> None:
    people(world).revoke("ravi", GRANTED)  # the grant was signed in the second sessions were revoked up to

    assert upload_as(world, "ravi")["status"] == "ok"


def test_a_head_office_file_of_an_admin_no_longer_admin_fails(world: IngestWorld) -> None:
    people(world).record_access("ana", PersonAccess.recorded(enabled=True, admin=False, stores=["Berlin"]))
    key = "uploads/head-office/20261207T190000Z-0123456789abcdef/all.csv"

    report = upload_as(world, "ana", key)

    assert report["status"] == "failed"
    assert "may no longer change every store" in str(report["reason"])
