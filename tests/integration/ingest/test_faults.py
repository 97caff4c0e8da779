"""Fault injection: races, throttling past the retries, a failed report write, duplicate and late events,
malformed stored items. Each scenario ends with the table, the reports and the uploads index consistent.

Faults are injected with botocore event hooks on the clients the real handler builds (see
``IngestWorld.hook``); moto answers everything else. A ``before-call`` hook that answers with an
error stands for AWS's answer once botocore's retries were spent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ingest.models.errors import RetryLater
from ingest.models.writes import READ_BATCH_SIZE
from inventory.uploads import store_prefix

from tests.builders import LambdaContext, csv_file
from tests.integration.ingest.conftest import UPLOADS, Delivered, IngestWorld, aws_error

pytestmark = pytest.mark.integration

BERLIN = store_prefix("Berlin")


def numbered_rows(count: int) -> bytes:
    return csv_file([("Berlin", f"Item {n:04d}", n % 40) for n in range(count)])


def count_calls(world: IngestWorld, event: str, where: Any = None) -> list[dict[str, Any]]:
    """Record the parameters of every call matching ``event`` (and ``where(params)``, if given)."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if where is None or where(params):
            calls.append(params)

    world.hook(f"before-parameter-build.{event}", record)
    return calls


# -- racing uploads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("first_writer", ["A", "B"])
def test_racing_uploads_of_one_store_end_at_the_newer_count_whatever_order_they_write_in(
    world: IngestWorld, first_writer: str
) -> None:
    # Given A (09:00, Echo Dot = 10) and B (09:05, Echo Dot = 0) for Berlin, both reading the
    # item before either writes, and their writes arriving in the order given
    a = world.put(BERLIN + "a/stock.csv", csv_file([("Berlin", "Echo Dot", 10)]), event_time="2026-11-22T09:00:00.000Z")
    b = world.put(BERLIN + "b/stock.csv", csv_file([("Berlin", "Echo Dot", 0)]), event_time="2026-11-22T09:05:00.000Z")
    first_key = (a if first_writer == "A" else b).key
    both_read = threading.Barrier(2)
    first_landed = threading.Event()
    writer = threading.local()

    def before_write(params: dict[str, Any], **_: Any) -> None:
        writer.key = params["TransactItems"][0]["Update"]["ExpressionAttributeValues"][":key"]["S"]
        both_read.wait(timeout=30)
        if writer.key != first_key:
            first_landed.wait(timeout=30)

    def after_write(**_: Any) -> None:
        if writer.key == first_key:
            first_landed.set()

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", before_write)
    world.hook("after-call.dynamodb.TransactWriteItems", after_write)

    # When both run at once
    failures: list[BaseException] = []

    def run(delivered: Any) -> None:
        try:
            world.deliver(delivered, context=LambdaContext(request_id=delivered.key))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(delivered,)) for delivered in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then the item holds B's count and B's source, and each report says what became of its row
    assert failures == []
    assert world.counts("Berlin") == {"Echo Dot": 0}
    assert world.items("Berlin")["Echo Dot"]["SourceKey"] == {"S": b.key}
    report_a, report_b = world.assert_consistent(a.key), world.assert_consistent(b.key)
    assert report_b.rows.written == 1
    if first_writer == "B":
        assert (report_a.rows.written, report_a.rows.stale) == (0, 1)  # its condition failed
    else:
        assert (report_a.rows.written, report_a.rows.stale) == (1, 0)  # landed, then B's replaced it


# -- throttling past the retries ------------------------------------------------------------------


def throttle_writes_after(world: IngestWorld, landed_batches: int) -> dict[str, int]:
    """Let ``landed_batches`` transactions through, then throttle every write until ``state["on"]`` is 0."""
    state = {"seen": 0, "on": 1}
    lock = threading.Lock()

    def throttle(**_: Any) -> Any:
        with lock:
            state["seen"] += 1
            if state["on"] and state["seen"] > landed_batches:
                return aws_error("ProvisionedThroughputExceededException")
        return None

    world.hook("before-call.dynamodb.TransactWriteItems", throttle)
    return state


