"""Uploads that cannot do damage: a dry run plans a file before it is applied, a file that would empty a
store is held (``needs_confirmation``), and a person's decision (written on the row by the dashboard API's
own data access, as in production) is carried out by ingest: loaded, or discarded with nothing loaded."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_api.dal.uploads import UploadIndex
from inventory.uploads import CONFIRM, DISCARD, resume_event, store_prefix

from tests.builders import LambdaContext, csv_file
from tests.integration.ingest.conftest import BUCKET, STORES, UPLOADS, IngestWorld
from tests.integration.ingest.test_continuations import simulated_time

pytestmark = pytest.mark.integration

KEY = f"{store_prefix('Berlin')}20261207T190000Z-0123456789abcdef/stock.csv"
STOCK = [("Berlin", "Echo Dot", 12), ("Berlin", "Kindle", 9), ("Berlin", "Echo Show", 4), ("Berlin", "Fire TV", 6)]
#: A wrong column mapping: every count 0.
ZEROS = csv_file([(store, item, 0) for store, item, _ in STOCK])


def stocked(world: IngestWorld) -> None:
    """Berlin with four items in stock, and its totals as the alerts service keeps them."""
    world.upload("uploads/berlin.csv", csv_file(STOCK), event_time="2026-12-07T18:00:00.000Z")
    world.dynamodb.update_item(
        TableName=STORES,
        Key={"Store": {"S": "Berlin"}},
        UpdateExpression="SET #items = :n",
        ExpressionAttributeNames={"#items": "Items"},
        ExpressionAttributeValues={":n": {"N": "4"}},
    )


def from_dashboard(
    world: IngestWorld, body: bytes, *, dry_run: bool = False, key: str = KEY, full_list: bool = False
) -> dict[str, Any]:
    metadata = {"uploaded-by": "ravi"} | ({"mode": "dry-run"} if dry_run else {})
    metadata |= {"full-list": "true"} if full_list else {}
    world.upload(key, body, metadata=metadata, principal=world.api_principal)
    return world.report(key)


def decide(world: IngestWorld, decision: str, key: str = KEY) -> None:
    """What ``POST /uploads/confirm`` (or ``/discard``) does: the row, then ingest's own event."""
    version = world.latest(key).version
    assert UploadIndex(world.dynamodb, UPLOADS).decide(key, version, decision, "ravi")
    from ingest.handlers.upload import handler

    handler(resume_event(BUCKET, key, version), LambdaContext())


def test_a_dry_run_shows_what_the_file_would_change_and_loads_nothing(world: IngestWorld) -> None:
    stocked(world)
    body = csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Kindle", 9), ("Berlin", "Alexa Plug", 0)])

    report = from_dashboard(world, body, dry_run=True)

    assert report["status"] == "needs_confirmation"
    assert report["plan"] == {"changed": 2, "out_of_stock": 2, "retired": 0}
    assert report["rows"]["accepted"] == 3
    assert report["rows"]["written"] == 0
    assert report["reason"] == (
        "Dry run: it would change 2 items (2 newly out of stock, 0 retired); nothing was loaded."
        " Confirm the file to load it, or discard it."
    )
    assert world.counts("Berlin")["Echo Dot"] == 12
    assert "Alexa Plug" not in world.counts("Berlin")
    world.assert_consistent(KEY)
    row = world.index_row(KEY)
    assert "Held" in row
    assert row["Plan"]["M"]["out_of_stock"] == {"N": "2"}


def test_a_held_file_confirmed_is_loaded_and_keeps_its_plan(world: IngestWorld) -> None:
    stocked(world)
    from_dashboard(world, ZEROS, dry_run=True)

    decide(world, CONFIRM)

    report = world.assert_consistent(KEY)
    assert report.status == "ok"
    assert report.rows.written == 4
    assert report.reason is None
    assert report.plan is not None
    assert report.plan.out_of_stock == 4
    assert set(world.counts("Berlin").values()) == {0}
    row = world.index_row(KEY)
    assert "Held" not in row
    assert row["DecidedBy"] == {"S": "ravi"}
    # A late duplicate of the S3 event changes nothing
    world.deliver(world.latest(KEY))
    assert world.report(KEY)["status"] == "ok"


def test_a_held_file_discarded_loads_nothing(world: IngestWorld) -> None:
    stocked(world)
    from_dashboard(world, ZEROS)  # no dry run asked for: held because it would empty Berlin

    decide(world, DISCARD)

    report = world.assert_consistent(KEY)
    assert report.status == "discarded"
    assert report.reason == "Discarded by ravi: nothing was loaded."
    assert report.plan is not None
    assert report.plan.out_of_stock == 4
    assert world.counts("Berlin")["Echo Dot"] == 12
    assert "Held" not in world.index_row(KEY)
    assert world.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == ZEROS  # the file is kept


