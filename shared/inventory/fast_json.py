"""DynamoDB's JSON without botocore's walks over it, to the same bytes and the same results.

DynamoDB's wire format is JSON of the call's own shape, so for its data operations three of
botocore's steps only rebuild what ``json`` gives: the serializer walks the input shape member by
member to build what ``json.dumps`` of the parameters gives; the endpoint resolver collects every
action's table name of a TransactWriteItems with JMESPath (the ``ResourceArnList`` endpoint
parameter); the parser walks the output shape to build what ``json.loads`` of the answer gives.
The walks differ from plain JSON only for what JSON does not carry as it is: binary values (``B``,
``BS``: base64 on the wire, bytes in Python), decimals, timestamps, ``null``. These steps were
most of each service's CPU per call: for ingest's 99-item transaction about 22 µs per item to
serialize and 5 µs per item for the table names, 15 µs per item to parse a BatchGetItem answer.

:func:`use_fast_json` replaces the three steps on one DynamoDB client, after a self-check (at
cold start, with the client's own botocore) finds each giving exactly botocore's result on sample
requests and answers holding every kind of value; on any difference the client keeps all of
botocore's steps and a warning says why. Each replacement hands back to botocore what it cannot
vouch for: a request or answer that may hold a binary value, a request ``json.dumps`` refuses, an
answer holding ``null`` or that is not a success. A validating client keeps botocore's serializer
(validation is its first step). Proven against botocore :data:`PROVEN_BOTOCORE` (a test pins the
botocore the project runs): the steps replaced are the client's ``_serializer``, its endpoint
resolver's operation-context parameters, and the answer via the ``before-parse`` event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore import parsers
from botocore.validate import ParamValidationDecorator

from inventory.clients import proven

#: The botocore whose steps were proven replaceable here (tests pin the one the project runs).
PROVEN_BOTOCORE = "1.44.18"
#: The requests serialized with ``json.dumps``.
REQUESTS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem", "TransactWriteItems"}
)
#: The answers read with ``json.loads``.
READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
#: Marks that a request body (as ``json.dumps`` writes it) may hold a binary value, which botocore
#: base64-encodes; a name or text that happens to read so only costs botocore's walk.
_REQUEST_BINARY = (b'"B":', b'"BS":')
#: Marks that an answer may hold a binary value (its type written plainly or escaped) or a ``null``,
#: which botocore's parse drops.
_ANSWER_FALLBACK = (b'"B"', b'"BS"', b"\\u0042", b"\\u0053", b"null")
#: The kinds of action a TransactWriteItems carries, in the order botocore's JMESPath visits them.
_ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")
#: The endpoint parameter built from the call's table names.
_TABLES_PARAM = "ResourceArnList"


def use_fast_json(client: Any) -> bool:
    """Replace botocore's JSON steps on ``client`` (a DynamoDB client) if the self-check passes;
    whether it did (if not, a warning names each difference)."""
    if not proven("DynamoDB calls keep botocore's steps: fast JSON differs", lambda: _self_check(client)):
        return False
    if not _validating(client):
        client._serializer = FastSerializer(client._serializer)
    resolver = client._ruleset_resolver
    resolver._resolve_param_as_operation_context_param = TableNames(resolver._resolve_param_as_operation_context_param)
    for operation in READS:
        client.meta.events.register(f"before-parse.dynamodb.{operation}", take_answer)
    return True


def _validating(client: Any) -> bool:
    return isinstance(client._serializer, ParamValidationDecorator)


# -- requests -----------------------------------------------------------------------------------------


class FastSerializer:
    """Serializes :data:`REQUESTS` with ``json.dumps``; anything else, or a request that may hold a
    binary value, with ``botocore`` (the client's own serializer, which must not validate).

    The first request of each operation is botocore's, and lends its method, path and headers to the
    rest of that operation's requests only if its body is exactly what ``json.dumps`` makes of it."""

    def __init__(self, botocore_serializer: Any) -> None:
        self.botocore = botocore_serializer
        self._frames: dict[str, dict[str, Any] | None] = {}

    def serialize_to_request(self, parameters: Any, operation_model: Any) -> Any:
        name = operation_model.name
        frame = self._frames.get(name)
        body = _body(parameters) if name in REQUESTS else None
        if frame is not None and body is not None:
            return {**frame, "headers": dict(frame["headers"]), "body": body}
        request = self.botocore.serialize_to_request(parameters, operation_model)
        if body is not None and name not in self._frames:
            self._frames[name] = _frame(request, body)
        return request


def _body(parameters: Any) -> bytes | None:
    """The body as ``json.dumps`` writes it; ``None`` if it cannot (bytes, a Decimal, a datetime, NaN)
    or the body may hold a binary value."""
    try:
        body = json.dumps(parameters, allow_nan=False).encode()
    except (TypeError, ValueError):
        return None
    return None if any(mark in body for mark in _REQUEST_BINARY) else body


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


class TableNames:
    """The endpoint's ``ResourceArnList`` of a TransactWriteItems without JMESPath; every other
    operation-context parameter from ``botocore``."""

    def __init__(self, botocore_param: Callable[[str, Any, dict[str, Any]], Any]) -> None:
        self.botocore = botocore_param

    def __call__(self, param_name: str, operation_model: Any, call_args: dict[str, Any]) -> Any:
        if param_name == _TABLES_PARAM and operation_model.name == "TransactWriteItems":
            names = _transaction_tables(call_args.get("TransactItems"))
            if names is not None:
                return names
        return self.botocore(param_name, operation_model, call_args)


def _transaction_tables(actions: Any) -> list[Any] | None:
    """Each action's table name, as ``TransactItems[*].[ConditionCheck.TableName, ...][]`` finds them."""
    if not isinstance(actions, list):
        return None
    names = []
    for action in actions:
        if not isinstance(action, dict):
            return None
        for kind in _ACTIONS:
            operation = action.get(kind)
            if operation is None:
                continue
            if not isinstance(operation, dict):
                return None
            if operation.get("TableName") is not None:
                names.append(operation["TableName"])
    return names


# -- answers ------------------------------------------------------------------------------------------


def take_answer(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], operation_model: Any, **_: Any
) -> None:
    """``before-parse`` handler: a successful answer read by ``json.loads`` into
    ``customized_response_dict`` (which botocore lays over its parse of what is left: an empty body).
    An answer it cannot vouch for is left whole to botocore."""
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, bytes):
        return
    if any(mark in body for mark in _ANSWER_FALLBACK):
        return
    try:
        answer = json.loads(body)
    except ValueError:
        return
    if not isinstance(answer, dict):
        return
    members = operation_model.output_shape.members  # an unmodelled member is dropped, as botocore drops it
    customized_response_dict.update((name, value) for name, value in answer.items() if name in members)
    response_dict["body"] = b"{}"


