"""DynamoDB's JSON without botocore's walks over it, for ingest's two calls per batch.

DynamoDB's wire format is JSON of the request's own shape. For a TransactWriteItems or a
BatchGetItem, botocore's serializer walks the input shape member by member to build what
``json.dumps`` of the parameters gives, its endpoint resolver collects every action's table
name with JMESPath (the ``ResourceArnList`` endpoint parameter), and its parser walks the
output shape to build what ``json.loads`` of the answer gives. The walks differ from plain
JSON only for values JSON does not hold as they are: binary attributes (``B``, ``BS``: base64 on
the wire), timestamps and decimals, none of which ingest's calls carry. On this machine a
99-item transaction costs about 22 µs per item to serialize and 5 µs per item for the table
names, a BatchGetItem answer 15 µs per item to parse, of ingest's ~80 µs of CPU per row.

:func:`take_shortcuts` replaces those three steps on one client, and only after a self-check
(at cold start, on the botocore present) finds each shortcut giving exactly botocore's result
for requests and answers of ingest's shape; on any difference the client is left as botocore
made it. Each shortcut hands back to botocore a call it cannot vouch for (a binary attribute, a
value JSON cannot hold, an error answer). Proven against botocore :data:`PROVEN_BOTOCORE`; the
steps replaced are the client's serializer, its endpoint resolver's operation-context
parameters, and the answer via the ``before-parse`` event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import botocore
from botocore import parsers

#: The botocore whose steps the shortcuts were proven against (tests pin the one the project runs).
PROVEN_BOTOCORE = "1.44.18"
#: The calls taken short: ingest's read and write of every batch.
SHORT_CALLS = frozenset({"TransactWriteItems", "BatchGetItem"})
#: What a binary attribute looks like in DynamoDB's JSON (a key is the only place a quote, the type
#: and a colon meet unescaped); a request or answer holding one goes through botocore.
_BINARY = ('"B":', '"BS":')
#: The kinds of action a TransactWriteItems carries, in the order botocore's JMESPath visits them.
_ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")

logger = logging.getLogger(__name__)


def take_shortcuts(client: Any) -> bool:
    """Put the shortcuts on ``client`` (a DynamoDB client) if the self-check passes; whether it did."""
    serializer = _Serializer(client._serializer)
    resolver = client._ruleset_resolver
    botocore_param = resolver._resolve_param_as_operation_context_param
    table_names = _TableNames(botocore_param)
    try:
        differences = _self_check(client.meta.service_model, serializer, table_names)
    except Exception as error:  # a botocore unlike the one proven: keep botocore's steps
        differences = [f"{type(error).__name__}: {error}"]
    if differences:
        logger.warning("botocore %s: DynamoDB calls keep botocore's steps (%s)", botocore.__version__, differences)
        return False
    client._serializer = serializer
    resolver._resolve_param_as_operation_context_param = table_names
    client.meta.events.register("before-parse.dynamodb.BatchGetItem", _parse_plainly)
    return True


class _Serializer:
    """botocore's serializer, with :data:`SHORT_CALLS` serialized by ``json.dumps``."""

    def __init__(self, botocore_serializer: Any) -> None:
        self.botocore = botocore_serializer

    def serialize_to_request(self, parameters: dict[str, Any], operation_model: Any) -> dict[str, Any]:
        if operation_model.name in SHORT_CALLS:
            body = _plain_json(parameters)
            if body is not None:
                request: dict[str, Any] = self.botocore.serialize_to_request({}, operation_model)
                request["body"] = body
                return request
        return self.botocore.serialize_to_request(parameters, operation_model)  # type: ignore[no-any-return]


def _plain_json(parameters: dict[str, Any]) -> bytes | None:
    try:
        text = json.dumps(parameters, allow_nan=False)
    except (TypeError, ValueError):  # bytes, a Decimal, a datetime, NaN: botocore's to convert
        return None
    if any(mark in text for mark in _BINARY):
        return None
    return text.encode()


class _TableNames:
    """The endpoint's ``ResourceArnList`` of a TransactWriteItems, without JMESPath."""

    def __init__(self, botocore_param: Callable[[str, Any, dict[str, Any]], Any]) -> None:
        self.botocore = botocore_param

    def __call__(self, param_name: str, operation_model: Any, call_args: dict[str, Any]) -> Any:
        if param_name == "ResourceArnList" and operation_model.name == "TransactWriteItems":
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


