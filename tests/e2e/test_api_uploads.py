"""A store manager uploads through the API on the local stack, as the dashboard does: a grant, a POST
of the form straight to the bucket, then the upload and its report from the API.

The emulator accepts presigned POSTs without enforcing their policy (see tests/integration/api for the
policy's conditions, decoded); what holds locally is the key the grant chose and ingest's store check.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.test_api_security import _demo_user, _sign_in, get

pytestmark = pytest.mark.e2e

INGEST_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> dict[str, Any]:
    return dict(local_stack)


@pytest.fixture(scope="module")
def manager(stack: dict[str, Any]) -> str:
    return _sign_in(stack, _demo_user(stack, admin=False))["IdToken"]


@pytest.fixture(scope="module")
def admin(stack: dict[str, Any]) -> str:
    return _sign_in(stack, _demo_user(stack, admin=True))["IdToken"]


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


def test_a_store_manager_uploads_a_file_and_sees_its_report(stack: dict[str, Any], manager: str) -> None:
    item = f"E2E Grant {uuid.uuid4().hex[:8]}"
    status, grant = get(stack, "/stores/Berlin/uploads", manager, body={"filename": "Berlin Inventur.CSV", "size": 80})
    assert status == 201, grant
    assert grant["key"].startswith("uploads/stores/Berlin/")
    policy = json.loads(base64.b64decode(grant["fields"]["policy"]))
    assert {"key": grant["key"]} in policy["conditions"]

    posted = upload(grant, "Berlin Inventur.CSV", f"store;item;count\nBerlin;{item};7\n".encode())

    assert posted.status_code in (200, 201, 204), posted.text
    found = wait_for_upload(stack, manager, grant["key"])
    assert found["report"]["status"] == "ok", found["report"]
    assert found["report"]["uploaded_by"] == "berlin-manager"
    assert found["uploads"][0]["store"] == "Berlin"
    listed = get(stack, "/uploads", manager)[1]["uploads"]
    assert grant["key"] in [entry["key"] for entry in listed]
    items = get(stack, f"/stores/Berlin/items?q={requests.utils.quote(item)}", manager)[1]["items"]
    assert [(entry["item"], entry["count"]) for entry in items] == [(item, 7)]


def test_a_berlin_file_naming_karachi_changes_nothing_in_karachi_and_says_why(
    stack: dict[str, Any], manager: str, admin: str
) -> None:
    item = f"E2E Foreign {uuid.uuid4().hex[:8]}"
    grant = get(stack, "/stores/Berlin/uploads", manager, body={"filename": "mixed.csv", "size": 90})[1]

    upload(grant, "mixed.csv", f"store,item,count\nBerlin,{item},3\nKarachi,{item},0\n".encode())

    report = wait_for_upload(stack, manager, grant["key"])["report"]
    assert report["status"] == "partial"
    assert [error["line"] for error in report["errors"]] == [3]
    assert get(stack, f"/stores/Karachi/items?q={requests.utils.quote(item)}", admin)[1]["items"] == []


def test_grants_only_for_your_own_stores(stack: dict[str, Any], manager: str, admin: str) -> None:
    assert get(stack, "/stores/Karachi/uploads", manager, body={"filename": "k.csv", "size": 10})[0] == 403
    assert get(stack, "/uploads", manager, body={"filename": "all.csv", "size": 10})[0] == 403
    status, head_office = get(stack, "/uploads", admin, body={"filename": "all.csv", "size": 10})
    assert status == 201
    assert head_office["key"].startswith("uploads/head-office/")
    status, refused = get(stack, "/stores/Berlin/uploads", manager, body={"filename": "x.exe", "size": 10})
    assert status == 400
    assert refused["error"]["code"] == "unsupported_file_type"
