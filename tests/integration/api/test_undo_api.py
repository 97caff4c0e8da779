"""Undoing an applied upload (``POST /uploads/undo``) through the real handler on moto: who may undo it,
which uploads can be, what the row records, and what ingest is asked to do.

Ingest's function cannot run under moto (Lambda needs Docker): its invocation is recorded at the
boundary (``IngestFunction.invoke_async``); tests/integration/ingest/test_undo_upload.py runs the undo
itself through ingest's handler.
"""

from __future__ import annotations

from typing import Any

import pytest
from inventory.uploads import UploadEntry, resume_event

from tests.builders import api_claims
from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, BUCKET, UPLOADS, ApiWorld, index_row

BERLIN_CLERK = api_claims("berlin-clerk", stores=["Berlin"])
KARACHI_MANAGER = api_claims("karachi-manager", stores=["Karachi"])
AT = "2026-11-22T01:00:00.000Z"


def undo(api: ApiWorld, claims: dict[str, Any], entry: UploadEntry) -> Any:
    return api.post("/uploads/undo", claims, {"key": entry.key, "version": entry.version})


def test_any_user_of_the_store_undoes_an_applied_upload_and_ingest_is_asked_to(
    api: ApiWorld, invoked: list[dict[str, Any]]
) -> None:
    entry = api.add_upload("Berlin", "g/bad.csv", received_at=AT, status="partial")  # uploaded by berlin-manager

    answer = undo(api, BERLIN_CLERK, entry)

    assert answer.status == 202, answer.body
    assert [upload["status"] for upload in answer.body["uploads"]] == ["loading"]
    stored = index_row(api, entry)
    assert stored["Status"] == {"S": "loading"}
    assert stored["Decision"] == {"S": "undo"}
    assert stored["DecidedBy"] == {"S": "berlin-clerk"}
    assert invoked == [resume_event(BUCKET, entry.key, entry.version)]


def test_a_head_office_file_is_undone_by_head_office_only(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    entry = api.add_upload(None, "g/all.csv", received_at=AT, stores=["Berlin"], uploaded_by="admin")

    manager = undo(api, BERLIN_MANAGER, entry)
    admin = undo(api, ADMIN, entry)

    assert (manager.status, manager.body["error"]["code"]) == (403, "forbidden")
    assert admin.status == 202, admin.body
    assert index_row(api, entry)["DecidedBy"] == {"S": "head-office"}
    assert len(invoked) == 1


def test_another_stores_user_may_not_undo(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    entry = api.add_upload("Berlin", "g/ok.csv", received_at=AT)

    answer = undo(api, KARACHI_MANAGER, entry)

    assert answer.status == 403
    assert answer.body["error"]["message"] == "you do not have access to this store"
    assert index_row(api, entry)["Status"] == {"S": "ok"}
    assert "Decision" not in index_row(api, entry)
    assert invoked == []


@pytest.mark.parametrize("status", ["failed", "needs_confirmation", "discarded", "loading", "undone"])
def test_only_an_applied_upload_can_be_undone(api: ApiWorld, invoked: list[dict[str, Any]], status: str) -> None:
    entry = api.add_upload("Berlin", "g/x.csv", received_at=AT, status=status)

    answer = undo(api, ADMIN, entry)

    assert (answer.status, answer.body["error"]["code"]) == (409, "not_applied")
    assert f"it is {status}" in answer.body["error"]["message"]
    assert index_row(api, entry)["Status"] == {"S": status}
    assert invoked == []


def test_an_upload_is_undone_once(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    entry = api.add_upload("Berlin", "g/ok.csv", received_at=AT)

    first = undo(api, BERLIN_MANAGER, entry)
    # Ingest takes the undo up (its owner token on the row): a second undo is no longer open
    api.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": {"S": entry.key}, "Version": {"S": entry.version}},
        UpdateExpression="SET #owner = :owner",
        ExpressionAttributeNames={"#owner": "Owner"},
        ExpressionAttributeValues={":owner": {"S": "ingest-token"}},
    )
    second = undo(api, ADMIN, entry)

    assert first.status == 202
    assert (second.status, second.body["error"]["code"]) == (409, "not_applied")
    assert len(invoked) == 1


def test_an_unknown_upload_is_404(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    answer = api.post("/uploads/undo", ADMIN, {"key": "uploads/stores/Berlin/g/none.csv", "version": "v9"})

    assert answer.status == 404
    assert invoked == []