def _parse_plainly(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """A successful BatchGetItem answer read by ``json.loads``; botocore then parses an empty body."""
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, bytes):
        return
    text = body.decode()
    if any(mark in text for mark in _BINARY):
        return
    answer = json.loads(text)
    customized_response_dict.update((name, answer[name]) for name in _BATCH_GET_OUTPUT if name in answer)
    response_dict["body"] = b"{}"


#: BatchGetItem's answer members (an unmodelled member is dropped, as botocore's parser drops it).
_BATCH_GET_OUTPUT = ("Responses", "UnprocessedKeys", "ConsumedCapacity")


# -- the self-check ---------------------------------------------------------------------------------

_TRANSACTION = {
    "TransactItems": [
        {
            "Update": {
                "TableName": "inventory",
                "Key": {"Store": {"S": "Store 1"}, "Item": {"S": 'Äpfel "rot" / 10\u00a0kg'}},
                "UpdateExpression": "SET #count = :count, #line = :line REMOVE #threshold",
                "ConditionExpression": "NOT attribute_type(#time, :text) OR #time < :time",
                "ExpressionAttributeNames": {"#count": "Count", "#line": "SourceLine", "#threshold": "Threshold"},
                "ExpressionAttributeValues": {
                    ":count": {"N": "12"},
                    ":line": {"N": "3"},
                    ":text": {"S": "S"},
                    ":time": {"S": "2026-12-07T10:00:00.000Z"},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {
            "ConditionCheck": {
                "TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/uploads",
                "Key": {"Key": {"S": "uploads/a.csv"}},
                "ConditionExpression": "#owner = :owner",
                "ExpressionAttributeNames": {"#owner": "Owner"},
                "ExpressionAttributeValues": {":owner": {"S": "request-1"}},
            }
        },
    ]
}
_READ = {
    "RequestItems": {
        "inventory": {
            "Keys": [{"Store": {"S": "Store 1"}, "Item": {"S": "Äpfel"}}],
            "ConsistentRead": True,
            "ProjectionExpression": "#store, #count",
            "ExpressionAttributeNames": {"#store": "Store", "#count": "Count"},
        }
    }
}
_ANSWER = {
    "Responses": {
        "inventory": [
            {
                "Store": {"S": "Store 1"},
                "Item": {"S": 'Äpfel "rot"'},
                "Count": {"N": "12"},
                "Flags": {"L": [{"BOOL": True}, {"NULL": True}, {"SS": ["a"]}, {"NS": ["1.5"]}]},
                "Extra": {"M": {"x": {"S": ""}}},
            }
        ]
    },
    "UnprocessedKeys": _READ["RequestItems"],
    "ConsumedCapacity": [{"TableName": "inventory", "CapacityUnits": 1.5}],
}


def _self_check(service_model: Any, serializer: _Serializer, table_names: _TableNames) -> list[str]:
    """Where a shortcut's result differs from botocore's on requests and answers of ingest's shape."""
    differences = []
    for operation, parameters in (("TransactWriteItems", _TRANSACTION), ("BatchGetItem", _READ)):
        model = service_model.operation_model(operation)
        if serializer.serialize_to_request(parameters, model) != serializer.botocore.serialize_to_request(
            parameters, model
        ):
            differences.append(f"{operation} request")
        name = "ResourceArnList"
        if table_names(name, model, parameters) != table_names.botocore(name, model, parameters):
            differences.append(f"{operation} {name}")
    model = service_model.operation_model("BatchGetItem")
    body = json.dumps(_ANSWER, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"x-amzn-requestid": "self-check", "content-type": "application/x-amz-json-1.0"}
    answer = {"status_code": 200, "headers": headers, "body": body}
    parser = parsers.create_parser(service_model.resolved_protocol)
    expected = parser.parse(dict(answer), model.output_shape)
    short, customized = dict(answer), dict[str, Any]()
    _parse_plainly(short, customized)
    if {**parser.parse(short, model.output_shape), **customized} != expected:
        differences.append("BatchGetItem answer")
    return differences