def test_throttling_past_the_retries_keeps_the_tallies_and_lambdas_retry_finishes_the_job(world: IngestWorld) -> None:
    # Given a table that takes four batches of a 1,000-row file, then stays throttled
    key = BERLIN + "g/stock.csv"
    delivered = world.put(key, numbered_rows(1_000))
    state = throttle_writes_after(world, landed_batches=4)

    # When the file is delivered, Lambda is asked to retry and the report says so, with what landed
    with pytest.raises(RetryLater):
        world.deliver(delivered)
    report = world.assert_consistent(key)
    assert report.status == "retrying"
    assert "ProvisionedThroughputExceededException" in (report.reason or "")
    assert "Attempt 1 of 3 failed; Lambda will try again" in (report.reason or "")
    assert report.rows.written == len(world.counts("Berlin")) == 4 * READ_BATCH_SIZE

    # When the throttling has passed by Lambda's retry (same invocation, second attempt)
    state["on"] = 0
    world.deliver(delivered)

    # Then the table matches the file, and the tallies count each row once
    report = world.assert_consistent(key)
    assert report.status == "ok"
    assert report.rows.to_json() == {
        "read": 1000, "accepted": 1000, "rejected": 0, "written": 1000, "unchanged": 0, "stale": 0, "duplicates": 0,
        "retired": 0,
    }  # fmt: skip
    assert world.counts("Berlin") == {f"Item {n:04d}": n % 40 for n in range(1_000)}


def test_after_the_last_retry_the_report_says_failed_and_never_that_it_will_be_retried(world: IngestWorld) -> None:
    key = BERLIN + "g/stock.csv"
    delivered = world.put(key, numbered_rows(1_000))
    throttle_writes_after(world, landed_batches=4)

    for attempt in (1, 2, 3):
        with pytest.raises(RetryLater):
            world.deliver(delivered)
        assert world.report(key)["status"] == ("retrying" if attempt < 3 else "failed")

    report = world.assert_consistent(key)
    assert "Gave up after 3 attempts" in (report.reason or "")
    assert "will try again" not in (report.reason or "")
    assert report.rows.written == len(world.counts("Berlin")) == 4 * READ_BATCH_SIZE
    assert report.finished_at


def test_a_different_request_for_the_same_upload_counts_its_attempts_afresh(world: IngestWorld) -> None:
    key = BERLIN + "g/stock.csv"
    delivered = world.put(key, numbered_rows(300))
    throttle_writes_after(world, landed_batches=0)
    for _ in range(2):
        with pytest.raises(RetryLater):
            world.deliver(delivered)

    hold(world, key, delivered.version, seconds=-1)  # the failed attempt's lease has run out

    with pytest.raises(RetryLater):
        world.deliver(delivered, context=LambdaContext(request_id="a duplicate S3 event"))

    assert "Attempt 1 of 3" in world.report(key)["reason"]


# -- the report cannot be written -----------------------------------------------------------------


def test_a_report_that_cannot_be_written_is_written_by_the_retry_without_reading_the_file_again(
    world: IngestWorld,
) -> None:
    key = "uploads/berlin.csv"
    delivered = world.put(key, numbered_rows(250))
    refused = {"left": 1}

    def refuse_reports(params: dict[str, Any], **_: Any) -> Any:
        if "/reports/" in params["url_path"] and refused["left"]:  # the serialized request
            refused["left"] -= 1
            return aws_error("InternalError", 500)
        return None

    world.hook("before-call.s3.PutObject", refuse_reports)
    reads = count_calls(world, "s3.GetObject", lambda params: params["Key"] == key)

    # When the file loads but S3 refuses its report
    with pytest.raises(RetryLater):
        world.deliver(delivered)

    # Then the index row, the commit point, says what became of the file, and Lambda's retry
    # writes the report from it
    row = world.entry(key)
    assert row.status == "ok"
    assert row.rows.written == 250
    assert world.reports() == []
    world.deliver(delivered)
    report = world.assert_consistent(key)
    assert report.status == "ok"
    assert report.rows.written == 250
    assert len(reads) == 1  # the retry did not read the file again


