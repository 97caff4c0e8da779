"""Uploads through the API: grants (the signed policy, decoded), uploads listed from the index only,
one upload's report, and reads that stay bounded under abuse."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
from botocore.awsrequest import AWSResponse
from dashboard_api.dal.uploads import ENTRY_ATTRIBUTES
from inventory.models import RowError, SourceVersion
from inventory.report import ReportStatus, RowCounts
from inventory.table import StoredItem, to_attributes
from inventory.uploads import UploadEntry, report_key, store_of_key, store_prefix

from tests.builders import api_claims, every_field_set
from tests.integration.api.conftest import (
    ADMIN,
    BERLIN_MANAGER,
    BUCKET,
    INVENTORY,
    MAX_UPLOAD_BYTES,
    STORES,
    UPLOADS,
    ApiWorld,
)

pytestmark = pytest.mark.integration

GRANT_ROUTE = "/stores/{store}/uploads"
ITEMS_ROUTE = "/stores/{store}/items"


def grant_path(store: str) -> str:
    return f"/stores/{quote(store, safe='')}/uploads"


def policy_of(grant: dict[str, Any]) -> dict[str, Any]:
    """The signed POST policy, decoded from the form fields (base64 JSON)."""
    return json.loads(base64.b64decode(grant["fields"]["policy"]))  # type: ignore[no-any-return]


# -- grants -------------------------------------------------------------------------------------


def test_no_grant_is_signed_for_a_store_named_like_head_office(api: ApiWorld) -> None:
    answer = api.post(grant_path("*"), ADMIN, {"filename": "all.csv", "size": 10}, route=GRANT_ROUTE)

    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_name"
    assert "reserved" in answer.body["error"]["message"]


def test_a_store_grant_signs_a_policy_for_exactly_one_key_of_that_store(api: ApiWorld) -> None:
    """moto accepts presigned POSTs without enforcing their conditions, so the policy is decoded
    and each condition asserted here; real S3 refuses any post that breaks one."""
    before = datetime.now(UTC)
    answer = api.post(grant_path("Berlin"), BERLIN_MANAGER, {"filename": "Inventur März.CSV", "size": 1234},
                      route=GRANT_ROUTE)  # fmt: skip

    assert answer.status == 201, answer.body
    grant = answer.body
    assert set(grant) == {"url", "fields", "key", "expires_at", "max_bytes"}
    key = grant["key"]
    assert key.startswith(store_prefix("Berlin"))
    assert key.endswith("/Inventur März.CSV")
    assert store_of_key(key) == "Berlin"
    assert grant["max_bytes"] == MAX_UPLOAD_BYTES
    assert grant["fields"]["key"] == key
    assert grant["fields"]["x-amz-meta-uploaded-by"] == "berlin-manager"
    policy = policy_of(grant)
    conditions = policy["conditions"]
    assert {"key": key} in conditions  # the exact key, not a prefix
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    assert ["content-length-range", 1, MAX_UPLOAD_BYTES] in conditions
    assert {"x-amz-meta-uploaded-by": "berlin-manager"} in conditions
    assert {"bucket": BUCKET} in conditions
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before < expiration <= datetime.now(UTC) + timedelta(minutes=15)
    expires_at = datetime.fromisoformat(grant["expires_at"].replace("Z", "+00:00"))
    assert abs(expires_at - expiration) < timedelta(seconds=1)  # what the page shows is what S3 enforces


def test_posting_the_grants_form_stores_the_file_with_the_uploader(api: ApiWorld) -> None:
    grant = api.post(grant_path("Berlin"), BERLIN_MANAGER, {"filename": "berlin.csv", "size": 25},
                     route=GRANT_ROUTE).body  # fmt: skip
    body = b"store,item,count\nBerlin,Echo Dot,3\n"

    posted = requests.post(grant["url"], data=grant["fields"], files={"file": ("berlin.csv", body)}, timeout=10)

    assert posted.status_code in (200, 201, 204), posted.text
    stored = api.s3.get_object(Bucket=BUCKET, Key=grant["key"])
    assert stored["Body"].read() == body
    assert stored["Metadata"] == {"uploaded-by": "berlin-manager"}


def test_a_full_list_grant_stores_the_file_saying_so(api: ApiWorld) -> None:
    grant = api.post(grant_path("Berlin"), BERLIN_MANAGER, {"filename": "berlin.csv", "size": 25, "full_list": True},
                     route=GRANT_ROUTE).body  # fmt: skip
    body = b"store,item,count\nBerlin,Echo Dot,3\n"

    posted = requests.post(grant["url"], data=grant["fields"], files={"file": ("berlin.csv", body)}, timeout=10)

    assert posted.status_code in (200, 201, 204), posted.text
    assert {"x-amz-meta-full-list": "true"} in policy_of(grant)["conditions"]  # S3, not moto, enforces it
    stored = api.s3.get_object(Bucket=BUCKET, Key=grant["key"])
    assert stored["Metadata"] == {"uploaded-by": "berlin-manager", "full-list": "true"}


@pytest.mark.parametrize(
    ("filename", "kept"),
    [
        ("../../reports/x.json", "x.json"),
        ("reports/uploads/stores/Karachi/evil.csv", "evil.csv"),
        ("..\\..\\x.jsonl", "x.jsonl"),
        ("a\x00b\u202e.xlsx", "ab.xlsx"),
    ],
)
def test_a_hostile_file_name_stays_a_harmless_name_inside_the_prefix(api: ApiWorld, filename: str, kept: str) -> None:
    answer = api.post(grant_path("Berlin"), BERLIN_MANAGER, {"filename": filename, "size": 10}, route=GRANT_ROUTE)

    assert answer.status == 201, answer.body
    assert answer.body["key"].startswith(store_prefix("Berlin"))
    assert answer.body["key"].rsplit("/", 1)[1] == kept
    assert store_of_key(answer.body["key"]) == "Berlin"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": "x.csv", "size": MAX_UPLOAD_BYTES + 1}, 413, "file_too_large"),
        ({"filename": "x.csv", "size": 0}, 422, "invalid_parameter"),
        ({"filename": "x.exe", "size": 10}, 400, "unsupported_file_type"),
        ({"filename": "notes.txt", "size": 10}, 400, "unsupported_file_type"),
        ({"filename": "", "size": 10}, 422, "invalid_parameter"),
        ({"filename": " .csv", "size": 10}, 400, "invalid_file_name"),
        ({"filename": "x.csv", "size": 10, "full_list": "yes"}, 422, "invalid_parameter"),
        ({"filename": "x" * 5000 + ".csv", "size": 10}, 422, "invalid_parameter"),
    ],
)
def test_a_bad_grant_request_is_4xx_with_a_message(api: ApiWorld, body: dict[str, Any], status: int, code: str) -> None:
    answer = api.post(grant_path("Berlin"), BERLIN_MANAGER, body, route=GRANT_ROUTE)

    assert answer.status == status, answer.body
    assert answer.body["error"]["code"] == code
    assert answer.body["error"]["message"]


def test_grants_are_for_your_own_stores_and_head_office_grants_for_admins(api: ApiWorld) -> None:
    foreign = api.post(grant_path("Karachi"), BERLIN_MANAGER, {"filename": "k.csv", "size": 10}, route=GRANT_ROUTE)
    head_office_for_manager = api.post("/uploads", BERLIN_MANAGER, {"filename": "all.csv", "size": 10})
    admin_store = api.post(grant_path("Karachi"), ADMIN, {"filename": "k.csv", "size": 10}, route=GRANT_ROUTE)
    head_office = api.post("/uploads", ADMIN, {"filename": "all.csv", "size": 10})

    assert foreign.status == 403
    assert foreign.body["error"]["code"] == "forbidden"
    assert head_office_for_manager.status == 403
    assert admin_store.status == 201
    assert store_of_key(admin_store.body["key"]) == "Karachi"
    assert head_office.status == 201
    assert head_office.body["key"].startswith("uploads/head-office/")
    assert store_of_key(head_office.body["key"]) is None
    assert {"x-amz-meta-uploaded-by": "head-office"} in policy_of(head_office.body)["conditions"]


def test_a_grant_without_a_verified_token_is_401(api: ApiWorld) -> None:
    access_token = {**BERLIN_MANAGER, "token_use": "access"}
    access_token.pop("aud")
    access_token.pop("custom:stores")

    unverified = api.post(grant_path("Berlin"), None, {"filename": "x.csv", "size": 10}, route=GRANT_ROUTE)
    wrong_token = api.post(grant_path("Berlin"), access_token, {"filename": "x.csv", "size": 10}, route=GRANT_ROUTE)

    assert unverified.status == 401
    assert wrong_token.status == 401
    assert wrong_token.body["error"]["code"] == "id_token_required"
    assert "ID token" in wrong_token.body["error"]["message"]


def test_the_role_signs_without_calling_s3(api: ApiWorld) -> None:
    calls = api.handler_calls("s3")

    answer = api.post(grant_path("Berlin"), BERLIN_MANAGER, {"filename": "x.csv", "size": 10}, route=GRANT_ROUTE)

    assert answer.status == 201
    assert calls == []


# -- uploads from the index ---------------------------------------------------------------------


def test_a_store_sees_its_failed_file_and_no_other_store_or_head_office_file(api: ApiWorld) -> None:
    api.add_upload("Berlin", "g1/berlin.csv", received_at="2026-11-22T01:00:00.000Z")
    api.add_upload("Karachi", "g2/karachi.csv", received_at="2026-11-22T02:00:00.000Z", uploaded_by="karachi-manager")
    api.add_upload(None, "g3/all.csv", received_at="2026-11-22T03:00:00.000Z", stores=["Berlin", "Karachi"],
                   uploaded_by="head-office")  # fmt: skip
    api.add_upload("Berlin", "g4/broken.xlsx", received_at="2026-11-22T04:00:00.000Z", status="failed", stores=[],
                   reason="the workbook could not be opened")  # fmt: skip

    manager = api.get("/uploads", BERLIN_MANAGER)
    admin = api.get("/uploads", ADMIN)

    assert manager.status == 200
    assert [(u["file_name"], u["status"], u["store"]) for u in manager.body["uploads"]] == [
        ("broken.xlsx", "failed", "Berlin"),
        ("berlin.csv", "ok", "Berlin"),
    ]
    assert manager.body["uploads"][0]["reason"] == "the workbook could not be opened"
    assert manager.body["uploads"][0]["uploaded_by"] == "berlin-manager"
    assert [u["file_name"] for u in admin.body["uploads"]] == ["broken.xlsx", "all.csv", "karachi.csv", "berlin.csv"]
    assert admin.body["uploads"][1]["store"] is None
    assert api.get("/uploads", BERLIN_MANAGER, {"store": "Karachi"}).status == 403
    assert [u["file_name"] for u in api.get("/uploads", ADMIN, {"store": "Karachi"}).body["uploads"]] == ["karachi.csv"]


def test_uploads_are_listed_by_time_past_10000_uploads_without_listing_the_bucket(api: ApiWorld) -> None:
    """The old listing sorted at most the first 10,000 report keys by name: new uploads vanished.
    Names here run against time (the newest has the smallest name), and nothing is in the bucket."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    total = 10_400
    OK = ReportStatus.OK
    entries = []
    for n in range(total):
        at = (start + timedelta(seconds=n)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        key = f"{store_prefix('Berlin')}g/{total - n:05d}.csv"
        entries.append(UploadEntry(key=key, version="v", bucket=BUCKET, store="Berlin", received_at=at, status=OK,
                                   report_key=report_key(key, "v"), rows=RowCounts(read=1, accepted=1)))  # fmt: skip
    api.seed_uploads(entries)
    s3_calls = api.handler_calls("s3")
    dynamodb_calls = api.handler_calls("dynamodb")

    first = api.get("/uploads", BERLIN_MANAGER, {"limit": "50"})
    second = api.get("/uploads", BERLIN_MANAGER, {"limit": "50", "cursor": first.body["next_cursor"]})
    admin = api.get("/uploads", ADMIN, {"limit": "3"})

    newest = [e.key for e in reversed(entries)]
    assert [u["key"] for u in first.body["uploads"]] == newest[:50]
    assert [u["key"] for u in second.body["uploads"]] == newest[50:100]
    assert [u["key"] for u in admin.body["uploads"]] == newest[:3]
    assert s3_calls == []  # neither listed nor read: the index row carries the summary
    assert [operation for operation, _ in dynamodb_calls] == ["Query"] * 3


def test_one_upload_answers_its_versions_and_the_whole_report(api: ApiWorld) -> None:
    errors = [RowError(line, f"count must be a whole number of 0 or more, got 'x{line}'") for line in range(2, 30)]
    api.add_upload("Berlin", "g/berlin.csv", received_at="2026-11-22T01:00:00.000Z", version="v1")
    newest = api.add_upload("Berlin", "g/berlin.csv", received_at="2026-11-22T02:00:00.000Z", version="v2",
                            status="partial", errors=errors)  # fmt: skip

    answer = api.get("/uploads", BERLIN_MANAGER, {"key": newest.key})
    older = api.get("/uploads", BERLIN_MANAGER, {"key": newest.key, "version": "v1"})

    assert answer.status == 200, answer.body
    assert [u["version"] for u in answer.body["uploads"]] == ["v2", "v1"]
    assert len(answer.body["uploads"][0]["errors"]) == 10  # the index keeps the first ten
    report = answer.body["report"]
    assert report["status"] == "partial"
    assert report["errors"] == [{"line": e.line, "reason": e.reason} for e in errors]  # all of them, from S3
    assert report["source"]["version_id"] == "v2"
    assert older.body["report"]["source"]["version_id"] == "v1"


def test_one_uploads_versions_are_read_without_ingests_checkpoint(api: ApiWorld) -> None:
    # Given an upload still loading: its index row also holds ingest's claim and a checkpoint of ~300 KB
    loading = api.add_upload("Berlin", "g/big.csv", received_at="2026-11-22T01:00:00.000Z", status="loading",
                             write_report=False)  # fmt: skip
    claim = {"Checkpoint": {"B": b"\x00" * 300_000}, "Owner": {"S": "request-1"}, "LeaseUntil": {"N": "1"}}
    api.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": {"S": loading.key}, "Version": {"S": loading.version}},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in claim),
        ExpressionAttributeNames={f"#{name}": name for name in claim},
        ExpressionAttributeValues={f":{name}": value for name, value in claim.items()},
    )
    answers: list[dict[str, Any]] = []
    api.handler_calls("dynamodb")  # the handler's client, built
    from dashboard_api.handlers.context import services

    client = services().dashboard._items._client  # type: ignore[attr-defined]
    client.meta.events.register("after-call.dynamodb.Query", lambda parsed, **_: answers.append(parsed))

    one = api.get("/uploads", BERLIN_MANAGER, {"key": loading.key})

    # Then the rows come back with the summary's attributes only, and the upload still shows
    assert one.status == 200, one.body
    assert [u["status"] for u in one.body["uploads"]] == ["loading"]
    items = [item for answer in answers for item in answer.get("Items", [])]
    assert items
    for item in items:
        assert set(item) <= set(ENTRY_ATTRIBUTES), set(item) - set(ENTRY_ATTRIBUTES)
    # And the list is the shared contract's: every attribute from_item reads
    full = every_field_set(UploadEntry)
    assert UploadEntry.from_item({name: full.to_item()[name] for name in ENTRY_ATTRIBUTES}) == full


