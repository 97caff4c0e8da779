"""DynamoDB read answers parsed in a fraction of botocore's time, to the same result.

botocore parses a JSON answer by walking the operation's output shape: every attribute value of
every item is a structure of ten members, looked up one by one, so parsing a Query of 100 items
costs more CPU than building, signing and sending it and everything else the caller does with it.
On the wire an item is already in its parsed form, binary values apart (base64 text there, bytes
once parsed). :func:`parse_reads_fast` registers on one client a ``before-parse`` handler for the
read operations that decodes their items itself (``B`` and ``BS`` from base64, ``M`` and ``L``
walked, everything else as sent; an answer with none of these kinds is taken as it was read) and
leaves the rest of the answer (counts, capacity, unprocessed keys, every error) to botocore.

It registers only after a self-check: answers holding every kind of attribute value are parsed
both ways with the client's own botocore, and any difference leaves the client as it was.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.parsers import create_parser

#: Marks that an answer may hold a value to decode or walk (``B``, ``BS``, ``M``, ``L``) or an escaped
#: name; an answer without any of them is already in its parsed form. A name or text that happens to
#: read so only costs the walk.
_NEEDS_WALK = (b'"B"', b'"BS"', b'"M"', b'"L"', b"\\u")
#: The read operations whose items are decoded here.
OPERATIONS = ("Query", "Scan", "GetItem", "BatchGetItem")
#: Every kind of attribute value, nested ones included (what the self-check parses both ways).
_SAMPLE_ITEM: dict[str, Any] = {
    "Store": {"S": "Berlin"},
    "Count": {"N": "12"},
    "Blob": {"B": base64.b64encode(b"\x00\xffbytes").decode()},
    "Names": {"SS": ["a", "b"]},
    "Numbers": {"NS": ["1", "2.5"]},
    "Blobs": {"BS": [base64.b64encode(b"\x01").decode(), base64.b64encode(b"\x02").decode()]},
    "Map": {"M": {"Inner": {"S": "x"}, "Deeper": {"M": {"B": {"B": base64.b64encode(b"\x03").decode()}}}}},
    "List": {"L": [{"N": "1"}, {"NULL": True}, {"BOOL": False}, {"L": [{"B": base64.b64encode(b"\x04").decode()}]}]},
    "Empty": {"NULL": True},
    "Flag": {"BOOL": True},
}
_SAMPLE_KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}}
#: An item with nothing to walk (an answer of such items is taken as read).
_SAMPLE_FLAT = {
    key: value for key, value in _SAMPLE_ITEM.items() if set(value) & {"S", "N", "SS", "NS", "NULL", "BOOL"}
}
_CAPACITY = {"TableName": "Inventory", "CapacityUnits": 0.5}
_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("Query", {"Items": [_SAMPLE_FLAT, _SAMPLE_KEY], "Count": 2, "ScannedCount": 2, "LastEvaluatedKey": _SAMPLE_KEY}),
    ("GetItem", {"Item": _SAMPLE_FLAT}),
    (
        "Query",
        {
            "Items": [_SAMPLE_ITEM, _SAMPLE_KEY],
            "Count": 2,
            "ScannedCount": 3,
            "LastEvaluatedKey": _SAMPLE_KEY,
            "ConsumedCapacity": _CAPACITY,
        },
    ),
    ("Scan", {"Items": [_SAMPLE_ITEM], "Count": 1, "ScannedCount": 1, "ConsumedCapacity": _CAPACITY}),
    ("GetItem", {"Item": _SAMPLE_ITEM, "ConsumedCapacity": _CAPACITY}),
    (
        "BatchGetItem",
        {
            "Responses": {"Inventory": [_SAMPLE_ITEM, _SAMPLE_KEY], "Forecast": []},
            "UnprocessedKeys": {"Inventory": {"Keys": [_SAMPLE_KEY], "ConsistentRead": True}},
            "ConsumedCapacity": [_CAPACITY],
        },
    ),
]


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        raise TypeError("an attribute value is an object")
    if "M" in value:
        return {"M": _item(value["M"])}
    if "L" in value:
        return {"L": [_value(element) for element in value["L"]]}
    if "B" in value:
        return {"B": base64.b64decode(value["B"])}
    if "BS" in value:
        return {"BS": [base64.b64decode(element) for element in value["BS"]]}
    return value


def _item(item: Any) -> dict[str, Any]:
    return {name: _value(value) for name, value in item.items()}


def _checked(item: Any) -> dict[str, Any]:
    """An item as read, which holds nothing to decode (see ``_NEEDS_WALK``)."""
    if not isinstance(item, dict):
        raise TypeError("an item is an object")
    return item


def take_items(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """``before-parse`` handler: move a successful read answer's items out of the body, decoded, into
    ``customized_response_dict`` (which botocore lays over what it parsed of the rest). An answer it
    cannot read is left whole to botocore, which parses it (or says what is wrong with it)."""
    if response_dict.get("status_code") != 200:
        return
    raw = response_dict["body"]
    item = _item if isinstance(raw, bytes) and any(mark in raw for mark in _NEEDS_WALK) else _checked
    try:
        body = json.loads(raw)
        items: dict[str, Any] = {}
        if "Items" in body:
            items["Items"] = [item(found) for found in body.pop("Items")]
        for name in ("Item", "LastEvaluatedKey"):
            if name in body:
                items[name] = item(body.pop(name))
        if "Responses" in body:
            items["Responses"] = {
                table: [item(found) for found in rows] for table, rows in body.pop("Responses").items()
            }
    except (ValueError, TypeError, AttributeError, binascii.Error):
        return
    response_dict["body"] = json.dumps(body).encode()
    customized_response_dict.update(items)


def _parsed(answer: dict[str, Any], shape: Any, fast: bool) -> dict[str, Any]:
    response = {"status_code": 200, "headers": {"x-amzn-requestid": "self-check"}, "body": json.dumps(answer).encode()}
    customized: dict[str, Any] = {}
    if fast:
        take_items(response_dict=response, customized_response_dict=customized)
    parsed: dict[str, Any] = create_parser("json").parse(response, shape)
    parsed.update(customized)
    return parsed


def same_as_botocore(client: Any) -> bool:
    """Whether every sample answer parses here exactly as the client's botocore parses it."""
    try:
        model = client.meta.service_model
        return all(
            _parsed(answer, shape, fast=True) == _parsed(answer, shape, fast=False)
            for operation, answer in _SAMPLES
            for shape in [model.operation_model(operation).output_shape]
        )
    except Exception:  # any surprise from another botocore means: keep its parser
        return False


def parse_reads_fast(client: Any) -> bool:
    """Have ``client`` (a DynamoDB client) decode its read answers' items here, if the self-check
    passes; whether it does."""
    if not same_as_botocore(client):
        return False
    for operation in OPERATIONS:
        client.meta.events.register(f"before-parse.dynamodb.{operation}", take_items)
    return True
