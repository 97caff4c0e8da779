"""Ingest reads a store's items once a load with a Query (see ``ingest.logic.loader``), and stays exact under
races: a newer upload landing after the Query still wins, an older one is treated as it was with a read by
key, an item named twice reads what its first row landed, a new load reads afresh, and a Query that pages or
fails behaves as a read by key does.

Faults are injected with botocore event hooks on the clients the real handler builds, as in test_faults.py;
a ``before-call`` hook that answers with an error stands for AWS's answer once botocore's retries were spent.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from ingest.models.errors import RetryLater
from inventory.uploads import store_prefix

from tests.builders import csv_file
from tests.integration.ingest.conftest import TABLE, IngestWorld, aws_error
from tests.integration.ingest.test_faults import count_calls

pytestmark = pytest.mark.integration

BERLIN = store_prefix("Berlin")
SUNDAY, MONDAY, TUESDAY = "2026-11-22T09:00:00.000Z", "2026-11-23T09:00:00.000Z", "2026-11-24T09:00:00.000Z"


def stock(counts: dict[str, int]) -> bytes:
    return csv_file([("Berlin", item, count) for item, count in counts.items()])


def numbered(count: int, plus: int = 0) -> dict[str, int]:
    return {f"Item {n:04d}": n % 40 + plus for n in range(count)}


def inventory_reads(world: IngestWorld) -> dict[str, list[dict[str, Any]]]:
    """The Inventory table's Query and BatchGetItem calls from now on (the Stores table's are left out)."""
    return {
        "Query": count_calls(world, "dynamodb.Query", lambda params: params["TableName"] == TABLE),
        "BatchGetItem": count_calls(world, "dynamodb.BatchGetItem", lambda params: TABLE in params["RequestItems"]),
    }


def put_item(world: IngestWorld, item: str, count: int, source_time: str, key: str) -> None:
    """Another upload's write landing on an item (as its conditional update would leave it)."""
    world.dynamodb.put_item(
        TableName=TABLE,
        Item={
            "Store": {"S": "Berlin"},
            "Item": {"S": item},
            "Count": {"N": str(count)},
            "UpdatedAt": {"S": source_time},
            "SourceTime": {"S": source_time},
            "SourceKey": {"S": key},
            "SourceLine": {"N": "2"},
        },
    )


def after_the_query(world: IngestWorld, land: Any) -> None:
    """Run ``land`` once, after the first Query of the Inventory table has been answered."""
    done = threading.Event()

    def landing(params: dict[str, Any] | None = None, **_: Any) -> None:
        if not done.is_set():
            done.set()
            land()

    world.hook("after-call.dynamodb.Query", landing)


def test_a_stores_first_load_costs_one_query_and_no_read_by_key(world: IngestWorld) -> None:
    # Given a store with no items yet, and its 1,000-row file (ten batches, over four lanes at once)
    reads = inventory_reads(world)

    # When it is loaded
    world.upload(BERLIN + "a/stock.csv", stock(numbered(1_000)))

    # Then the store was read once, by one Query, and never by key
    assert len(reads["Query"]) == 1
    assert reads["BatchGetItem"] == []
    assert world.report(BERLIN + "a/stock.csv")["rows"]["written"] == 1_000
    assert world.counts("Berlin") == numbered(1_000)


def test_a_settled_stores_next_file_reads_it_once_and_writes_only_what_changed(world: IngestWorld) -> None:
    world.upload(BERLIN + "a/stock.csv", stock(numbered(1_000)), event_time=SUNDAY)
    reads = inventory_reads(world)
    writes = count_calls(world, "dynamodb.TransactWriteItems")
    changed = numbered(1_000) | {"Item 0007": 99, "Item 0500": 0}

    world.upload(BERLIN + "b/stock.csv", stock(changed), event_time=MONDAY)

    assert (len(reads["Query"]), reads["BatchGetItem"]) == (1, [])
    assert sum(len(call["TransactItems"]) - 1 for call in writes) == 2  # each with the fence
    rows = world.report(BERLIN + "b/stock.csv")["rows"]
    assert (rows["written"], rows["unchanged"]) == (2, 998)
    assert world.counts("Berlin") == changed


def test_a_newer_upload_landing_after_the_query_still_wins(world: IngestWorld) -> None:
    # Given Sunday's counts (a = 5, b = 5), and Monday's file (a = 10, b = 5)
    world.upload(BERLIN + "a/stock.csv", stock({"a": 5, "b": 5}), event_time=SUNDAY)

    # When Tuesday's upload (a = 0, b = 0) lands after Monday's Query, before Monday writes
    after_the_query(
        world,
        lambda: [put_item(world, item, 0, TUESDAY, BERLIN + "c/stock.csv") for item in ("a", "b")],
    )
    world.upload(BERLIN + "b/stock.csv", stock({"a": 10, "b": 5}), event_time=MONDAY)

    # Then Monday's write of a is refused (stale), b was unchanged on what the Query saw: Tuesday's stand
    assert world.counts("Berlin") == {"a": 0, "b": 0}
    rows = world.report(BERLIN + "b/stock.csv")["rows"]
    assert (rows["written"], rows["stale"], rows["unchanged"]) == (0, 1, 1)