def test_one_upload_is_404_when_unknown_and_403_when_another_stores(api: ApiWorld) -> None:
    karachi = api.add_upload("Karachi", "g/k.csv", received_at="2026-11-22T01:00:00.000Z")
    head_office = api.add_upload(None, "g/all.csv", received_at="2026-11-22T01:00:00.000Z")

    assert api.get("/uploads", BERLIN_MANAGER, {"key": karachi.key}).status == 403
    assert api.get("/uploads", BERLIN_MANAGER, {"key": head_office.key}).status == 403
    assert api.get("/uploads", ADMIN, {"key": head_office.key}).status == 200
    unknown = api.get("/uploads", BERLIN_MANAGER, {"key": f"{store_prefix('Berlin')}g/none.csv"})
    assert unknown.status == 404
    assert unknown.body["error"]["code"] == "not_found"
    assert api.get("/uploads", ADMIN, {"key": karachi.key, "version": "v9"}).status == 404


def test_an_upload_whose_report_is_not_written_yet_still_lists_without_a_report(api: ApiWorld) -> None:
    loading = api.add_upload("Berlin", "g/big.csv", received_at="2026-11-22T01:00:00.000Z", status="loading",
                             write_report=False)  # fmt: skip

    listed = api.get("/uploads", BERLIN_MANAGER)
    one = api.get("/uploads", BERLIN_MANAGER, {"key": loading.key})

    assert [u["status"] for u in listed.body["uploads"]] == ["loading"]
    assert one.status == 200
    assert one.body["report"] is None


