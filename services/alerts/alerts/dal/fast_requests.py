"""DynamoDB requests serialized in a fraction of botocore's time, to the same bytes.

botocore serializes a JSON-protocol request by walking the operation's input shape: every attribute
value of every item written is a structure looked up member by member, then the whole is handed to
``json.dumps``. For DynamoDB's data operations the walk changes nothing but blobs (``B``, ``BS``:
base64 text on the wire): the parameters as given are already the body. :class:`FastSerializer`
sends them through ``json.dumps`` directly, with the operation's method, path and headers as botocore
makes them; a request that may hold a blob, or that ``json.dumps`` cannot take, goes to botocore's
own serializer.

It is installed only after a self-check: sample requests of every operation it takes (every kind of
attribute value, nested maps and lists, escaped text) are serialized both ways with the client's own
botocore, and any difference leaves the client as it was.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.validate import ParamValidationDecorator

#: The operations serialized here (the data operations the alerts service sends).
OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem", "TransactWriteItems"}
)
#: Marks that a request may hold a blob, which botocore base64-encodes (a name or text that happens to
#: read so only costs botocore's walk).
_BLOBS = (b'"B":', b'"BS":')

_ITEM = {
    "Store": {"S": 'Zürich "Nord" \\ 🛒'},
    "Count": {"N": "12"},
    "Names": {"SS": ["a", "b"]},
    "Numbers": {"NS": ["1", "2.5"]},
    "Map": {"M": {"Inner": {"S": "x"}, "List": {"L": [{"N": "1"}, {"NULL": True}, {"BOOL": False}]}}},
    "Empty": {"NULL": True},
    "Flag": {"BOOL": True},
}
_KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}}
_UPDATE = {
    "TableName": "Stores",
    "Key": _KEY,
    "UpdateExpression": "ADD #c :one SET #at = :at",
    "ConditionExpression": "attribute_exists(#c)",
    "ExpressionAttributeNames": {"#c": "Count", "#at": "At"},
    "ExpressionAttributeValues": {":one": {"N": "-1"}, ":at": {"S": "2026-11-22T03:00:00.000Z"}},
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
}
#: Requests of every operation taken, serialized both ways by the self-check.
SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("GetItem", {"TableName": "History", "Key": _KEY, "ConsistentRead": True, "ProjectionExpression": "#s"}),
    (
        "PutItem",
        {
            "TableName": "Forecast",
            "Item": _ITEM,
            "ConditionExpression": "#sequence = :read",
            "ExpressionAttributeNames": {"#sequence": "Sequence"},
            "ExpressionAttributeValues": {":read": {"S": "49600000000000000000000000001"}},
        },
    ),
    ("UpdateItem", _UPDATE),
    ("DeleteItem", {"TableName": "Forecast", "Key": _KEY, "ReturnConsumedCapacity": "TOTAL"}),
    (
        "Query",
        {
            "TableName": "History",
            "KeyConditionExpression": "#k = :k AND #t >= :t",
            "ExpressionAttributeNames": {"#k": "Key", "#t": "Time"},
            "ExpressionAttributeValues": {":k": {"S": "Berlin#Echo"}, ":t": {"S": "2026"}},
            "ScanIndexForward": False,
            "Limit": 25,
            "ExclusiveStartKey": _KEY,
        },
    ),
    ("BatchGetItem", {"RequestItems": {"Forecast": {"Keys": [_KEY, _KEY], "ConsistentRead": True}}}),
    (
        "BatchWriteItem",
        {"RequestItems": {"History": [{"PutRequest": {"Item": _ITEM}}, {"DeleteRequest": {"Key": _KEY}}]}},
    ),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": "History",
                        "Item": _ITEM,
                        "ConditionExpression": "attribute_not_exists(#k)",
                        "ExpressionAttributeNames": {"#k": "Key"},
                    }
                },
                {
                    "Update": {
                        key: value for key, value in _UPDATE.items() if key != "ReturnValuesOnConditionCheckFailure"
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "Stores",
                        "Key": _KEY,
                        "ConditionExpression": "attribute_exists(#k)",
                        "ExpressionAttributeNames": {"#k": "Store"},
                    }
                },
                {"Delete": {"TableName": "Forecast", "Key": _KEY}},
            ],
            "ClientRequestToken": "bench-token-0001",
        },
    ),
    ("PutItem", {"TableName": "Forecast", "Item": {"Blob": {"B": b"\x00\xff"}, "Blobs": {"BS": [b"\x01"]}}}),
]


class FastSerializer:
    """Serializes :data:`OPERATIONS` with ``json.dumps``; anything else, or a request that may hold a blob,
    with ``botocore`` (the client's own serializer, which must not validate: this does not).

    The first request of each operation is botocore's, and lends its method, path and headers to the
    rest of that operation's requests only if its body is exactly what ``json.dumps`` makes of it."""

    def __init__(self, botocore: Any) -> None:
        self._botocore = botocore
        self._frames: dict[str, dict[str, Any] | None] = {}

    def serialize_to_request(self, parameters: Any, operation_model: Any) -> Any:
        name = operation_model.name
        frame = self._frames.get(name)
        body = _body(parameters) if name in OPERATIONS else None
        if frame is not None and body is not None:
            return {**frame, "headers": dict(frame["headers"]), "body": body}
        request = self._botocore.serialize_to_request(parameters, operation_model)
        if body is not None and name not in self._frames:
            self._frames[name] = _frame(request, body)
        return request


def _body(parameters: Any) -> bytes | None:
    """The request's body as ``json.dumps`` makes it; ``None`` if it cannot, or the body may hold a blob."""
    try:
        body = json.dumps(parameters).encode("utf-8")
    except (TypeError, ValueError):
        return None
    return None if any(mark in body for mark in _BLOBS) else body


def _frame(request: Any, body: bytes) -> dict[str, Any] | None:
    """botocore's request without its body, if its body is ``body`` and nothing else depends on the
    parameters (no host prefix; text apart from the headers)."""
    if not isinstance(request, dict) or request.get("body") != body or "host_prefix" in request:
        return None
    frame = {key: value for key, value in request.items() if key != "body"}
    headers = frame.get("headers")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for k, v in frame.items() if k != "headers"):
        return None
    return frame


def same_as_botocore(client: Any) -> bool:
    """Whether every sample request serializes here exactly as the client's botocore serializes it, each
    twice (its operation's first request is botocore's own), and every operation is then taken here."""
    try:
        botocore = client._serializer
        fast = FastSerializer(botocore)
        model = client.meta.service_model
        for operation, parameters in SAMPLES + SAMPLES:
            shape = model.operation_model(operation)
            if fast.serialize_to_request(parameters, shape) != botocore.serialize_to_request(parameters, shape):
                return False
        return all(fast._frames.get(operation) is not None for operation in OPERATIONS)  # each taken here
    except Exception:  # any surprise from another botocore means: keep its serializer
        return False


def serialize_fast(client: Any) -> bool:
    """Have ``client`` (a DynamoDB client made with ``parameter_validation=False``) serialize its data
    requests here, if the self-check passes; whether it does."""
    if isinstance(getattr(client, "_serializer", None), ParamValidationDecorator) or not same_as_botocore(client):
        return False
    client._serializer = FastSerializer(client._serializer)
    return True