def test_an_older_upload_landing_after_the_query_loses_where_this_one_writes(world: IngestWorld) -> None:
    """An unchanged row is skipped on what the Query saw, as it was on what a read by key saw: the item keeps
    what an older upload set meanwhile, as when that upload lands just after this load."""
    world.upload(BERLIN + "a/stock.csv", stock({"a": 5, "b": 5}), event_time=SUNDAY)
    noon = "2026-11-23T08:00:00.000Z"  # after Sunday's, before Monday's

    after_the_query(world, lambda: [put_item(world, item, 7, noon, BERLIN + "n/stock.csv") for item in ("a", "b")])
    world.upload(BERLIN + "b/stock.csv", stock({"a": 10, "b": 5}), event_time=MONDAY)

    assert world.counts("Berlin") == {"a": 10, "b": 7}
    assert world.items("Berlin")["a"]["SourceTime"] == {"S": MONDAY}
    rows = world.report(BERLIN + "b/stock.csv")["rows"]
    assert (rows["written"], rows["stale"], rows["unchanged"]) == (1, 0, 1)


def test_an_item_named_twice_batches_apart_is_compared_with_what_its_first_row_landed(world: IngestWorld) -> None:
    # Given Echo Dot = 5 from Sunday, and a file naming it first as 9, then (1,000 rows later) as 5 again
    world.upload(BERLIN + "a/stock.csv", stock({"Echo Dot": 5}), event_time=SUNDAY)
    rows = [("Berlin", "Echo Dot", 9)] + [("Berlin", item, n) for item, n in numbered(1_000).items()]
    rows.append(("Berlin", "Echo Dot", 5))

    world.upload(BERLIN + "b/stock.csv", csv_file(rows), event_time=MONDAY)

    # Then the second row is compared with the first row's write (9), not with Sunday's 5: it is written
    assert world.counts("Berlin")["Echo Dot"] == 5
    assert world.items("Berlin")["Echo Dot"]["SourceLine"] == {"N": str(len(rows) + 1)}
    report = world.report(BERLIN + "b/stock.csv")["rows"]
    assert report["accepted"] == report["written"] + report["unchanged"] + report["duplicates"] == 1_002


def test_a_query_that_comes_in_pages_reads_every_page(world: IngestWorld) -> None:
    world.upload(BERLIN + "a/stock.csv", stock(numbered(1_000)), event_time=SUNDAY)
    reads = inventory_reads(world)

    def small_pages(params: dict[str, Any], **_: Any) -> None:
        params["Limit"] = min(params.get("Limit", 150), 150)

    world.hook("before-parameter-build.dynamodb.Query", small_pages)
    world.upload(BERLIN + "b/stock.csv", stock(numbered(1_000)), event_time=MONDAY)

    assert len(reads["Query"]) == 7  # 1,000 items, 150 a page
    assert all("ExclusiveStartKey" in call for call in reads["Query"][1:])
    assert reads["BatchGetItem"] == []
    rows = world.report(BERLIN + "b/stock.csv")["rows"]
    assert (rows["written"], rows["unchanged"]) == (0, 1_000)


def test_a_query_that_fails_after_the_retries_fails_the_load_as_a_failed_read_does_and_the_retry_reads_afresh(
    world: IngestWorld,
) -> None:
    # Given a settled store, and a table that refuses its next Query once botocore's retries are spent
    world.upload(BERLIN + "a/stock.csv", stock(numbered(300)), event_time=SUNDAY)
    key = BERLIN + "b/stock.csv"
    delivered = world.put(key, stock(numbered(300, plus=1)), event_time=MONDAY)
    state = {"on": True}

    def throttle(**_: Any) -> Any:
        return aws_error("ProvisionedThroughputExceededException") if state["on"] else None

    world.hook("before-call.dynamodb.Query", throttle)

    # When the file is delivered, the load fails and Lambda is asked to retry
    with pytest.raises(RetryLater):
        world.deliver(delivered)
    report = world.assert_consistent(key)
    assert report.status == "retrying"
    assert "Query" in (report.reason or "")
    assert "ProvisionedThroughputExceededException" in (report.reason or "")

    # When the throttling has passed by Lambda's retry, the retry reads the store afresh and ends exact
    state["on"] = False
    reads = inventory_reads(world)
    world.deliver(delivered)
    report = world.assert_consistent(key)
    assert report.status == "ok"
    assert len(reads["Query"]) == 1
    assert report.rows.written + report.rows.unchanged == 300
    assert world.counts("Berlin") == numbered(300, plus=1)


def test_a_store_with_more_items_than_allowed_is_given_up_on_having_read_no_more_than_one_past_it(
    world: IngestWorld,
) -> None:
    import boto3
    from ingest.dal.inventory import InventoryTable

    world.upload(BERLIN + "a/stock.csv", stock(numbered(500)))
    queries = count_calls(world, "dynamodb.Query")
    table = InventoryTable(boto3.client("dynamodb", region_name="us-east-1"), TABLE)

    assert table.items_up_to("Berlin", 120) is None
    assert [call["Limit"] for call in queries] == [121]  # a Query is billed on what it reads: no more than that
    assert len(table.items_up_to("Berlin", 500) or []) == 500
    assert table.items_up_to("Paris", 10) == []
    assert all(call["ConsistentRead"] for call in queries)