# -- the self-check -----------------------------------------------------------------------------------

_ITEM: dict[str, Any] = {
    "Store": {"S": 'Zürich "Nord" \\ 🛒\u00a0'},
    "Count": {"N": "12"},
    "Names": {"SS": ["a", "b"]},
    "Numbers": {"NS": ["1", "2.5"]},
    "Map": {"M": {"Inner": {"S": "x"}, "List": {"L": [{"N": "1"}, {"NULL": True}, {"BOOL": False}]}}},
    "Empty": {"NULL": True},
    "Flag": {"BOOL": True},
}
_KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}}
#: An item whose binary values go to botocore (here as Python gives them, in answers as base64).
_BINARY_ITEM: dict[str, Any] = {"Blob": {"B": b"\x00\xff"}, "Blobs": {"BS": [b"\x01"]}}
_WIRE_BINARY_ITEM = {"Blob": {"B": "AP8="}, "Blobs": {"BS": ["AQ=="]}, "M": {"M": {"B": {"B": "Aw=="}}}}
_UPDATE = {
    "TableName": "Stores",
    "Key": _KEY,
    "UpdateExpression": "ADD #c :one SET #at = :at REMOVE #t",
    "ConditionExpression": "NOT attribute_type(#at, :text) OR #at < :at",
    "ExpressionAttributeNames": {"#c": "Count", "#at": "At", "#t": "Threshold"},
    "ExpressionAttributeValues": {":one": {"N": "-1"}, ":at": {"S": "2026-11-22T03:00:00.000Z"}, ":text": {"S": "S"}},
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
}
_TRANSACTION: dict[str, Any] = {
    "TransactItems": [
        {"Put": {"TableName": "History", "Item": _ITEM, "ConditionExpression": "attribute_not_exists(#k)",
                 "ExpressionAttributeNames": {"#k": "Key"}}},
        {"Update": _UPDATE},
        {"ConditionCheck": {"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/uploads", "Key": _KEY,
                            "ConditionExpression": "#o = :o", "ExpressionAttributeNames": {"#o": "Owner"},
                            "ExpressionAttributeValues": {":o": {"S": "request-1"}}}},
        {"Delete": {"TableName": "Forecast", "Key": _KEY}},
    ],
    "ClientRequestToken": "self-check-token-0001",
}  # fmt: skip
#: Requests of every operation taken, serialized both ways by the self-check.
REQUEST_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("GetItem", {"TableName": "History", "Key": _KEY, "ConsistentRead": True, "ProjectionExpression": "#s"}),
    ("PutItem", {"TableName": "Forecast", "Item": _ITEM, "ConditionExpression": "#q = :q",
                 "ExpressionAttributeNames": {"#q": "Sequence"}, "ExpressionAttributeValues": {":q": {"S": "4960"}}}),
    ("UpdateItem", _UPDATE),
    ("DeleteItem", {"TableName": "Forecast", "Key": _KEY, "ReturnConsumedCapacity": "TOTAL"}),
    ("Query", {"TableName": "History", "KeyConditionExpression": "#k = :k AND #t >= :t",
               "ExpressionAttributeNames": {"#k": "Key", "#t": "Time"},
               "ExpressionAttributeValues": {":k": {"S": "Berlin#Echo"}, ":t": {"S": "2026"}},
               "ScanIndexForward": False, "Limit": 25, "ExclusiveStartKey": _KEY}),
    ("BatchGetItem", {"RequestItems": {"Inventory": {"Keys": [_KEY, _KEY], "ConsistentRead": True,
                                                     "ProjectionExpression": "#c",
                                                     "ExpressionAttributeNames": {"#c": "Count"}}}}),
    ("BatchWriteItem", {"RequestItems": {"History": [{"PutRequest": {"Item": _ITEM}},
                                                     {"DeleteRequest": {"Key": _KEY}}]}}),
    ("TransactWriteItems", _TRANSACTION),
    ("PutItem", {"TableName": "Forecast", "Item": _BINARY_ITEM}),
]  # fmt: skip
_CAPACITY = {"TableName": "Inventory", "CapacityUnits": 1.5}
#: Answers of every operation read, parsed both ways by the self-check.
ANSWER_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("Query", {"Items": [_ITEM, _KEY], "Count": 2, "ScannedCount": 3, "LastEvaluatedKey": _KEY,
               "ConsumedCapacity": _CAPACITY, "Unmodelled": 1}),
    ("Scan", {"Items": [_ITEM], "Count": 1, "ScannedCount": 1}),
    ("GetItem", {"Item": _ITEM, "ConsumedCapacity": _CAPACITY}),
    ("BatchGetItem", {"Responses": {"Inventory": [_ITEM, _KEY], "Forecast": []},
                      "UnprocessedKeys": {"Inventory": {"Keys": [_KEY], "ConsistentRead": True}},
                      "ConsumedCapacity": [_CAPACITY]}),
    ("Query", {"Items": [_WIRE_BINARY_ITEM], "Count": 1, "ScannedCount": 1}),
]  # fmt: skip


