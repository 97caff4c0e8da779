"""Builders for the events and files the tests feed the system. One place, shared by every test."""

from __future__ import annotations

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
    """The parts of Lambda's context object the handlers and Powertools read."""

    function_name = "test-function"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000
