"""Lambda entry point: the scheduled recount of every store's totals (``make recount`` runs the same)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.observability import count, logger, metrics, tracer

from alerts.dal.clients import Clients
from alerts.dal.failed_records import FailedRecords
from alerts.dal.inventory import InventoryItems
from alerts.dal.recount_progress import RecountProgress
from alerts.dal.stores import StoresTable
from alerts.logic.recount import Recounter
from alerts.logic.recount_pass import DailyPass
from alerts.models.recount import StoreRecount, Totals, Verdict
from alerts.settings import RecountSettings

#: Seconds kept back at the end of the run to report; stores not reached wait for the next run.
RESERVE_SECONDS = 30
#: A store with a change younger than this is not recounted: its records may still be on their way
#: through the stream (the stream's IteratorAge alarm fires at 5 minutes).
SETTLE = timedelta(minutes=10)


def build_recounter(
    settings: RecountSettings,
    clients: Clients,
    repair: bool = True,
    clock: Callable[[], datetime] | None = None,
    settle: timedelta = SETTLE,
) -> Recounter:
    """The recount wired to its tables (also used by ``make recount``)."""
    dynamodb = clients.dynamodb()
    return Recounter(
        stores=StoresTable(dynamodb, settings.stores_table),
        inventory=InventoryItems(dynamodb, settings.inventory_table),
        waiting=FailedRecords(dynamodb, settings.failed_records_table),
        default_threshold=settings.low_stock_default,
        settle=settle,
        clock=clock or (lambda: datetime.now(UTC)),
        repair=repair,
    )


def build_daily_pass(
    settings: RecountSettings, clients: Clients, clock: Callable[[], datetime] | None = None
) -> DailyPass:
    """The scheduled runs' shared pass over every store, wired to its tables."""
    clock = clock or (lambda: datetime.now(UTC))
    dynamodb = clients.dynamodb()
    return DailyPass(
        recounter=build_recounter(settings, clients, clock=clock),
        stores=StoresTable(dynamodb, settings.stores_table),
        progress=RecountProgress(dynamodb, settings.progress_table),
        clock=clock,
    )


def record_outcome(results: Iterable[StoreRecount]) -> dict[str, Any]:
    """Log each store that drifted, add the metrics (the drift as absolute sums), and summarise."""
    verdicts: Counter[str] = Counter()
    drift = Totals()
    for result in results:
        verdicts[result.verdict.value] += 1
        if result.verdict in (Verdict.REPAIRED, Verdict.DRIFT):
            step = result.drift
            drift = Totals(drift.items + abs(step.items), drift.out + abs(step.out), drift.low + abs(step.low))
            logger.warning(
                "Store totals drifted from the Inventory table",
                extra={"store": result.store, "verdict": result.verdict.value, "found": vars_of(result.found),
                       "counted": vars_of(result.counted), "drift": vars_of(step)},
            )  # fmt: skip
        if result.unreadable:
            logger.warning("Items not counted: unreadable", extra={"store": result.store, "items": result.unreadable})
    for verdict in Verdict:
        count(f"Stores{verdict.value.title()}", verdicts[verdict.value])
    count("TotalsDriftItems", drift.items)
    count("TotalsDriftOut", drift.out)
    count("TotalsDriftLow", drift.low)
    return {"stores": dict(verdicts), "drift": vars_of(drift)}


def vars_of(totals: Totals | None) -> dict[str, int] | None:
    return None if totals is None else {"items": totals.items, "out": totals.out, "low": totals.low}


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - a schedule's event
    """Continue the daily pass over every store until the time limit; the next run goes on from there."""
    until = datetime.now(UTC) + timedelta(milliseconds=context.get_remaining_time_in_millis())
    run = build_daily_pass(RecountSettings.from_env(), Clients()).run(
        str(uuid4()), until, keep_going=lambda: context.get_remaining_time_in_millis() > RESERVE_SECONDS * 1000
    )
    summary = record_outcome(run.results) | {"pass": None if run.progress is None else asdict(run.progress)}
    logger.info("Recount finished", extra=summary)
    return summary
