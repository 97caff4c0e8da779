"""The benchmarks' one stand-in for AWS latency and metering, and the file and Lambda stand-ins.

:class:`Meter` hooks a real boto3 client (or a session: clients made from it later inherit it).
Every call is counted by operation (calls on ``table`` apart from the rest), with the write units
its writes would consume and, once answered, the items its reads examined and the bytes sent back.
With ``latency``, each call first waits that long (``sleep`` may be a simulated clock's); with
``answer``, the call never leaves the process: once botocore has built and serialized it (that
client-side cost is real on Lambda too), it is answered from :data:`ANSWERS` (reads find nothing,
as on a first load into an empty table; writes all succeed). Every suite uses it: against the
emulator to count, alone to answer at simulated latency.
"""

from __future__ import annotations

import json
import math
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

NO_STOCK_TOPIC = "arn:aws:sns:us-east-1:123456789012:NoStock"
#: What the stand-in answers, by operation (DynamoDB, and SNS for the alerts handlers).
ANSWERS: dict[str, dict[str, Any]] = {
    "BatchGetItem": {"Responses": {}, "UnprocessedKeys": {}},
    "Query": {"Items": [], "Count": 0, "ScannedCount": 0},
    "BatchWriteItem": {"UnprocessedItems": {}},
    "TransactWriteItems": {},
    "GetItem": {},
    "PutItem": {},
    "UpdateItem": {},
    "Publish": {"MessageId": "00000000-0000-0000-0000-000000000000"},
    "ListTopics": {"Topics": [{"TopicArn": NO_STOCK_TOPIC}]},
}
#: Calls that write to a table; everything else DynamoDB is a read (or a table operation).
WRITE_OPERATIONS = frozenset({"PutItem", "BatchWriteItem", "UpdateItem", "DeleteItem", "TransactWriteItems"})


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: names plus values (text in UTF-8, a number about a byte per
    two digits)."""
    size = 0
    for name, value in item.items():
        ((kind, body),) = value.items()
        size += len(name.encode())
        size += 1 + (sum(c.isdigit() for c in str(body)) + 1) // 2 if kind == "N" else len(str(body).encode())
    return size


def read_units(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> float:
    """Read units a read consumed, as DynamoDB bills them: BatchGetItem per key read, each item rounded up to
    4 KB (ours are smaller: one unit a key, found or not); a Query or Scan page on the total size of the
    items it returns, rounded up to 4 KB once (at least one unit); GetItem on its item's size. Half that
    when not strongly consistent. Sizes are those of the attributes returned (a projection's)."""
    if operation == "BatchGetItem":
        unread = sum(len(left["Keys"]) for left in (parsed.get("UnprocessedKeys") or {}).values())
        requests = params["RequestItems"].values()
        consistent = all(request.get("ConsistentRead") for request in requests)
        units = float(sum(len(request["Keys"]) for request in requests) - unread)
    elif operation in {"Query", "Scan"}:
        consistent = bool(params.get("ConsistentRead"))
        units = float(max(1, math.ceil(sum(item_size(item) for item in parsed.get("Items", [])) / 4096)))
    elif operation == "GetItem":
        consistent = bool(params.get("ConsistentRead"))
        units = float(max(1, math.ceil(item_size(parsed.get("Item", {})) / 4096)))
    else:
        return 0.0
    return units if consistent else units / 2


def _action_units(action: dict[str, Any], units: Any) -> int:
    if "Put" in action:
        return int(units(action["Put"]["Item"]))
    if "Update" in action:
        update = action["Update"]
        values = update.get("ExpressionAttributeValues", {})
        return int(units(update["Key"] | {f"a{i}": v for i, v in enumerate(values.values())}))
    return 1


def write_units(operation: str, params: dict[str, Any]) -> int:
    """Write units a write request consumes if every item in it lands (1 KB a unit; 2 in a transaction)."""

    def units(item: dict[str, Any]) -> int:
        return math.ceil(item_size(item) / 1024)

    if operation == "TransactWriteItems":
        # A Put counts its item; an Update its key and values (ingest's items, the alerts' totals); a
        # ConditionCheck one unit (ingest's fence, the alerts' guards).
        return sum(2 * _action_units(action, units) for action in params["TransactItems"])
    if operation == "PutItem":
        return units(params["Item"])
    if operation == "UpdateItem":
        values = {k: v for k, v in params["ExpressionAttributeValues"].items() if k.startswith(":u")}
        return units(params["Key"] | {f"a{i}": v for i, v in enumerate(values.values())})
    if operation == "BatchWriteItem":
        return sum(units(r["PutRequest"]["Item"]) for items in params["RequestItems"].values() for r in items)
    return 0


def _tables(params: dict[str, Any]) -> set[str]:
    if "TableName" in params:
        return {params["TableName"]}
    if "RequestItems" in params:
        return set(params["RequestItems"])
    return {next(iter(action.values()))["TableName"] for action in params.get("TransactItems", [])}


class Calls:
    """Requests by operation, and the totals read from them."""

    calls: Counter[str]

    @property
    def requests(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for name, n in self.calls.items() if name in WRITE_OPERATIONS)


class Meter(Calls):
    """Counts (and optionally delays or answers) a boto3 client's calls; see the module docstring."""

    def __init__(
        self,
        table: str | None = None,
        *,
        latency: float = 0.0,
        answer: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table = table
        self.latency = latency
        self.answer = answer
        self.sleep = sleep
        self._lock = threading.Lock()  # the loader's lanes call from several threads
        self.reset()

    def reset(self) -> None:
        self.calls: Counter[str] = Counter()  # on ``table`` (every call when no table is named)
        self.other: Counter[str] = Counter()  # on any other table
        self.write_units = 0
        self.read_units = 0.0  # on ``table``, as DynamoDB bills them (:func:`read_units`)
        self.examined: Counter[str] = Counter()  # items read (ScannedCount, or 1 per GetItem), by table
        self.bytes: Counter[str] = Counter()  # response bytes, by table

    def attach(self, events: Any) -> Meter:
        """Register on a client's ``meta.events`` or a session's ``events``."""
        events.register("before-parameter-build", self._count)
        events.register("before-call", self._call)
        events.register("after-call.dynamodb", self._read)  # reading a body elsewhere would consume S3 streams
        return self

    def _count(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        tables = _tables(params)
        context["bench_table"] = next(iter(tables), "")
        context["bench_counted"] = self.table is None or self.table in tables
        context["bench_params"] = params
        with self._lock:
            if self.table is None or self.table in tables:
                self.calls[model.name] += 1
                self.write_units += write_units(model.name, params)
            else:
                self.other[model.name] += 1

    def _call(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.latency:
            self.sleep(self.latency)
        if not self.answer:
            return None
        if model.name not in ANSWERS:
            raise RuntimeError(f"the stand-in has no answer for {model.name}")
        body = dict(ANSWERS[model.name], ResponseMetadata={"HTTPStatusCode": 200, "RetryAttempts": 0})
        return AWSResponse("http://stand-in", 200, {}, None), body

    def _read(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        table = context.get("bench_table", "")
        examined = int(parsed.get("ScannedCount", 1 if "Item" in parsed else 0))
        units = read_units(model.name, context["bench_params"], parsed) if context.get("bench_counted") else 0.0
        with self._lock:
            self.read_units += units
            self.examined[table] += examined
            self.bytes[table] += len(getattr(http_response, "content", None) or b"")


class FileBucket:
    """An upload bucket of one file, read from any byte: from disk, or generated as it is read (then from
    its start only), so no run holds a whole file. Reports are kept in memory."""

    def __init__(
        self,
        file: Path | Callable[[], Iterator[bytes]],
        wait: Callable[[float], None] = lambda _: None,
        latency: float = 0.0,
    ) -> None:
        self.file = file
        self.wait = lambda: wait(latency)
        self.reports: dict[str, dict[str, Any]] = {}
        self.opened_at: list[int] = []

    def open(self, bucket: str, key: str, version_id: str = "", start: int = 0) -> Any:
        from ingest.dal.objects import OpenedUpload

        del bucket, key
        self.wait()
        self.opened_at.append(start)
        size = self.file.stat().st_size if isinstance(self.file, Path) else 0
        return OpenedUpload("bench", version_id, "2026-11-22T03:00:00.000Z", size, None, self._chunks(start))

    def _chunks(self, start: int) -> Iterator[bytes]:
        if not isinstance(self.file, Path):
            if start:
                raise ValueError("a generated file is read from its start only")
            yield from self.file()
            return
        with self.file.open("rb") as body:
            body.seek(start)
            while chunk := body.read(256 * 1024):
                yield chunk

    def deleted(self, bucket: str, key: str) -> bool:
        del bucket, key
        self.wait()
        return False

    def put_report(self, bucket: str, key: str, report: dict[str, Any], *, only_new: bool = False) -> None:
        del bucket
        self.wait()
        if not (only_new and key in self.reports):
            self.reports[key] = report


class QueuedInvoker:
    """The function's self-invocation: the continuations asked for, for the harness to play as Lambda."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> None:
        del function_arn
        self.events.append(event)


class _Body:
    """A response body botocore reads as it reads urllib3's."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class WireTable(Calls):
    """DynamoDB at the end of the wire, in memory: a client's signed request waits ``latency`` and is
    answered with the JSON bytes DynamoDB would send, so botocore serializes, signs and parses every
    call as it does on Lambda (only the network is left out). Ingest's item updates land (their SET
    values become the item) and BatchGetItem finds what landed; TransactWriteItems always succeeds.
    ``cpu_seconds``: the stand-in's own CPU time (reading requests, writing answers), for the caller
    to leave out of the client's."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.cpu_seconds = 0.0
        self._lock = threading.Lock()

    def attach(self, events: Any) -> WireTable:
        events.register("before-send.dynamodb", self._answer)
        return self

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        started = time.thread_time()
        target = request.headers["X-Amz-Target"]
        operation = (target.decode() if isinstance(target, bytes) else target).split(".", 1)[1]
        answer = getattr(self, f"_{operation}", None)
        if answer is None:
            raise RuntimeError(f"the wire stand-in has no answer for {operation}")
        content = json.dumps(answer(json.loads(request.body))).encode()
        headers = {
            "x-amzn-requestid": "stand-in",
            "content-type": "application/x-amz-json-1.0",
            "x-amz-crc32": str(zlib.crc32(content)),
        }
        with self._lock:
            self.calls[operation] += 1
            self.cpu_seconds += time.thread_time() - started
        time.sleep(self.latency)
        return AWSResponse(request.url, 200, headers, _Body(content))

    def _BatchGetItem(self, params: dict[str, Any]) -> dict[str, Any]:
        responses = {}
        with self._lock:
            for table, request in params["RequestItems"].items():
                keys = ((key["Store"]["S"], key["Item"]["S"]) for key in request["Keys"])
                found = [self.items[key] for key in keys if key in self.items]
                responses[table] = _projected(found, request)
        return {"Responses": responses, "UnprocessedKeys": {}}

    def _Query(self, params: dict[str, Any]) -> dict[str, Any]:
        """One store's items (ingest's key condition), a page of ``Limit`` at the most, projected."""
        store = params["ExpressionAttributeValues"][":store"]["S"]
        after = params.get("ExclusiveStartKey", {}).get("Item", {}).get("S", "")
        with self._lock:
            items = sorted((key[1], item) for key, item in self.items.items() if key[0] == store and key[1] > after)
        page = [item for _, item in items[: params.get("Limit", len(items))]]
        answer: dict[str, Any] = {"Items": _projected(page, params), "Count": len(page), "ScannedCount": len(page)}
        if len(page) < len(items):
            answer["LastEvaluatedKey"] = {"Store": {"S": store}, "Item": page[-1]["Item"]}
        return answer

    def _GetItem(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {}  # the uploads index and Stores rows: as the answering Meter, nothing found

    _PutItem = _UpdateItem = _GetItem

    def _TransactWriteItems(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for action in params["TransactItems"]:
                if "Update" in action:
                    item = item_of(action["Update"])
                    self.items[item["Store"]["S"], item["Item"]["S"]] = item
        return {}


def _projected(items: list[dict[str, Any]], request: dict[str, Any]) -> list[dict[str, Any]]:
    """Only the attributes a request's projection asks for, as DynamoDB answers."""
    if "ProjectionExpression" not in request:
        return items
    names = request.get("ExpressionAttributeNames", {})
    wanted = [names.get(name.strip(), name.strip()) for name in request["ProjectionExpression"].split(",")]
    return [{name: item[name] for name in wanted if name in item} for item in items]


def item_of(update: dict[str, Any]) -> dict[str, Any]:
    """The attributes an ingest update (``SET #a = :a, ... [REMOVE ...]``) leaves on a new item."""
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    assignments = update["UpdateExpression"].removeprefix("SET ").partition(" REMOVE ")[0]
    item = dict(update["Key"])
    for assignment in assignments.split(", "):
        name, value = assignment.split(" = ")
        item[names[name]] = values[value]
    return item