# -- duplicate and late events --------------------------------------------------------------------


def test_a_duplicate_event_of_a_finished_upload_is_skipped_without_reading_the_file(world: IngestWorld) -> None:
    key = "uploads/berlin.csv"
    delivered = world.put(key, numbered_rows(20))
    world.deliver(delivered)
    first = world.report(key)
    reads = count_calls(world, "s3.GetObject", lambda params: params["Key"] == key)

    result = world.deliver(delivered, context=LambdaContext(request_id="the same event, again"))

    assert result == {"files": [{"key": key, "skipped": "already ok: a duplicate event"}]}
    assert reads == []
    assert world.report(key) == first
    world.assert_consistent(key)


def test_a_late_event_of_an_older_version_never_replaces_the_newer_versions_report_or_counts(
    world: IngestWorld,
) -> None:
    key = "uploads/berlin.csv"
    v1 = world.put(key, csv_file([("Berlin", "Echo Dot", 1), ("Berlin", "Echo Show", "x")]), "2026-11-22T09:00:00.000Z")
    v2 = world.put(key, csv_file([("Berlin", "Echo Dot", 2)]), "2026-11-22T09:05:00.000Z")
    world.deliver(v2)
    report_v2 = world.report(key, v2)

    world.deliver(v1)  # S3 delivered version 1's event last

    assert world.report(key, v2) == report_v2
    assert world.counts("Berlin") == {"Echo Dot": 2}
    report_v1 = world.assert_consistent(key, v1)
    assert report_v1.rows.stale == 1
    assert report_v1.errors[0].line == 3
    world.assert_consistent(key, v2)
    assert len(world.reports()) == 2


def hold(world: IngestWorld, key: str, version: str, seconds: float) -> None:
    """Another invocation holds the upload (its lease runs ``seconds`` more)."""
    world.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": {"S": key}, "Version": {"S": version}},
        UpdateExpression="SET LeaseUntil = :until, #owner = :other",
        ExpressionAttributeNames={"#owner": "Owner"},
        ExpressionAttributeValues={":until": {"N": repr(time.time() + seconds)}, ":other": {"S": "another"}},
    )


def test_an_event_for_an_upload_another_request_is_loading_stands_down_at_once(world: IngestWorld) -> None:
    # Given a load that hands over after 100 rows, and another invocation holding the rest
    key = "uploads/head-office.csv"
    delivered = world.put(key, numbered_rows(250))
    world.deliver(delivered, context=context_with_short_time())
    hold(world, key, delivered.version, seconds=60)
    reads = count_calls(world, "s3.GetObject", lambda params: params["Key"] == key)

    # When a duplicate event arrives, it stands down without waiting (no billed sleep) and without failing
    started = time.monotonic()
    result = world.deliver(delivered, context=LambdaContext(request_id="duplicate"))

    assert result == {"files": [{"key": key, "skipped": "another invocation is loading it"}]}
    assert time.monotonic() - started < 5
    assert reads == []
    assert world.report(key)["status"] == "loading"


def test_an_upload_whose_holder_died_is_taken_over_from_its_checkpoint_once_its_lease_ran_out(
    world: IngestWorld,
) -> None:
    # Given a load that hands over after 100 rows to a continuation that then died holding it
    key = "uploads/head-office.csv"
    delivered = world.put(key, numbered_rows(250))
    world.deliver(delivered, context=context_with_short_time())
    hold(world, key, delivered.version, seconds=-1)  # its lease has run out
    world.invoker.events.clear()
    reads = count_calls(world, "s3.GetObject", lambda params: params["Key"] == key)

    # When a duplicate event comes
    world.deliver(delivered, context=LambdaContext(request_id="duplicate"))

    # Then it takes over where the checkpoint says and finishes the file, exactly
    assert reads[0].get("Range", "").startswith("bytes=")
    report = world.assert_consistent(key)
    assert report.status == "ok"
    assert report.rows.written == len(world.counts("Berlin")) == 250


