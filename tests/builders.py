"""Builders for the events and files the tests feed the system. One place, shared by every test."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

REPO = Path(__file__).resolve().parent.parent
LAB_SAMPLES = REPO / "samples" / "lab"


def lab_file(store: str) -> bytes:
    """The lab's original sample file for a store, e.g. ``lab_file("berlin")``."""
    return (LAB_SAMPLES / f"inventory-{store.lower()}.csv").read_bytes()


def csv_file(rows: list[tuple[Any, ...]], header: str = "store,item,count") -> bytes:
    """A CSV inventory file from a header and rows."""
    lines = [header, *(",".join(str(field) for field in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def s3_event(
    bucket: str, *keys: str, version_id: str = "", sequencer: str = "", event_time: str = ""
) -> dict[str, Any]:
    """An S3 object-created event as Lambda receives it: keys URL-encoded in quote_plus form.

    ``event_time`` defaults to now, with milliseconds, as S3 sends it.
    """
    event_time = event_time or datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    records = []
    for key in keys:
        s3_object: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": 1, "eTag": "etag"}
        if version_id:
            s3_object["versionId"] = version_id
        if sequencer:
            s3_object["sequencer"] = sequencer
        records.append(
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": event_time,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "ingest",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": s3_object,
                },
            }
        )
    return {"Records": records}


class LambdaContext:
    """The parts of Lambda's context object the handlers and Powertools read.

    ``remaining_ms`` stands in for Lambda's clock (a short budget makes ingest hand over to a
    continuation); ``request_id`` stays the same across Lambda's retries of one invocation.
    """

    function_name = "test-function"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"

    def __init__(
        self, remaining_ms: Callable[[], int] | None = None, request_id: str = "00000000-0000-0000-0000-000000000000"
    ) -> None:
        self._remaining_ms = remaining_ms
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 900_000 if self._remaining_ms is None else self._remaining_ms()


# -- alerts: DynamoDB stream records as Lambda delivers them ---------------------------

STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/inventory-ingest-test-inventory/stream/2026-01-01T00:00:00.000"
)
_stream_sequence = iter(range(10**20, 10**21))


def inventory_image(
    store: str, item: str, count: Any, threshold: Any = None, updated_at: str = "2026-11-22T03:00:00.000Z"
) -> dict[str, Any]:
    """An Inventory item in attribute-value form, as ingest writes it (``count`` as given)."""
    image: dict[str, Any] = {
        "Store": {"S": store},
        "Item": {"S": item},
        "Count": {"N": str(count)},
        "UpdatedAt": {"S": updated_at},
        "SourceKey": {"S": f"uploads/{store.lower()}.csv"},
        "SourceTime": {"S": updated_at},
    }
    if threshold is not None:
        image["Threshold"] = {"N": str(threshold)}
    return image


def stream_record(
    new_image: dict[str, Any] | None,
    old_image: dict[str, Any] | None = None,
    *,
    event_name: str = "",
    sequence: str = "",
    created: float = 1795316400,
) -> dict[str, Any]:
    """One DynamoDB stream record in Lambda's shape; INSERT, MODIFY or REMOVE from the images given."""
    image = new_image or old_image or {}
    event_name = event_name or ("REMOVE" if new_image is None else "INSERT" if old_image is None else "MODIFY")
    sequence = sequence or str(next(_stream_sequence))
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": created,
        "Keys": {key: image[key] for key in ("Store", "Item") if key in image},
        "SequenceNumber": sequence,
        "SizeBytes": 200,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new_image is not None:
        dynamodb["NewImage"] = new_image
    if old_image is not None:
        dynamodb["OldImage"] = old_image
    return {
        "eventID": f"event-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": STREAM_ARN,
    }


def count_change(
    store: str,
    item: str,
    old: int | None,
    new: int,
    *,
    old_threshold: int | None = None,
    new_threshold: int | None = None,
    sequence: str = "",
    old_at: str = "2026-11-15T03:00:00.000Z",
    at: str = "2026-11-22T03:00:00.000Z",
) -> dict[str, Any]:
    """The stream record of an item's count going from ``old`` (``None``: a new item) to ``new``.

    The old count was set at ``old_at`` (a week before the change, by default: slow enough that
    no item is projected to run out within days unless a test says so), the new one at ``at``.
    """
    old_image = None if old is None else inventory_image(store, item, old, old_threshold, old_at)
    return stream_record(inventory_image(store, item, new, new_threshold, at), old_image, sequence=sequence)


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    """A Lambda event for a DynamoDB stream batch."""
    return {"Records": list(records)}


def lambda_stream_event(records: list[dict[str, Any]], stream_arn: str = STREAM_ARN) -> dict[str, Any]:
    """Turn boto3 ``get_records`` output into the event Lambda delivers (epoch times, source ARN)."""
    shaped = []
    for record in records:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        shaped.append({**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn})
    return {"Records": shaped}


# -- dashboard API: HTTP API requests (payload 2.0) as the JWT authorizer passes them on --

API_CLIENT_ID = "dashboardclient"
API_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_dashboard"


