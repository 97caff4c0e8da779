"""Handlers the execution-environment tests run (imported by the worker from the repo root)."""

from __future__ import annotations

import json
import os
import time
from typing import Any


def slow(event: Any, context: Any) -> dict[str, Any]:
    """Takes a while, and says which environment (process) ran it."""
    time.sleep(float(event.get("seconds", 0.5)))
    return {
        "pid": os.getpid(),
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def echo(event: Any, context: Any) -> dict[str, Any]:
    """Returns the event it got, and appends it to ``event["write_to"]`` or ``$ECHO_LOG`` (asynchronous calls)."""
    target = event.get("write_to") or os.environ.get("ECHO_LOG")
    if target:
        with open(target, "a") as file:
            file.write(json.dumps(event) + "\n")
    if event.get("fail"):
        raise ValueError(f"asked to fail: {event['fail']}")
    return {"got": event}


def flaky(event: Any, context: Any) -> dict[str, Any]:
    """Writes its request id to ``event["write_to"]``, then fails until it has run ``event["fail"]`` times."""
    with open(event["write_to"], "a") as file:
        file.write(context.aws_request_id + "\n")
    with open(event["write_to"]) as file:
        runs = len(file.read().splitlines())
    if runs <= int(event["fail"]):
        raise RuntimeError(f"failing on purpose, run {runs}")
    return {"runs": runs}


def read_object(event: Any, context: Any) -> dict[str, Any]:
    """Reads ``event["key"]`` of ``event["bucket"]`` (HeadObject if ``event["head"]``, else GetObject): what S3 said."""
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3")
    try:
        if event.get("head"):
            s3.head_object(Bucket=event["bucket"], Key=event["key"])
        else:
            s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    except ClientError as error:
        return {"status": error.response["ResponseMetadata"]["HTTPStatusCode"], "code": error.response["Error"]["Code"]}
    return {"status": 200, "code": ""}
