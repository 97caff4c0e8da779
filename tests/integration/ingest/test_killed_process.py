"""A timeout mid-file, for real: the function's process is killed while it loads, and Lambda's retry of the
same invocation takes over from the last checkpoint. The table matches the file and the report is exact.

The emulator runs in this process as a server (so a second process can reach it); the first
attempt runs in a child process, killed with SIGKILL as Lambda ends a function at its timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from inventory.uploads import report_key, version_tag
from moto.server import ThreadedMotoServer

from devstack.definitions import create_table
from devstack.moto_transactions import fix_transactions
from tests.builders import REPO, LambdaContext, csv_file, s3_event
from tests.integration.ingest.conftest import BUCKET, ENVIRONMENT, STORES, TABLE, UPLOADS

pytestmark = pytest.mark.integration

ROWS = 6_000
KEY = "uploads/head-office.csv"
#: The first attempt, as Lambda runs it: the handler on the event, in a process of its own.
ATTEMPT = """
import json, sys
from ingest.handlers.upload import handler
from tests.builders import LambdaContext
handler(json.loads(sys.stdin.read()), LambdaContext())
"""


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    fix_transactions()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    try:
        yield endpoint
    finally:
        server.stop()


def environment(endpoint: str) -> dict[str, str]:
    return {
        **{name: value for name, value in os.environ.items() if name.startswith(("AWS_", "POWERTOOLS_", "PATH"))},
        **ENVIRONMENT,
        "AWS_ENDPOINT_URL": endpoint,
        "PYTHONPATH": os.pathsep.join(str(REPO / part) for part in (".", "shared", "services/ingest")),
        "CHECKPOINT_SECONDS": "0.5",  # checkpoints often, so the kill lands between two of them
        "LEASE_SECONDS": "3",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def index_row(dynamodb: Any, version: str) -> dict[str, Any]:
    key = {"Key": {"S": KEY}, "Version": {"S": version}}
    return dict(dynamodb.get_item(TableName=UPLOADS, Key=key, ConsistentRead=True).get("Item") or {})


def item_count(dynamodb: Any) -> int:
    return sum(page["Count"] for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE, Select="COUNT"))


def test_a_load_killed_mid_file_is_finished_by_the_retry_from_its_checkpoint_with_exact_tallies(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stack on the emulator and a 6,000-row head-office file
    s3, dynamodb = boto3.client("s3", endpoint_url=emulator), boto3.client("dynamodb", endpoint_url=emulator)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for logical_id, name in (("InventoryTable", TABLE), ("StoresTable", STORES), ("UploadsTable", UPLOADS)):
        create_table(dynamodb, "ingest", logical_id, name)
    rows = [(f"Store {n // 1000}", f"Item {n % 1000:03d}", n % 37) for n in range(ROWS)]
    version_id = s3.put_object(Bucket=BUCKET, Key=KEY, Body=csv_file(rows))["VersionId"]
    event = s3_event(BUCKET, KEY, version_id=version_id, sequencer="00000000000000A1")
    version = version_tag(version_id)

    # When the first attempt is killed after a checkpoint, with more rows landed since
    attempt = subprocess.Popen(
        [sys.executable, "-c", ATTEMPT], cwd=REPO, env=environment(emulator), stdin=subprocess.PIPE, text=True
    )
    try:
        assert attempt.stdin is not None
        attempt.stdin.write(json.dumps(event))
        attempt.stdin.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and attempt.poll() is None:
            row = index_row(dynamodb, version)
            saved = int(row.get("Rows", {}).get("M", {}).get("written", {}).get("N", "0")) if "Checkpoint" in row else 0
            if saved >= 1_000 and item_count(dynamodb) > saved:
                attempt.kill()
                break
            time.sleep(0.05)
        attempt.wait(timeout=30)
    finally:
        if attempt.poll() is None:
            attempt.kill()
            attempt.wait()
    assert attempt.returncode == -9, "the attempt finished before it could be killed mid-file"
    landed = item_count(dynamodb)
    assert 1_000 < landed < ROWS
    assert index_row(dynamodb, version)["Status"] == {"S": "loading"}

    # And Lambda retries the same invocation (same request id) once the dead one's lease has run out
    from ingest.handlers.upload import handler, ingestor

    for name, value in {**ENVIRONMENT, "LEASE_SECONDS": "3"}.items():
        monkeypatch.setenv(name, value)
    ingestor.cache_clear()
    reads: list[str | None] = []
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register(  # type: ignore[attr-defined]
        "before-parameter-build.s3.GetObject", lambda params, **_: reads.append(params.get("Range"))
    )
    try:
        handler(event, LambdaContext())
    finally:
        ingestor.cache_clear()
        boto3.DEFAULT_SESSION = None

    # Then it read the file from the checkpoint on, not from the start,
    assert len(reads) == 1
    assert reads[0] is not None
    assert reads[0].startswith("bytes=")
    # the table matches the file, and one report counts every row once
    stored = {
        (item["Store"]["S"], item["Item"]["S"]): int(item["Count"]["N"])
        for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE)
        for item in page["Items"]
    }
    assert stored == {(store, item): count for store, item, count in rows}
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=report_key(KEY, version))["Body"].read())
    assert report["status"] == "ok"
    assert report["rows"] == {
        "read": ROWS, "accepted": ROWS, "rejected": 0, "written": ROWS, "unchanged": 0, "stale": 0, "duplicates": 0,
        "retired": 0,
    }  # fmt: skip
    row = index_row(dynamodb, version)
    assert row["Status"] == {"S": "ok"}
    assert "Checkpoint" not in row
    assert row["Attempt"] == {"N": "2"}  # Lambda's second try of that invocation
