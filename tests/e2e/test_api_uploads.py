"""A store manager uploads through the API on the local stack, as the dashboard does: a grant, a POST
of the form straight to the bucket, then the upload and its report from the API.

The emulator accepts presigned POSTs without enforcing their policy (see tests/integration/api for the
policy's conditions, decoded); what holds locally is the key the grant chose and ingest's store check.

The uploads go to stores of this module's own, with a manager of their own: the lab stores other tests
read stay as the stack loaded them.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest
import requests
from inventory.report import ReportStatus
from inventory.uploads import UploadEntry, report_key, store_prefix

from tests.builders import csv_file
from tests.e2e.conftest import aws_client, create_user, demo_user, sign_in, unique_store, upload_file
from tests.e2e.test_api_security import get

pytestmark = pytest.mark.e2e

INGEST_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> dict[str, Any]:
    return dict(local_stack)


@pytest.fixture(scope="module")
def store() -> str:
    """The store this module's manager uploads for."""
    return unique_store("Uploads")


@pytest.fixture(scope="module")
def neighbour(stack: dict[str, Any]) -> str:
    """Another store, holding an item, that the manager may not change."""
    name = unique_store("Neighbour")
    report = upload_file(
        stack, f"{stack['upload_prefix']}neighbour-{uuid.uuid4().hex[:8]}.csv", csv_file([(name, "Echo Dot", 5)])
    )
    assert report["status"] == "ok", report
    return name


@pytest.fixture(scope="module")
def manager_account(stack: dict[str, Any], store: str) -> dict[str, Any]:
    return create_user(stack, stores=(store,), prefix="uploader")


@pytest.fixture(scope="module")
def manager(stack: dict[str, Any], manager_account: dict[str, Any]) -> str:
    return sign_in(stack, manager_account)["IdToken"]


@pytest.fixture(scope="module")
def admin(stack: dict[str, Any]) -> str:
    """The demo admin's ID token (signed in with its TOTP code: an admin without MFA gets 403 here)."""
    return sign_in(stack, demo_user(stack, admin=True))["IdToken"]


def segment(store: str) -> str:
    """A store name as one path segment of an API URL."""
    return quote(store, safe="")


def upload(grant: dict[str, Any], name: str, body: bytes) -> requests.Response:
    """What the dashboard does with a grant: the fields, then the file, as multipart/form-data."""
    return requests.post(grant["url"], data=grant["fields"], files={"file": (name, body)}, timeout=30)


def wait_for_upload(stack: dict[str, Any], token: str, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    while time.monotonic() < deadline:
        status, body = get(stack, f"/uploads?key={requests.utils.quote(key, safe='')}", token)
        if status == 200 and body["report"] and body["report"]["status"] not in ("loading", "retrying"):
            return dict(body)
        assert status in (200, 404), body
        time.sleep(0.5)
    pytest.fail(f"no final report for {key} after {INGEST_TIMEOUT_S} s")


def test_a_store_manager_uploads_a_file_and_sees_its_report(
    stack: dict[str, Any], manager: str, manager_account: dict[str, Any], store: str
) -> None:
    item = f"E2E Grant {uuid.uuid4().hex[:8]}"
    status, grant = get(
        stack, f"/stores/{segment(store)}/uploads", manager, body={"filename": "Inventur.CSV", "size": 80}
    )
    assert status == 201, grant
    assert grant["key"].startswith(store_prefix(store, stack["upload_prefix"]))
    policy = json.loads(base64.b64decode(grant["fields"]["policy"]))
    assert {"key": grant["key"]} in policy["conditions"]

    posted = upload(grant, "Inventur.CSV", f"store;item;count\n{store};{item};7\n".encode())

    assert posted.status_code in (200, 201, 204), posted.text
    found = wait_for_upload(stack, manager, grant["key"])
    assert found["report"]["status"] == "ok", found["report"]
    assert found["report"]["uploaded_by"] == manager_account["username"]
    assert found["uploads"][0]["store"] == store
    listed = get(stack, "/uploads", manager)[1]["uploads"]
    assert grant["key"] in [entry["key"] for entry in listed]
    items = get(stack, f"/stores/{segment(store)}/items?q={quote(item)}", manager)[1]["items"]
    assert [(entry["item"], entry["count"]) for entry in items] == [(item, 7)]


def test_a_file_naming_another_store_changes_nothing_there_and_says_why(
    stack: dict[str, Any], manager: str, admin: str, store: str, neighbour: str
) -> None:
    # Given a neighbouring store holding Echo Dot at 5, when the manager's file also names it (Echo Dot at 0)
    item = f"E2E Foreign {uuid.uuid4().hex[:8]}"
    grant = get(stack, f"/stores/{segment(store)}/uploads", manager, body={"filename": "mixed.csv", "size": 90})[1]

    upload(grant, "mixed.csv", f"store,item,count\n{store},{item},3\n{neighbour},Echo Dot,0\n".encode())

    # Then the file's own row lands, the other store's is rejected with its line, and that store is unchanged
    report = wait_for_upload(stack, manager, grant["key"])["report"]
    assert report["status"] == "partial"
    assert [error["line"] for error in report["errors"]] == [3]
    assert neighbour in report["errors"][0]["reason"]
    status, neighbours = get(stack, f"/stores/{segment(neighbour)}/items", admin)
    assert status == 200, neighbours
    assert [(entry["item"], entry["count"]) for entry in neighbours["items"]] == [("Echo Dot", 5)]
    assert get(stack, f"/stores/{segment(store)}/items?q={quote(item)}", manager)[1]["items"][0]["count"] == 3


def test_grants_only_for_your_own_stores(
    stack: dict[str, Any], manager: str, admin: str, store: str, neighbour: str
) -> None:
    for other in (neighbour, "Karachi"):
        status, _ = get(stack, f"/stores/{segment(other)}/uploads", manager, body={"filename": "k.csv", "size": 10})
        assert status == 403, other
    assert get(stack, "/uploads", manager, body={"filename": "all.csv", "size": 10})[0] == 403
    status, head_office = get(stack, "/uploads", admin, body={"filename": "all.csv", "size": 10})
    assert status == 201, head_office
    assert head_office["key"].startswith("uploads/head-office/")
    status, refused = get(stack, f"/stores/{segment(store)}/uploads", manager, body={"filename": "x.exe", "size": 10})
    assert status == 400
    assert refused["error"]["code"] == "unsupported_file_type"


def test_an_upload_whose_report_is_not_written_yet_answers_without_one(
    stack: dict[str, Any], manager: str, store: str
) -> None:
    """The API's role may not list the bucket, so S3 (and the local stack, as strict) answers its read of a
    report not written yet with 403 AccessDenied, not 404: still "no report yet", never an error."""
    key = f"{store_prefix(store, stack['upload_prefix'])}loading-{uuid.uuid4().hex[:8]}.csv"
    entry = UploadEntry(
        key=key,
        version="v1",
        bucket=stack["bucket"],
        store=store,
        received_at="2026-11-22T01:00:00.000Z",
        status=ReportStatus.LOADING,
        report_key=report_key(key, "v1", stack["reports_prefix"]),
    )
    aws_client(stack, "dynamodb").put_item(TableName=stack["uploads_table"], Item=entry.to_item())

    status, found = get(stack, f"/uploads?key={quote(key, safe='')}", manager)

    assert status == 200, found
    assert found["report"] is None
    assert found["uploads"][0]["status"] == "loading"