def test_lambdas_retry_of_a_killed_attempt_takes_its_lease_over_at_once(world: IngestWorld) -> None:
    # Given an attempt killed mid-file (a timeout): its lease still runs for minutes
    key = "uploads/head-office.csv"
    delivered = world.put(key, numbered_rows(250))
    world.deliver(delivered, context=context_with_short_time())
    world.invoker.events.clear()
    hold(world, key, delivered.version, seconds=170)

    # When Lambda retries that same request (it does so only once the attempt has ended)
    world.deliver(delivered)

    # Then the retry carries on at once rather than waiting the lease out
    report = world.assert_consistent(key)
    assert report.status == "ok"
    assert report.rows.written == len(world.counts("Berlin")) == 250


def context_with_short_time() -> LambdaContext:
    """A clock that runs short after 100 rows (see test_continuations.simulated_time)."""
    asked = iter(range(1, 10_000))
    return LambdaContext(lambda: max(0, 900_000 - 450_000 * next(asked)))


# -- malformed stored items -----------------------------------------------------------------------


def test_malformed_stored_items_count_as_no_prior_state_with_a_metric(
    world: IngestWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    table = "inventory-ingest-test-inventory"
    for item, attributes in {
        "Echo Dot": {"Count": {"S": "twelve"}, "SourceTime": {"S": "2026-01-01T00:00:00.000Z"}},
        "Echo Show": {"Count": {"N": "3"}},  # written before uploads had a source
        "Echo Plus": {"Count": {"N": "3"}, "Threshold": {"BOOL": True}, "SourceTime": {"N": "7"}},
    }.items():
        world.dynamodb.put_item(TableName=table, Item={"Store": {"S": "Berlin"}, "Item": {"S": item}, **attributes})

    world.upload(
        "uploads/berlin.csv",
        csv_file([("Berlin", "Echo Dot", 5), ("Berlin", "Echo Show", 3), ("Berlin", "Echo Plus", 3)]),
    )

    report = world.assert_consistent("uploads/berlin.csv")
    assert report.status == "ok"
    assert report.rows.written == 3
    assert world.counts("Berlin") == {"Echo Dot": 5, "Echo Show": 3, "Echo Plus": 3}
    assert '"UnreadableItems":[3.0]' in capsys.readouterr().out.replace(" ", "")


# -- the uploads index itself fails -----------------------------------------------------------------


def test_an_index_that_fails_before_the_upload_is_claimed_still_leaves_a_report_and_a_retry(
    world: IngestWorld,
) -> None:
    key = "uploads/berlin.csv"
    delivered = world.put(key, numbered_rows(20))
    outage = {"on": True}

    def index_down(params: dict[str, Any], **_: Any) -> Any:
        return aws_error("InternalServerError", 500) if outage["on"] else None

    world.hook("before-call.dynamodb.GetItem", index_down)

    with pytest.raises(RetryLater):
        world.deliver(delivered)
    report = world.report(key)
    assert report["status"] == "retrying"
    assert "could not be claimed" in report["reason"]
    assert world.counts("Berlin") == {}

    outage["on"] = False
    world.deliver(delivered)
    assert world.assert_consistent(key).status == "ok"


# -- fencing: an invocation presumed dead and taken over changes nothing -------------------------


def expire_lease(world: IngestWorld, key: str, version: str) -> None:
    """The holder's lease runs out (it went quiet for longer than the lease), its owner unchanged."""
    world.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": {"S": key}, "Version": {"S": version}},
        UpdateExpression="SET LeaseUntil = :past",
        ExpressionAttributeValues={":past": {"N": repr(time.time() - 1)}},
    )


