"""Stock alerts end to end on the local stack: upload -> Inventory stream -> alerts function -> SNS -> inbox.

A fresh stack without the sample files, so Berlin starts empty; the digests are read from the alerts
topic's inbox queue (``alerts_queue_url`` in stack.json), as an email subscriber would receive them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inventory.history import history_key

from tests.builders import REPO, lab_file
from tests.e2e.conftest import LocalStackProcess, digests, start_stack, stop_stack, upload_file, wait_for

pytestmark = pytest.mark.e2e

# The alerts function gathers stream records for up to its batchWindow (10 s) before it runs.
BERLIN_ITEMS = ("Echo Dot", "Echo (2nd Gen)", "Echo Show", "Echo Plus", "Echo Look", "Amazon Tap")


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    stack = start_stack(tmp_path_factory.mktemp("devstack-alerts"), "--no-samples")
    yield stack
    stop_stack(stack)


def upload(stack: LocalStackProcess, name: str, body: bytes) -> None:
    """Upload a file and wait for its final report: by then every change it makes is on the stream."""
    report = upload_file(stack, f"{stack.info['upload_prefix']}{name}", body)
    assert report["status"] == "ok", report


def named_items(envelope: dict[str, Any]) -> set[str]:
    text = f"{envelope.get('Subject', '')}\n{envelope['Message']}"
    return {item for item in BERLIN_ITEMS if item in text}


def test_stack_json_names_the_topic_its_inbox_and_the_history_table(fresh_stack: LocalStackProcess) -> None:
    info = fresh_stack.info
    topic = fresh_stack.client("sns").get_topic_attributes(TopicArn=info["topic_arn"])["Attributes"]
    assert topic["TopicArn"] == info["topic_arn"]
    assert fresh_stack.client("sqs").get_queue_url(QueueName=info["alerts_queue_url"].rsplit("/", 1)[-1])
    table = fresh_stack.client("dynamodb").describe_table(TableName=info["history_table"])["Table"]
    assert table["TableStatus"] == "ACTIVE"


def test_berlin_digests_first_upload_unchanged_reupload_and_a_new_outage(
    fresh_stack: LocalStackProcess, tmp_path: Path
) -> None:
    # Given an empty Berlin, when the lab's Berlin file is uploaded (Echo Plus at 0)
    upload(fresh_stack, "inventory-berlin.csv", lab_file("berlin"))
    # Then exactly one digest arrives, and it names Echo Plus only, filterable by every severity in it
    first = digests(fresh_stack, "Berlin", expect=1)
    assert len(first) == 1, [d["Message"] for d in first]
    assert named_items(first[0]) == {"Echo Plus"}
    assert first[0]["MessageAttributes"]["severities"] == {"Type": "String.Array", "Value": '["out"]'}
    # And the console shows it as an email
    assert "Echo Plus" in fresh_stack.console().split("Subject:", 1)[-1]

    # When the same file is uploaded again, unchanged, then no digest arrives
    upload(fresh_stack, "inventory-berlin-again.csv", lab_file("berlin"))
    assert digests(fresh_stack, "Berlin") == []

    # When Berlin reports Echo Dot at 0 (Echo Plus still 0), then one digest names Echo Dot only
    upload(fresh_stack, "inventory-berlin-dot-out.csv", lab_file("berlin").replace(b"Echo Dot,12", b"Echo Dot,0"))
    third = digests(fresh_stack, "Berlin", expect=1)
    assert len(third) == 1, [d["Message"] for d in third]
    assert named_items(third[0]) == {"Echo Dot"}


def test_history_rows_record_each_count_change(fresh_stack: LocalStackProcess) -> None:
    upload(fresh_stack, "history-springfield.csv", b"store,item,count\nHistoryville,Echo Dot,7\n")
    upload(fresh_stack, "history-springfield-2.csv", b"store,item,count\nHistoryville,Echo Dot,4\n")
    dynamodb = fresh_stack.client("dynamodb")

    def two_rows() -> list[tuple[str, str]]:
        rows = dynamodb.query(
            TableName=fresh_stack.info["history_table"],
            KeyConditionExpression="StoreItem = :k",
            ExpressionAttributeValues={":k": {"S": history_key("Historyville", "Echo Dot")}},
        )["Items"]
        counts = sorted((row.get("OldCount", {}).get("N", ""), row["NewCount"]["N"]) for row in rows)
        return counts if len(counts) == 2 else []

    assert wait_for(two_rows, "two History rows", fresh_stack) == sorted([("", "7"), ("7", "4")])


def operations(stack: LocalStackProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """``make recount`` / ``make replay`` against this stack (the module the targets run)."""
    environment = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "services" / "alerts"), str(REPO / "shared")])
    )
    return subprocess.run(
        [sys.executable, "-m", "alerts.operations", *args, "--local", "--stack-json", str(stack.stack_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )


def test_recount_proves_the_stores_totals_against_the_table_and_replay_finds_nothing_waiting(
    fresh_stack: LocalStackProcess,
) -> None:
    # Given a store's file, loaded and its changes through the stream (a digest arrived)
    upload(fresh_stack, "recount-lyon.csv", b"store,item,count\nLyon,Echo Dot,0\nLyon,Echo Show,3\nLyon,Tap,40\n")
    assert len(digests(fresh_stack, "Lyon", expect=1)) == 1

    # When the totals are recounted (no settle time: the stream has caught up)
    first = operations(fresh_stack, "recount", "--store", "Lyon", "--settle-minutes", "0")

    # Then the Stores row holds exactly what the Inventory table implies, and a second run agrees
    assert first.returncode == 0, first.stdout + first.stderr
    row = fresh_stack.client("dynamodb").get_item(
        TableName=fresh_stack.info["stores_table"], Key={"Store": {"S": "Lyon"}}
    )["Item"]
    assert (row["Items"]["N"], row["Out"]["N"], row["Low"]["N"]) == ("3", "1", "1")
    second = operations(fresh_stack, "recount", "--store", "Lyon", "--settle-minutes", "0", "--dry-run")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Lyon" in second.stdout
    assert "matched" in second.stdout

    # And nothing waits for replay
    waiting = operations(fresh_stack, "replay", "--list")
    assert waiting.returncode == 0, waiting.stdout + waiting.stderr
    assert "0 record(s) wait for replay" in waiting.stdout