def test_a_dashboard_file_that_would_empty_a_store_is_held_and_a_safe_one_applied(world: IngestWorld) -> None:
    stocked(world)

    risky = from_dashboard(world, ZEROS)
    safe_key = KEY.replace("stock.csv", "one.csv")
    safe = from_dashboard(world, csv_file([("Berlin", "Echo Dot", 0), ("Berlin", "Kindle", 8)]), key=safe_key)

    assert risky["status"] == "needs_confirmation"
    assert risky["reason"] == (
        "It would change 4 items (4 newly out of stock, 0 retired); nothing was loaded. Confirm the file to load it,"
        " or discard it. It would put 4 of Berlin's 4 items out of stock (more than 50%)."
    )
    assert safe["status"] == "ok"
    assert safe["plan"] == {"changed": 2, "out_of_stock": 1, "retired": 0}
    assert safe["rows"]["written"] == 2
    assert world.counts("Berlin") == {"Echo Dot": 0, "Kindle": 8, "Echo Show": 4, "Fire TV": 6}
    world.assert_consistent(safe_key)


def test_files_from_scripts_follow_the_stage_setting(world: IngestWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    stocked(world)
    world.upload(KEY, ZEROS)  # an operator's file: not planned by default
    assert world.report(KEY)["status"] == "ok"
    assert world.report(KEY)["plan"] is None

    monkeypatch.setenv("HOLD_SCRIPT_UPLOADS", "true")
    from ingest.handlers.upload import ingestor

    ingestor.cache_clear()
    ingestor().invoker = world.invoker
    restock = KEY.replace("stock.csv", "restock.csv")
    world.upload(restock, csv_file(STOCK))
    world.upload(KEY, ZEROS)

    assert world.report(restock)["status"] == "ok"
    assert world.report(KEY)["status"] == "needs_confirmation"
    assert world.counts("Berlin")["Echo Dot"] == 12


def test_a_held_file_is_decided_once(world: IngestWorld) -> None:
    stocked(world)
    from_dashboard(world, ZEROS, dry_run=True)
    decide(world, DISCARD)

    assert not UploadIndex(world.dynamodb, UPLOADS).decide(KEY, world.latest(KEY).version, CONFIRM, "head-office")
    assert world.report(KEY)["status"] == "discarded"


def test_a_dry_run_and_the_confirmed_load_each_span_invocations(world: IngestWorld) -> None:
    # Given a 250-row store file and a function that may read 100 rows before its time runs short
    context = simulated_time()
    body = csv_file([("Berlin", f"Item {n}", n % 50) for n in range(250)])
    world.put(KEY, body, metadata={"uploaded-by": "ravi", "mode": "dry-run"}, principal=world.api_principal)

    # When the dry run runs, in parts
    world.deliver(world.latest(KEY), context=context())
    assert world.report(KEY)["status"] == "loading"
    assert world.carry_on(context) == 2

    # Then it is held with the plan of the whole file, and nothing was written
    held = world.assert_consistent(KEY)
    assert held.status == "needs_confirmation"
    assert held.plan is not None
    assert (held.plan.changed, held.plan.out_of_stock) == (250, 5)
    assert world.items("Berlin") == {}

    # When it is confirmed, and the load runs in parts too
    version = world.latest(KEY).version
    assert UploadIndex(world.dynamodb, UPLOADS).decide(KEY, version, CONFIRM, "ravi")
    from ingest.handlers.upload import handler

    handler(resume_event(BUCKET, KEY, version), context())
    assert world.carry_on(context) == 2

    # Then one exact report covers the load, with the dry run's plan
    report = world.assert_consistent(KEY)
    assert report.status == "ok"
    assert (report.rows.read, report.rows.written) == (250, 250)
    assert report.plan == held.plan
    assert len(world.items("Berlin")) == 250


def test_a_decision_waits_until_the_held_report_is_written(world: IngestWorld) -> None:
    """Between the row turning held (the commit point) and its report being written, the row still holds
    its checkpoint: a decision then would be lost to that report's write, so it is refused (409)."""
    stocked(world)
    from_dashboard(world, ZEROS, dry_run=True)
    version = world.latest(KEY).version
    world.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": {"S": KEY}, "Version": {"S": version}},
        UpdateExpression="SET #checkpoint = :bytes",
        ExpressionAttributeNames={"#checkpoint": "Checkpoint"},
        ExpressionAttributeValues={":bytes": {"B": b"unfinished"}},
    )

    assert not UploadIndex(world.dynamodb, UPLOADS).decide(KEY, version, CONFIRM, "ravi")


def test_a_dry_run_of_a_full_list_counts_what_it_would_retire(world: IngestWorld) -> None:
    stocked(world)

    report = from_dashboard(world, csv_file([("Berlin", "Echo Dot", 12)]), dry_run=True, full_list=True)

    assert report["status"] == "needs_confirmation"
    assert report["plan"] == {"changed": 0, "out_of_stock": 0, "retired": 3}
    assert "It would retire 3 of Berlin's 4 items (more than 50%)." in report["reason"]
    assert len(world.counts("Berlin")) == 4
    decide(world, CONFIRM)
    assert world.report(KEY)["rows"]["retired"] == 3