def answer_get_object(api: ApiWorld, status: int, code: str, *, only_missing: bool) -> None:
    """Make S3 answer the handler's GetObject with ``status`` and ``code`` (for a missing key only, if
    ``only_missing``). The answer goes through botocore's real parsing, as an answer of S3 would."""
    from dashboard_api.handlers.context import services

    api.get("/stores", ADMIN)  # builds the handler's clients, once per execution environment
    wired: Any = services()
    client = wired.grants._signer._client  # the handler's S3 client: it signs grants and reads reports

    def answer(request: Any, **_: Any) -> AWSResponse | None:
        if request.method != "GET" or BUCKET not in request.url or "/reports/" not in request.url:
            return None
        if only_missing and api.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/").get("KeyCount", 0):
            return None
        body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode()
        return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Raw(body))

    client.meta.events.register_first("before-send.s3.GetObject", answer)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def test_a_report_not_written_yet_is_not_yet_when_s3_answers_403(api: ApiWorld) -> None:
    """S3 answers 403 AccessDenied, not moto's 404, for a missing key when the role may not
    s3:ListBucket (the API's role may not): the upload page polls while the file loads."""
    loading = api.add_upload("Berlin", "g/big.csv", received_at="2026-11-22T01:00:00.000Z", status="loading",
                             write_report=False)  # fmt: skip
    answer_get_object(api, 403, "AccessDenied", only_missing=True)

    one = api.get("/uploads", BERLIN_MANAGER, {"key": loading.key})

    assert one.status == 200, one.body
    assert one.body["report"] is None
    assert [u["status"] for u in one.body["uploads"]] == ["loading"]