@contextlib.contextmanager
def quiet_first_invocation(
    world: IngestWorld, delivered: Delivered, stalls: Callable[[dict[str, Any]], bool] = lambda _: True
) -> Iterator[dict[str, Any]]:
    """A first invocation of ``delivered`` goes quiet on its first transaction ``stalls`` picks, its lease run
    out (a zombie); the block runs meanwhile (a second delivery takes the upload over), then the first wakes
    and ends. Yields what the first returned (``result``) or raised (``error``), filled in once it ended."""
    stalled, woken = threading.Event(), threading.Event()
    zombie: dict[str, str] = {}

    def stall_the_first_owner(params: dict[str, Any], **_: Any) -> None:
        if not stalls(params):
            return
        owner = params["TransactItems"][-1]["ConditionCheck"]["ExpressionAttributeValues"][":owner"]["S"]
        zombie.setdefault("owner", owner)
        if owner == zombie["owner"]:
            stalled.set()
            woken.wait(timeout=60)

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", stall_the_first_owner)
    outcome: dict[str, Any] = {}

    def first_invocation() -> None:
        try:
            outcome["result"] = world.deliver(delivered, context=LambdaContext(request_id="first"))
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=first_invocation)
    thread.start()
    assert stalled.wait(timeout=60)
    expire_lease(world, delivered.key, delivered.version)
    try:
        yield outcome
    finally:
        woken.set()
        thread.join(timeout=60)


def test_a_zombie_invocation_woken_after_a_takeover_changes_no_item_report_or_index_row(world: IngestWorld) -> None:
    # Given a file naming Echo Dot twice (5 on line 2, 0 on its last line, batches apart), and a
    # first invocation that goes quiet on its first write, long enough for its lease to run out
    key = "uploads/head-office.csv"
    # (each of the 4 lanes gets about 150 rows: Echo Dot's first row goes in its lane's first full batch)
    rows = [("Berlin", "Echo Dot", 5)] + [("Berlin", f"Item {n:04d}", n % 40) for n in range(600)]
    rows.append(("Berlin", "Echo Dot", 0))
    delivered = world.put(key, csv_file(rows))

    # When a second delivery takes the upload over and loads it all, and only then the first wakes
    with quiet_first_invocation(world, delivered) as outcome:
        world.deliver(delivered, context=LambdaContext(request_id="second"))
        report_before, row_before = world.report(key), world.index_row(key)
        items_before = world.items("Berlin")

    # Then the first stood down without a write: items, report and index row are the second's
    assert outcome == {"result": {"files": [{"key": key, "skipped": "another invocation took the upload over"}]}}
    assert world.items("Berlin") == items_before  # not one attribute rewritten
    assert world.counts("Berlin") == {item: count for _, item, count in rows[1:]}
    assert world.report(key) == report_before
    assert world.index_row(key) == row_before
    report = world.assert_consistent(key)
    assert report.status == "ok"
    assert report.rows.written == 602  # Echo Dot twice, batches apart


def test_a_stale_row_of_the_same_upload_never_replaces_a_later_one(world: IngestWorld) -> None:
    """The line tie-break on its own (a write that got past its fence, say): the item keeps the later row."""
    from ingest.dal.inventory import InventoryTable
    from ingest.models.writes import ItemWrite
    from inventory.models import SourceVersion
    from inventory.table import StoredItem, to_attributes

    table = InventoryTable(world.dynamodb, "inventory-ingest-test-inventory")
    source = SourceVersion("2026-11-22T09:00:00.000Z", "uploads/berlin.csv", "00000000000000A1")

    def write(count: int, line: int) -> Any:
        stored = StoredItem("Berlin", "Echo Dot", count, None, "t", source)
        return table.write_many([ItemWrite(("Berlin", "Echo Dot"), to_attributes(stored, 5), source, line)], 60)

    write(0, line=9)
    outcome = write(5, line=2)

    assert list(outcome.lost) == [("Berlin", "Echo Dot")]
    assert world.counts("Berlin") == {"Echo Dot": 0}
    assert write(7, line=9).written == [("Berlin", "Echo Dot")]  # the same row again (a retry) lands