def api_claims(username: str, *, admin: bool = False, stores: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """ID-token claims as the HTTP API's JWT authorizer hands them over: every value text,
    a list claim in API Gateway's ``[a b]`` form; ``custom:stores`` as the admin command writes it."""
    import json

    claims = {
        "sub": f"00000000-0000-0000-0000-{abs(hash(username)) % 10**12:012d}",
        "cognito:username": username,
        "token_use": "id",
        "iss": API_ISSUER,
        "aud": API_CLIENT_ID,
        "iat": "1795316400",
        "exp": "1795320000",
    }
    if admin:
        claims["cognito:groups"] = "[admin]"
    if stores:
        claims["custom:stores"] = json.dumps(list(stores), ensure_ascii=False)
    return claims


def api_event(
    path: str,
    *,
    claims: dict[str, Any] | None,
    query: dict[str, str] | None = None,
    route: str | None = None,
    method: str = "GET",
) -> dict[str, Any]:
    """An HTTP API payload-2.0 event for ``method path?query``.

    ``path`` is the URL path as a browser sends it (percent-encoded). With ``route`` (the
    HTTP API route, e.g. ``/stores/{store}/items``) the event is the one API Gateway builds:
    ``routeKey`` of that route, decoded ``pathParameters`` and a decoded ``rawPath``. Without
    it: ``routeKey`` ``$default`` and the encoded path, as a catch-all adapter passes it.
    ``claims=None`` leaves the authorizer out (a request that reached the function unverified).
    """
    from urllib.parse import unquote, urlencode

    path_parameters: dict[str, str] = {}
    if route:
        for template, segment in zip(route.split("/"), path.split("/"), strict=True):
            if template.startswith("{") and template.endswith("}"):
                path_parameters[template[1:-1]] = unquote(segment)
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "dashboardapi",
        "domainName": "dashboardapi.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "dashboardapi",
        "http": {
            "method": method,
            "path": unquote(path) if route else path,
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "tests",
        },
        "requestId": "request-1",
        "routeKey": f"{method} {route}" if route else "$default",
        "stage": "$default",
        "time": "22/Nov/2026:03:00:00 +0000",
        "timeEpoch": 1795316400000,
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": request_context["routeKey"],
        "rawPath": unquote(path) if route else path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"accept": "application/json", "host": request_context["domainName"]},
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


# -- Excel workbooks written part by part ---------------------------------------------------------

_OOXML = "http://schemas.openxmlformats.org"
_RELATIONSHIP = f"{_OOXML}/officeDocument/2006/relationships"
_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def workbook_parts(shared_strings: bool = False) -> list[tuple[str, str]]:
    """The package parts of a one-sheet workbook, all but the sheet (``xl/worksheets/sheet1.xml``) and the
    shared strings (``xl/sharedStrings.xml``, declared when ``shared_strings``): for tests and benchmarks
    that write a sheet's XML themselves."""
    strings_type = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CONTENT}.sharedStrings+xml"/>'
    strings_rel = f'<Relationship Id="rId2" Type="{_RELATIONSHIP}/sharedStrings" Target="sharedStrings.xml"/>'
    return [
        (
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{_OOXML}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CONTENT}.worksheet+xml"/>'
            f"{strings_type if shared_strings else ''}</Types>",
        ),
        (
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_OOXML}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        ),
        (
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_OOXML}/spreadsheetml/2006/main" '
            f'xmlns:r="{_RELATIONSHIP}"><sheets><sheet name="Inventory" sheetId="1" r:id="rId1"/></sheets></workbook>',
        ),
        (
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_OOXML}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
            f"{strings_rel if shared_strings else ''}</Relationships>",
        ),
    ]


def every_field_set(model: type[Any], name: str = "x") -> Any:
    """An instance of the dataclass ``model`` with every field given a value other than its default
    (text named after the field, a count of 1 or more, ``True``, the enum's last member, lists of
    one), so a round trip or a served copy that drops or forgets a field shows it."""
    import dataclasses
    import enum
    import types
    import typing

    def value(kind: Any, label: str) -> Any:
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is types.UnionType:
            return value(args[0], label)
        if origin is list:
            return [value(args[0], label)]
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            return every_field_set(kind, label)
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return list(kind)[-1]
        return {bool: True, int: len(label) + 1, str: f"{label}-value"}[kind]

    hints = typing.get_type_hints(model)
    return model(**{f.name: value(hints[f.name], f.name) for f in dataclasses.fields(model) if f.init})


def function_environment(service: str, function: str, **given: str) -> dict[str, str]:
    """``function``'s ``environment:`` in services/<service>/serverless.yml as a stage that sets no
    parameters gets it: each ``${param:name}`` whose default there is a plain value, read from that
    default (the one home of every stage parameter's default), then ``given`` (what the test made:
    tables, topics, and any value it varies). A variable left out stays unset: the settings say so."""
    from devstack import definitions  # at call time: tests/conftest.py caches the parsed files

    definition = definitions.service_definition(service)
    defaults = definition["params"]["default"]
    environment: dict[str, str] = {}
    for variable, value in (definition["functions"][function].get("environment") or {}).items():
        param = re.fullmatch(r"\$\{param:(\w+)\}", value) if isinstance(value, str) else None
        default = defaults.get(param[1]) if param else None
        if isinstance(default, str) and "${" not in default:
            environment[variable] = default
    return {**environment, **given}
