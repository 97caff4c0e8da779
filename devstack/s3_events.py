"""S3 -> Lambda notifications, locally, through moto's own bucket notifications.

The stack's buckets carry their ``LambdaConfigurations`` as moto bucket notifications, so moto matches each
object event against the event types and key filters (prefix, suffix: case-sensitive, as S3's) and builds
the event. moto would then need Docker to run the function; the emulator runs in this process, so that
last step is replaced: the event goes to the function's local execution environment as an asynchronous
invocation (retries, then its on-failure destination), with what moto's records lack and Lambda's carry
(``versionId``, ``sequencer``, the request and identity fields). Keys stay URL-encoded (``quote_plus``).
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
import time
import uuid
from typing import Any

from devstack.lambdas import Functions

_sequencer = itertools.count(int(time.time() * 1000) << 16)
_sequencer_lock = threading.Lock()


def next_sequencer() -> str:
    """Increasing, fixed-width hex, like S3's ``sequencer`` (which orders events for one key)."""
    with _sequencer_lock:
        return f"{next(_sequencer):016X}"


def complete_moto_events() -> None:
    """Add what moto leaves out of its S3 event records and Lambda's carry: versionId and sequencer.

    The emulator runs in this process, so its event builder can be wrapped; the object's version is only
    known there (a later ``head_object`` could see a newer version of the same key).
    """
    from moto.s3 import notifications

    original = notifications._get_s3_event
    if getattr(original, "devstack", False):
        return

    @functools.wraps(original)
    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        for record in event.get("Records", []):
            s3_object = record["s3"]["object"]
            version = getattr(key, "version_id", None)
            if version and version != "null" and getattr(bucket, "is_versioned", False):
                s3_object["versionId"] = version
            s3_object["sequencer"] = next_sequencer()
        return event

    get_s3_event.devstack = True  # type: ignore[attr-defined]
    notifications._get_s3_event = get_s3_event


def lambda_record(record: dict[str, Any]) -> dict[str, Any]:
    """An S3 event record as Lambda receives it (moto's record plus the fields it omits)."""
    full = json.loads(json.dumps(record))
    full.setdefault("userIdentity", {"principalId": "AWS:LOCALSTACKUSER"})
    full.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    full.setdefault(
        "responseElements",
        {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
    )
    full["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "LOCAL"})
    return full


def route_to_functions(functions: Functions, say: Any = print) -> None:
    """Deliver moto's S3 -> Lambda notifications to the stack's functions (replacing the last, Docker, step)."""
    from moto.s3 import notifications

    complete_moto_events()

    @functools.wraps(notifications._invoke_awslambda)
    def invoke(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:  # noqa: ARG001
        runtime = functions.by_arn(fn_arn.split(":$LATEST", maxsplit=1)[0])
        if runtime is None:
            say(f"no local function for {fn_arn}: the S3 event is dropped")
            return
        functions.invoke_async(runtime, {"Records": [lambda_record(r) for r in event_body.get("Records", [])]})

    notifications._invoke_awslambda = invoke