# -- the report and the index row agree, whichever of the two writes keeps failing ---------------


def test_a_report_write_that_keeps_failing_leaves_the_upload_committed_and_a_later_delivery_writes_its_report(
    world: IngestWorld,
) -> None:
    # Given S3 refusing every report write through Lambda's three attempts
    key = "uploads/berlin.csv"
    delivered = world.put(key, numbered_rows(50))
    outage = {"on": True}

    def refuse_reports(params: dict[str, Any], **_: Any) -> Any:
        return aws_error("InternalError", 500) if outage["on"] and "/reports/" in params["url_path"] else None

    world.hook("before-call.s3.PutObject", refuse_reports)
    reads = count_calls(world, "s3.GetObject", lambda params: params["Key"] == key)
    for _ in range(3):
        with pytest.raises(RetryLater):
            world.deliver(delivered)

    # Then the index row (the commit point) says the file loaded, all 50 rows; no report says otherwise
    entry = world.entry(key)
    assert (entry.status, entry.rows.written) == ("ok", 50)
    assert world.reports() == []

    # When S3 is back and the event comes again (make replay, or a duplicate, in another request)
    outage["on"] = False
    world.deliver(delivered, context=LambdaContext(request_id="replayed"))

    # Then the report is written from the row, without reading the file again, and they agree
    report = world.assert_consistent(key)
    assert (report.status, report.rows.written) == ("ok", 50)
    assert report.finished_at == entry.finished_at
    assert len(reads) == 1
    assert world.deliver(delivered, context=LambdaContext(request_id="again")) == {
        "files": [{"key": key, "skipped": "already ok: a duplicate event"}]
    }


def test_an_index_write_that_keeps_failing_never_leaves_a_report_saying_more_and_the_next_delivery_ends_consistent(
    world: IngestWorld,
) -> None:
    # Given the uploads index refusing every update (progress, the final summary, claims) for a while
    key = "uploads/berlin.csv"
    delivered = world.put(key, numbered_rows(50))
    outage = {"on": True}

    def refuse_index_updates(params: dict[str, Any], **_: Any) -> Any:
        table = json.loads(params["body"])["TableName"]  # the serialized request
        return aws_error("InternalServerError", 500) if outage["on"] and table == UPLOADS else None

    world.hook("before-call.dynamodb.UpdateItem", refuse_index_updates)
    said: list[str] = []  # the status of every report written, as it was written
    world.hook(
        "before-parameter-build.s3.PutObject",
        lambda params, **_: said.append(json.loads(params["Body"])["status"]) if "reports/" in params["Key"] else None,
    )
    for _ in range(3):
        with pytest.raises(RetryLater):
            world.deliver(delivered)

    # Then nothing said the file was done: the row is not final and no report written claimed an outcome
    assert world.entry(key).status == "loading"
    assert said == ["retrying", "retrying"]  # the retries that could not claim it (only the first landed)
    assert "could not be claimed" in world.report(key)["reason"]
    assert world.counts("Berlin") == {f"Item {n:04d}": n % 40 for n in range(50)}

    # When the index is back and the event comes again (make replay, minutes later: the lease has run out)
    outage["on"] = False
    expire_lease(world, key, delivered.version)
    world.deliver(delivered, context=LambdaContext(request_id="replayed"))

    # Then the report and the row agree, counting each row once
    report = world.assert_consistent(key)
    assert (report.status, report.rows.written, report.rows.stale) == ("ok", 50, 0)
