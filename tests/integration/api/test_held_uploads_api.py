"""Confirming and discarding a held upload (``POST /uploads/confirm``, ``/uploads/discard``) through the
real handler on moto: who may decide, what the row records, and what ingest is asked to do.

Ingest's function cannot run under moto (Lambda needs Docker): its invocation is recorded at the
boundary (``IngestFunction.invoke_async``); the e2e tests run the whole decision on the local stack.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from dashboard_api.dal.ingest import IngestFunction
from dashboard_api.models.errors import Unavailable
from inventory.report import Plan, UploadReport
from inventory.uploads import UploadEntry, resume_event

from tests.builders import api_claims
from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, BUCKET, UPLOADS, ApiWorld, index_row

BERLIN_CLERK = api_claims("berlin-clerk", stores=["Berlin"])
KARACHI_MANAGER = api_claims("karachi-manager", stores=["Karachi"])


def held(api: ApiWorld, store: str | None = "Berlin", name: str = "g/berlin.csv") -> UploadEntry:
    return api.add_upload(store, name, received_at="2026-11-22T01:00:00.000Z", status="needs_confirmation")


def decide(api: ApiWorld, decision: str, claims: dict[str, Any], entry: UploadEntry) -> Any:
    return api.post(f"/uploads/{decision}", claims, {"key": entry.key, "version": entry.version})


def test_the_uploader_confirms_a_held_file_and_ingest_is_asked_to_load_it(
    api: ApiWorld, invoked: list[dict[str, Any]]
) -> None:
    entry = held(api)

    answer = decide(api, "confirm", BERLIN_MANAGER, entry)

    assert answer.status == 202, answer.body
    assert [upload["status"] for upload in answer.body["uploads"]] == ["loading"]
    stored = index_row(api, entry)
    assert stored["Status"] == {"S": "loading"}
    assert stored["Decision"] == {"S": "confirm"}
    assert stored["DecidedBy"] == {"S": "berlin-manager"}
    assert invoked == [resume_event(BUCKET, entry.key, entry.version)]


def test_head_office_discards_a_stores_held_file(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    entry = held(api)

    answer = decide(api, "discard", ADMIN, entry)

    assert answer.status == 202, answer.body
    assert index_row(api, entry)["Decision"] == {"S": "discard"}
    assert len(invoked) == 1


def test_only_the_uploader_or_head_office_may_decide(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    entry = held(api)
    head_office_file = held(api, None, "g/all.csv")

    clerk = decide(api, "confirm", BERLIN_CLERK, entry)
    foreign = decide(api, "discard", KARACHI_MANAGER, entry)
    not_admin = decide(api, "confirm", BERLIN_MANAGER, head_office_file)

    assert (clerk.status, clerk.body["error"]["code"]) == (403, "forbidden")
    assert "uploaded this file" in clerk.body["error"]["message"]
    assert foreign.status == 403
    assert foreign.body["error"]["message"] == "you do not have access to this store"
    assert not_admin.status == 403
    assert index_row(api, entry)["Status"] == {"S": "needs_confirmation"}
    assert "Decision" not in index_row(api, entry)
    assert invoked == []


def test_a_file_that_is_not_held_or_already_decided_is_409(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    loaded = api.add_upload("Berlin", "g/ok.csv", received_at="2026-11-22T01:00:00.000Z")
    entry = held(api)

    not_held = decide(api, "confirm", BERLIN_MANAGER, loaded)
    first = decide(api, "discard", BERLIN_MANAGER, entry)
    other = decide(api, "confirm", ADMIN, entry)

    assert (not_held.status, not_held.body["error"]["code"]) == (409, "not_held")
    assert "it is ok" in not_held.body["error"]["message"]
    assert first.status == 202
    assert (other.status, other.body["error"]["code"]) == (409, "not_held")
    assert index_row(api, entry)["Decision"] == {"S": "discard"}
    assert len(invoked) == 1


def test_a_decision_ingest_was_not_reached_for_can_be_sent_again(
    api: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = held(api)
    calls: list[dict[str, Any]] = []

    def unreachable(_self: IngestFunction, event: dict[str, Any]) -> None:
        calls.append(event)
        if len(calls) == 1:  # Lambda's Invoke failed once, after the decision was recorded
            raise Unavailable("ingest could not be asked to carry the decision out; try again shortly")

    monkeypatch.setattr(IngestFunction, "invoke_async", unreachable)
    first = decide(api, "confirm", BERLIN_MANAGER, entry)
    again = decide(api, "confirm", BERLIN_MANAGER, entry)
    # Once ingest has claimed it (its owner token on the row), the decision is no longer open
    api.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": {"S": entry.key}, "Version": {"S": entry.version}},
        UpdateExpression="SET #owner = :owner",
        ExpressionAttributeNames={"#owner": "Owner"},
        ExpressionAttributeValues={":owner": {"S": "ingest-token"}},
    )
    late = decide(api, "confirm", BERLIN_MANAGER, entry)

    assert (first.status, first.body["error"]["code"]) == (503, "unavailable")
    assert again.status == 202
    assert late.status == 409
    assert len(calls) == 2


def test_when_ingests_function_cannot_be_invoked_a_decision_is_503_not_500(api: ApiWorld) -> None:
    entry = held(api)  # the world names an ingest function that Lambda does not have

    answer = decide(api, "confirm", BERLIN_MANAGER, entry)

    assert answer.status == 503
    assert "try again shortly" in answer.body["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [{}, {"key": "uploads/stores/Berlin/g/x.csv"}, {"key": 5, "version": "v1"}, {"key": "", "version": "v1"}],
)
def test_a_malformed_decision_is_422(api: ApiWorld, body: dict[str, Any]) -> None:
    answer = api.post("/uploads/confirm", BERLIN_MANAGER, body)

    assert answer.status == 422
    assert answer.body["error"]["code"] == "invalid_parameter"


def test_an_unknown_upload_is_404(api: ApiWorld, invoked: list[dict[str, Any]]) -> None:
    answer = api.post("/uploads/discard", ADMIN, {"key": "uploads/stores/Berlin/g/none.csv", "version": "v9"})

    assert answer.status == 404
    assert invoked == []


def test_a_held_uploads_plan_is_in_its_row_and_report(api: ApiWorld) -> None:
    entry = held(api)
    plan = Plan(changed=12, out_of_stock=3, retired=0)
    report = UploadReport.from_json(json.loads(api.s3.get_object(Bucket=BUCKET, Key=entry.report_key)["Body"].read()))
    report.plan = plan
    api.s3.put_object(Bucket=BUCKET, Key=entry.report_key, Body=json.dumps(report.to_json()).encode())
    entry.plan = plan
    api.dynamodb.put_item(TableName=UPLOADS, Item=entry.to_item())

    answer = api.get("/uploads", BERLIN_MANAGER, {"key": entry.key})

    assert answer.status == 200, answer.body
    assert answer.body["uploads"][0]["plan"] == {"changed": 12, "out_of_stock": 3, "retired": 0}
    assert answer.body["report"]["plan"] == {"changed": 12, "out_of_stock": 3, "retired": 0}
    assert answer.body["report"]["status"] == "needs_confirmation"