def test_a_report_s3_cannot_serve_is_a_503_not_a_missing_report(api: ApiWorld) -> None:
    entry = api.add_upload("Berlin", "g/b.csv", received_at="2026-11-22T01:00:00.000Z")
    answer_get_object(api, 503, "SlowDown", only_missing=False)

    one = api.get("/uploads", BERLIN_MANAGER, {"key": entry.key})

    assert one.status == 503, one.body


# -- reads under abuse ---------------------------------------------------------------------------


def test_a_search_with_no_match_on_a_3000_item_store_costs_a_handful_of_queries(api: ApiWorld) -> None:
    """Issue 10.9: `limit=1&q=<no match>` used to walk the store two items per Query (1,500 Queries)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    source = SourceVersion("2026-11-22T03:00:00.000Z", "uploads/big.csv")
    for n in range(3_000):
        backend.put_item(INVENTORY, to_attributes(StoredItem("Big", f"Item {n:05d}", 10, None, source.time, source), 5))
    backend.put_item(STORES, {"Store": {"S": "Big"}, "Items": {"N": "3000"}, "Out": {"N": "0"}, "Low": {"N": "0"}})
    calls = api.handler_calls("dynamodb")

    answer = api.get("/stores/Big/items", ADMIN, {"limit": "1", "q": "no such item"}, route=ITEMS_ROUTE)

    assert answer.status == 200
    assert answer.body["items"] == []
    assert answer.body["next_cursor"]  # 1,000 items examined; the rest is the next request's
    # Queries of 250 items (the emulator is too slow to walk the store on: the unit test does).
    assert [(operation, params["Limit"]) for operation, params in calls] == [("Query", 250)] * 4


def test_an_access_token_is_refused_with_a_message_naming_the_id_token(lab: ApiWorld) -> None:
    claims = {k: v for k, v in api_claims("anna", admin=True).items() if k != "aud"}
    claims.update(token_use="access", client_id="dashboardclient", username="anna")

    answer = lab.get("/stores", claims)

    assert answer.status == 401
    assert answer.body["error"]["code"] == "id_token_required"
    assert "IdToken" in answer.body["error"]["message"]
