"""ingest.dal.plain_json: the batch read and write skip botocore's walks, and DynamoDB sees the same bytes.

Each test drives two real boto3 clients built as ingest builds them, one with the shortcuts and one
with botocore's steps only; a ``before-send`` hook takes the signed request where the network would
and answers it, so what is compared is what would go over the wire and what the caller gets back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import botocore
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from ingest.dal import plain_json
from ingest.dal.clients import dynamodb_client
from ingest.dal.inventory import InventoryTable, ItemWrite, _fence_check
from ingest.models.claim import Fence
from inventory.models import SourceVersion
from inventory.table import StoredItem, to_attributes

pytestmark = pytest.mark.unit

SOURCE = SourceVersion("2026-12-07T10:00:00.000Z", "uploads/Störe 7/daily.csv", "0055AED6DCD90281E5")
#: Headers that differ from one call to the next whatever builds the request.
PER_CALL = {"X-Amz-Date", "Authorization", "amz-sdk-invocation-id", "amz-sdk-request"}


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


class Wire:
    """The end of the wire: keeps each signed request and answers with ``answer`` bytes."""

    def __init__(self, client: Any, answer: bytes = b"{}") -> None:
        self.answer = answer
        self.requests: list[Any] = []
        client.meta.events.register("before-send.dynamodb", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append(request)
        headers = {"x-amzn-requestid": "test", "content-type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, 200, headers, _Body(self.answer))

    def sent(self) -> tuple[str, str, bytes, dict[str, Any]]:
        """The last request; botocore's idempotency token (a new one per call) in the body made a constant."""
        request = self.requests[-1]
        headers = {name: value for name, value in request.headers.items() if name not in PER_CALL}
        # The features the user agent names (m/...) come from a set: the same ones in either order.
        headers["User-Agent"] = re.sub(
            rb"m/([\w,]+)", lambda found: b"m/" + b",".join(sorted(found[1].split(b","))), headers["User-Agent"]
        )
        body = re.sub(rb'"ClientRequestToken": "[0-9a-f-]{36}"', b'"ClientRequestToken": "token"', request.body)
        return request.method, request.url, body, headers


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(with shortcuts, botocore's steps only), both as ``dynamodb_client`` builds them."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    short = dynamodb_client(4)
    boto3.DEFAULT_SESSION = None  # a session each: each finds its credentials (named in the user agent)
    plain = dynamodb_client(4, shortcuts=False)
    assert isinstance(short._serializer, plain_json._Serializer)  # the self-check passed
    assert not isinstance(plain._serializer, plain_json._Serializer)
    return short, plain


def _transaction() -> list[dict[str, Any]]:
    """A batch as ingest sends it: conditional updates (with and without a threshold) and the fence."""
    table = InventoryTable(None, "Inventory-prod")  # type: ignore[arg-type]
    writes = [
        ItemWrite(
            ("Störe 7", item),
            to_attributes(StoredItem("Störe 7", item, count, threshold, "2026-12-07T10:00:01.000Z", SOURCE), 5),
            SOURCE,
            line,
        )
        for line, (item, count, threshold) in enumerate([('Äpfel "rot"', 12, None), ("€ tea", 0, 3)], start=2)
    ]
    fence = Fence("Uploads-prod", {"Key": {"S": "uploads/Störe 7/daily.csv"}}, "request-1")
    return [table._update(write) for write in writes] + [_fence_check(fence)]


def test_the_batch_write_sends_the_same_signed_request_either_way(clients: tuple[Any, Any]) -> None:
    short, plain = clients
    wires = [Wire(short), Wire(plain)]

    for client in clients:
        client.transact_write_items(TransactItems=_transaction())

    assert wires[0].sent() == wires[1].sent()
    sent = json.loads(wires[0].sent()[2])
    assert sent == {"TransactItems": _transaction(), "ClientRequestToken": "token"}


def test_the_batch_read_sends_the_same_request_and_reads_the_same_answer_either_way(
    clients: tuple[Any, Any],
) -> None:
    keys = [{"Store": {"S": "Störe 7"}, "Item": {"S": 'Äpfel "rot"'}}]
    request = {"Inventory-prod": {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "#c"}}
    request["Inventory-prod"]["ExpressionAttributeNames"] = {"#c": "Count"}  # type: ignore[assignment]
    stored = dict(to_attributes(StoredItem("Störe 7", 'Äpfel "rot"', 12, 3, "t", SOURCE), 5))
    answer = {
        "Responses": {"Inventory-prod": [stored]},
        "UnprocessedKeys": {"Inventory-prod": request["Inventory-prod"]},
    }
    body = json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode()
    wires = [Wire(client, body) for client in clients]

    short, plain = (client.batch_get_item(RequestItems=request) for client in clients)

    assert wires[0].sent() == wires[1].sent()
    assert short == plain
    assert short["Responses"]["Inventory-prod"] == [stored]


def test_binary_attributes_are_left_to_botocore(clients: tuple[Any, Any]) -> None:
    """DynamoDB takes and sends binary values in base64, which botocore converts and plain JSON would not."""
    put = {"Put": {"TableName": "t", "Item": {"Store": {"S": "s"}, "Item": {"S": "i"}, "Photo": {"B": b"hello"}}}}
    item = {"Store": {"S": "s"}, "Item": {"S": "i"}, "Photo": {"B": "aGVsbG8="}}
    body = json.dumps({"Responses": {"t": [item]}, "UnprocessedKeys": {}}).encode()
    wires = [Wire(client, body) for client in clients]
    for client in clients:
        client.transact_write_items(TransactItems=[put])
    assert wires[0].sent() == wires[1].sent()

    short, plain = (
        client.batch_get_item(RequestItems={"t": {"Keys": [{"Store": {"S": "s"}, "Item": {"S": "i"}}]}})
        for client in clients
    )

    assert short == plain
    assert short["Responses"]["t"][0]["Photo"] == {"B": b"hello"}


def test_a_shortcut_that_differs_from_botocore_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", config=Config(parameter_validation=False))
    serializer = client._serializer
    monkeypatch.setattr(plain_json, "_plain_json", lambda parameters: json.dumps(parameters, indent=1).encode())

    assert plain_json.take_shortcuts(client) is False
    assert client._serializer is serializer


def test_a_validating_client_keeps_botocores_steps() -> None:
    """Validation is botocore's serializer's first step: a client that wants it is left whole."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    assert plain_json.take_shortcuts(client) is False


def test_ingests_client_takes_the_shortcuts_on_the_botocore_they_were_proven_against() -> None:
    """On a botocore upgrade: re-run this file and bench's ingest CPU rows, then move the pin."""
    client = boto3.client("dynamodb", region_name="us-east-1", config=Config(parameter_validation=False))
    assert botocore.__version__ == plain_json.PROVEN_BOTOCORE
    assert plain_json.take_shortcuts(client) is True