def _self_check(client: Any) -> list[str]:
    """Where a replacement's result differs from the client's botocore on the samples."""
    model = client.meta.service_model
    differences = _table_name_differences(client._ruleset_resolver, model)
    differences += _answer_differences(model)
    if not _validating(client):
        differences += _request_differences(client._serializer, model)
    return differences


def _request_differences(botocore_serializer: Any, model: Any) -> list[str]:
    """Each sample serialized twice (its operation's first request is botocore's own), and each
    operation then taken here."""
    fast = FastSerializer(botocore_serializer)
    differences = [
        f"{operation} request"
        for operation, parameters in REQUEST_SAMPLES + REQUEST_SAMPLES
        for shape in [model.operation_model(operation)]
        if fast.serialize_to_request(parameters, shape) != botocore_serializer.serialize_to_request(parameters, shape)
    ]
    return differences + [f"{name} request not taken" for name in sorted(REQUESTS) if fast._frames.get(name) is None]


def _table_name_differences(resolver: Any, model: Any) -> list[str]:
    botocore_param = resolver._resolve_param_as_operation_context_param
    operation = model.operation_model("TransactWriteItems")
    fast = TableNames(botocore_param)(_TABLES_PARAM, operation, _TRANSACTION)
    return [] if fast == botocore_param(_TABLES_PARAM, operation, _TRANSACTION) else [_TABLES_PARAM]


def _answer_differences(model: Any) -> list[str]:
    return [
        f"{operation} answer"
        for operation, answer in ANSWER_SAMPLES
        for shape in [model.operation_model(operation)]
        if _parsed(answer, shape, model.resolved_protocol, fast=True)
        != _parsed(answer, shape, model.resolved_protocol, fast=False)
    ]


def _parsed(answer: dict[str, Any], operation_model: Any, protocol: str, *, fast: bool) -> dict[str, Any]:
    body = json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"x-amzn-requestid": "self-check", "content-type": "application/x-amz-json-1.0"}
    response = {"status_code": 200, "headers": headers, "body": body}
    customized: dict[str, Any] = {}
    if fast:
        take_answer(response, customized, operation_model)
    parsed: dict[str, Any] = parsers.create_parser(protocol).parse(response, operation_model.output_shape)
    return {**parsed, **customized}
