"""DynamoDB stand-ins for the runs the emulator would make too slow: memory and simulated latency.

Neither keeps what is written, so the memory measured is the parser's and the loader's
alone, and a run of any size costs no more memory on the stand-in's side. Reads find
nothing, as on a first load into an empty table.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse

#: Answers for the calls ingest and the lab loader make; reads find nothing, writes all succeed.
_ANSWERS: dict[str, dict[str, Any]] = {
    "BatchGetItem": {"Responses": {}, "UnprocessedKeys": {}},
    "BatchWriteItem": {"UnprocessedItems": {}},
    "PutItem": {},
    "UpdateItem": {},
    "TransactWriteItems": {},
}


class NullDynamoDB:
    """A duck-typed DynamoDB client answering from memory at once, counting calls (thread-safe)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _answer(self, operation: str) -> dict[str, Any]:
        with self._lock:
            self.calls[operation] += 1
        return dict(_ANSWERS[operation])

    def batch_get_item(self, **_: Any) -> dict[str, Any]:
        return self._answer("BatchGetItem")

    def batch_write_item(self, **_: Any) -> dict[str, Any]:
        return self._answer("BatchWriteItem")

    def put_item(self, **_: Any) -> dict[str, Any]:
        return self._answer("PutItem")

    def update_item(self, **_: Any) -> dict[str, Any]:
        return self._answer("UpdateItem")


class SlowDynamoDB:
    """Makes a real boto3 DynamoDB client answer every call itself after ``latency`` seconds.

    The request is built and serialized by botocore as usual (that client-side cost is
    real on Lambda too); the network round trip is replaced by ``time.sleep(latency)``,
    which lets other threads run, as waiting on a socket does.
    """

    def __init__(self, latency: float) -> None:
        self.latency = latency

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-call.dynamodb", self)
        return client

    def __call__(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        return _answer(dict(_ANSWERS[model.name]))


#: Answers for the calls the alerts handler and the lab's Check-Stock make.
NO_STOCK_TOPIC = "arn:aws:sns:us-east-1:123456789012:NoStock"
_SNS_ANSWERS: dict[str, dict[str, Any]] = {
    "Publish": {"MessageId": "00000000-0000-0000-0000-000000000000"},
    "ListTopics": {"Topics": [{"TopicArn": NO_STOCK_TOPIC}]},
}


class InstantAWS:
    """Answers every DynamoDB and SNS call of clients made from a boto3 session at once, after botocore
    has built and serialized it, so only the caller's own CPU is measured. Any other call is refused:
    nothing leaves the process."""

    def attach(self, events: Any) -> InstantAWS:
        events.register("before-call", self)
        return self

    def __call__(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        service = model.service_model.service_id.hyphenize()
        answers = {"dynamodb": _ANSWERS, "sns": _SNS_ANSWERS}.get(service, {})
        if model.name not in answers:
            raise RuntimeError(f"the stand-in has no answer for {service} {model.name}")
        return _answer(dict(answers[model.name]))


def _answer(body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    body["ResponseMetadata"] = {"HTTPStatusCode": 200, "RetryAttempts": 0}
    return AWSResponse("http://stand-in", 200, {}, None), body


class GeneratedBucket:
    """An upload bucket whose one file is generated as it is read, so no run holds a whole file."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.reports: dict[str, dict[str, Any]] = {}

    def open(self, bucket: str, key: str, version_id: str = "") -> Any:
        from ingest.dal.objects import OpenedUpload
        from inventory.models import utc_now

        from bench.workload import csv_chunks

        del bucket, key
        return OpenedUpload(
            etag="generated", version_id=version_id, last_modified=utc_now(), chunks=csv_chunks(self.rows)
        )

    def put_report(self, bucket: str, key: str, report: dict[str, Any]) -> None:
        del bucket
        self.reports[key] = report
