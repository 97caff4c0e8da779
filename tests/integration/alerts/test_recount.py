"""The recount: each store's totals proved against its items, drift repaired, never a change counted twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alerts.dal.clients import Clients
from alerts.dal.recount_progress import RecountProgress
from alerts.handlers.recount import build_daily_pass, build_recounter
from alerts.logic.recount import Recounter
from alerts.models.recount import Totals, Verdict
from alerts.models.recount_pass import RecountPass
from alerts.settings import RecountSettings
from inventory.models import iso_utc

from tests.builders import LambdaContext
from tests.integration.alerts.conftest import PROGRESS, STORES, AlertsWorld, minutes_ago

pytestmark = pytest.mark.integration


def recounter(*, repair: bool = True, later: timedelta = timedelta(0)) -> Recounter:
    """The recount as the scheduled function builds it; ``later`` moves its clock forward."""
    return build_recounter(
        RecountSettings.from_env(), Clients(), repair=repair, clock=lambda: datetime.now(UTC) + later
    )


def test_drift_is_found_repaired_and_reported_as_a_metric(world: AlertsWorld):
    from alerts.handlers.recount import handler

    for item, count in [("Echo Dot", 12), ("Echo Plus", 0), ("Echo Look", 3)]:
        world.put("Berlin", item, count)
    world.put("Paris", "Tap", 9)
    world.deliver()
    assert world.totals("Berlin") == (3, 1, 1)
    # Totals written before the stream kept them, or a lost record, left the row wrong.
    world.set_totals("Berlin", 500, 0, 7, "2026-11-22T03:00:00.000Z")

    summary = handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())

    assert world.totals("Berlin") == (3, 1, 1)
    assert world.totals("Paris") == (1, 0, 0)
    assert summary["stores"] == {"repaired": 1, "matched": 1}
    assert summary["drift"] == {"items": 497, "out": 1, "low": 6}
    assert summary["pass"]["after"] == "Paris"  # the day's pass is done
    assert summary["pass"]["finished"] is not None


def test_a_dry_run_reports_drift_and_writes_nothing(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    world.deliver()
    world.set_totals("Berlin", 4, 0, 0, "2026-11-22T03:00:00.000Z")

    (result,) = recounter(repair=False).recount_all()

    assert (result.verdict, result.found, result.counted) == (Verdict.DRIFT, Totals(4, 0, 0), Totals(1, 1, 0))
    assert result.drift == Totals(-3, 1, 0)
    assert world.totals("Berlin") == (4, 0, 0)


def test_a_store_without_a_row_gets_one_and_a_row_without_items_goes_to_zero(world: AlertsWorld):
    world.put("Lyon", "Echo Dot", 2)  # its record lost: never delivered
    world.new_records()
    world.set_totals("Gone", 3, 1, 1, "2026-11-22T03:00:00.000Z")

    results = {result.store: result.verdict for result in recounter().recount_all(["Lyon", "Gone"])}

    assert results == {"Lyon": Verdict.REPAIRED, "Gone": Verdict.REPAIRED}
    assert world.totals("Lyon") == (1, 0, 1)
    assert world.totals("Gone") == (0, 0, 0)


def test_unreadable_items_are_not_counted_and_are_reported(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", "lots", count_type="S")
    world.deliver()

    (result,) = recounter().recount_all(["Berlin"])

    assert (result.verdict, result.unreadable) == (Verdict.MATCHED, 1)


def test_a_store_changed_in_the_last_minutes_is_left_alone(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0, updated_at=minutes_ago(2))  # still on its way through the stream
    world.set_totals("Berlin", 0, 0, 0, "2026-11-22T03:00:00.000Z")

    (result,) = recounter().recount_all(["Berlin"])

    assert result.verdict is Verdict.BUSY
    assert "changed in the last 10 minutes" in result.reason
    assert world.totals("Berlin") == (0, 0, 0)


def test_a_change_the_stream_has_not_applied_yet_is_counted_once_by_the_recount_and_not_again_by_the_stream(
    world: AlertsWorld,
):
    world.put("Berlin", "Echo Dot", 12, updated_at=minutes_ago(90))
    world.deliver()
    # Echo Plus ran out 30 minutes ago (past the settle window), but the stream consumer is
    # behind: its record is not applied yet.
    world.put("Berlin", "Echo Plus", 0, updated_at=minutes_ago(30))
    pending = world.new_records()

    (result,) = recounter().recount_all(["Berlin"])
    assert result.verdict is Verdict.REPAIRED
    assert world.totals("Berlin") == (2, 1, 0)

    assert world.deliver(pending) == {"batchItemFailures": []}  # the stream catches up: counted already
    assert world.totals("Berlin") == (2, 1, 0)
    assert len(world.history("Berlin", "Echo Plus")) == 1  # recorded all the same
    (result,) = recounter().recount_all(["Berlin"])
    assert result.verdict is Verdict.MATCHED


def test_a_threshold_only_change_does_not_keep_the_store_from_its_recount(world: AlertsWorld):
    world.put("Berlin", "Echo Dot", 12, updated_at=minutes_ago(90))
    world.deliver()
    # The threshold moves, the status does not: nothing to record in History.
    world.put("Berlin", "Echo Dot", 12, threshold=6, updated_at=minutes_ago(30))
    assert world.deliver() == {"batchItemFailures": []}
    assert len(world.history("Berlin", "Echo Dot")) == 1
    world.set_totals("Berlin", 5, 0, 0, minutes_ago(60))  # drift to repair

    (result,) = recounter().recount_all(["Berlin"])

    assert result.verdict is Verdict.REPAIRED
    assert world.totals("Berlin") == (1, 0, 0)


def test_a_change_applied_while_the_store_is_counted_is_not_overwritten_nor_counted_twice(world: AlertsWorld):
    world.put("Berlin", "Echo Dot", 12, updated_at=minutes_ago(90))
    world.put("Berlin", "Echo Show", 20, updated_at=minutes_ago(90))
    world.deliver()
    world.set_totals("Berlin", 7, 0, 0, minutes_ago(60))  # drift to repair

    def meanwhile(params: dict[str, Any], **_: Any) -> None:
        # Between the recount's read and its repair, Echo Show runs out and the stream applies it.
        if params.get("TableName") == STORES and not meanwhile.done:  # type: ignore[attr-defined]
            meanwhile.done = True  # type: ignore[attr-defined]
            world.put("Berlin", "Echo Show", 0, updated_at=minutes_ago(0))
            world.deliver()

    meanwhile.done = False  # type: ignore[attr-defined]
    world.hook("before-parameter-build.dynamodb.UpdateItem", meanwhile)

    (result,) = recounter().recount_all(["Berlin"])

    assert result.verdict is Verdict.CHANGED  # the repair was refused: the row is not what was read
    assert world.totals("Berlin") == (7, 1, 0)  # the stream's change kept, the old drift still there
    # The next run, once the store is quiet, repairs it with the change counted once.
    (result,) = recounter(later=timedelta(minutes=30)).recount_all(["Berlin"])
    assert result.verdict is Verdict.REPAIRED
    assert world.totals("Berlin") == (2, 1, 0)


def test_a_store_with_failed_records_waiting_for_replay_is_left_alone(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0, updated_at=minutes_ago(90))
    world.new_records()  # failed every retry ...
    world.dynamodb.put_item(  # ... and saved by the archiver
        TableName="inventory-alerts-test-failed-records",
        Item={"Store": {"S": "Berlin"}, "Sequence": {"S": "1".zfill(40)}, "Record": {"S": "{}"}},
    )

    (result,) = recounter().recount_all(["Berlin"])

    assert result.verdict is Verdict.BUSY
    assert "make replay" in result.reason
    assert world.totals("Berlin") == (0, 0, 0)


# --- the daily pass: scheduled runs that continue where the last one stopped -----------------

FIRST_RUN = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)  # the items below changed days before
TIMEOUT = timedelta(minutes=15)


def run_at(later: timedelta, stores: int = 100, owner: str = "") -> list[str]:
    """A scheduled run started ``later`` than the first, with time for ``stores`` stores; what it recounted."""
    left = iter(range(stores))
    run = build_daily_pass(RecountSettings.from_env(), Clients(), clock=lambda: FIRST_RUN + later).run(
        owner or f"run at {later}", FIRST_RUN + later + TIMEOUT, keep_going=lambda: next(left, None) is not None
    )
    return [result.store for result in run.results]


def test_each_run_continues_after_the_last_runs_store_and_the_next_day_starts_again_from_the_first(
    world: AlertsWorld,
):
    for store in ["Rome", "Berlin", "Paris", "Lyon", "Madrid"]:
        world.put(store, "Echo Dot", 12)
    world.deliver()
    world.set_totals("Rome", 9, 0, 0, "2026-11-22T03:00:00.000Z")  # drift in the last store

    assert run_at(timedelta(0), stores=2) == ["Berlin", "Lyon"]
    assert run_at(timedelta(hours=1), stores=2) == ["Madrid", "Paris"]
    assert world.totals("Rome") == (9, 0, 0)
    assert run_at(timedelta(hours=2), stores=2) == ["Rome"]
    assert world.totals("Rome") == (1, 0, 0)
    assert run_at(timedelta(hours=3), stores=2) == []  # the day's pass is done
    assert run_at(timedelta(days=1), stores=2) == ["Berlin", "Lyon"]


def test_a_run_while_another_holds_the_pass_does_nothing_and_a_run_past_its_hold_cannot_move_it(
    world: AlertsWorld,
):
    for store in ["Berlin", "Lyon", "Madrid"]:
        world.put(store, "Echo Dot", 12)
    world.deliver()
    progress = RecountProgress(world.dynamodb, PROGRESS)
    # A run takes the pass until its deadline and records Berlin ...
    assert progress.take("first", iso_utc(FIRST_RUN + TIMEOUT), iso_utc(FIRST_RUN)) == RecountPass()
    assert progress.save("first", RecountPass(iso_utc(FIRST_RUN), "Berlin"))

    # ... so a run overlapping it recounts nothing, ...
    assert run_at(timedelta(minutes=5)) == []
    # ... and once its deadline has passed (it died holding the pass), the next run goes on after Berlin.
    assert run_at(timedelta(hours=1)) == ["Lyon", "Madrid"]
    assert not progress.save("first", RecountPass(iso_utc(FIRST_RUN), "Berlin"))  # too late to move it back
    item = world.dynamodb.get_item(TableName=PROGRESS, Key={"Pass": {"S": "stores"}})["Item"]
    assert (item["After"]["S"], "Owner" in item, "PassFinished" in item) == ("Madrid", False, True)
