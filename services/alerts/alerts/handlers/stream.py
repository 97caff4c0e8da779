"""Lambda entry point: batches of Inventory stream records (partial batch responses).

The batch's verdicts (:class:`alerts.logic.batch.StreamBatch`: the failed records, by sequence number)
are answered here as Lambda's partial batch response, which Lambda reads because the event source
mapping reports batch item failures (``serverless.yml``). Powertools' batch processor is not used:
the records are decided together, in the logic, so there is nothing left to run record by record.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.models import utc_now
from inventory.observability import count, logger, metrics, tracer

from alerts.dal.changes import ChangeLedger
from alerts.dal.clients import Clients
from alerts.dal.forecasts import ForecastTable
from alerts.dal.topic import DigestTopic
from alerts.logic.alerting import AlertService
from alerts.logic.batch import StreamBatch
from alerts.logic.batch_forecasts import Forecasting
from alerts.models.change import StreamChangeRecord
from alerts.models.errors import NotProcessed
from alerts.settings import AlertSettings


def build_alert_service(settings: AlertSettings, clients: Clients) -> AlertService:
    """The alerts flow wired to its tables and topic (also used by ``make replay``)."""
    dynamodb = clients.dynamodb()
    return AlertService(
        changes=ChangeLedger(dynamodb, settings.history_table, settings.stores_table, clock=utc_now),
        notifier=DigestTopic(clients.sns(), settings.topic_arn),
        forecasting=Forecasting(ForecastTable(dynamodb, settings.forecast_table), settings.soon_days),
        default_threshold=settings.low_stock_default,
        retention_days=settings.history_retention_days,
        clock=utc_now,
        dashboard_url=settings.dashboard_url,
    )


@cache
def alert_service() -> AlertService:
    """Built on first use and kept for the life of the execution environment.

    What the cold start made and keeps (modules, clients and their service models: most of the heap)
    is then frozen out of the garbage collector's passes (:func:`freeze_cold_start`).
    """
    service = build_alert_service(AlertSettings.from_env(), Clients())
    freeze_cold_start()
    return service


@cache
def freeze_cold_start() -> None:
    """Once per process: leave every object there is out of the garbage collector's passes, which
    would otherwise walk all of the cold start's objects again at every full collection (about a
    tenth of the CPU per record). No collection first: the few unreachable objects a cold start
    leaves are kept, rather than spend ~35 ms of the first invocation finding them."""
    gc.freeze()


#: Lambda's partial batch response: ``{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}, ...]}``.
PartialBatchResponse = dict[str, list[dict[str, str]]]


class BatchFailed(RuntimeError):
    """Every record of a batch failed: the invocation fails, so Lambda splits the batch in two and retries
    each half (``bisectBatchOnFunctionError``), isolating a poison record."""


def process_stream_batch(event: dict[str, Any], service: AlertService, context: LambdaContext) -> PartialBatchResponse:
    """Run a Lambda stream event through the flow and answer with its partial batch response."""
    records = [StreamChangeRecord(record) for record in event["Records"]]
    failed = StreamBatch(service, lambda: context.get_remaining_time_in_millis() / 1000).run(records)
    return partial_batch_response(records, failed)


def partial_batch_response(
    records: Sequence[StreamChangeRecord], failed: Mapping[str, Exception]
) -> PartialBatchResponse:
    """The failed records' sequence numbers in batch order (Lambda resends the batch from the lowest;
    an empty list is a success), each outcome counted once a batch.

    Raises :class:`BatchFailed` when every record failed (as Powertools' batch processor did), so
    Lambda bisects the batch rather than resend all of it whole."""
    failures = [(record.sequence, failed[record.sequence]) for record in records if record.sequence in failed]
    left = sum(isinstance(error, NotProcessed) for _, error in failures)
    for name, value in (
        ("RecordsProcessed", len(records) - len(failures)),
        ("RecordsLeftForRetry", left),
        ("RecordsFailed", len(failures) - left),
    ):
        if value:
            count(name, value)
    if failures and len(failures) == len(records):
        sequence, error = failures[0]
        raise BatchFailed(
            f"all {len(records)} records failed, from the first ({sequence}): {type(error).__name__}: {error}"
        ) from error
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence, _ in failures]}


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Record every change and its store's totals once, keep each item's forecast, announce each store's new
    alerts, report failures."""
    return process_stream_batch(event, alert_service(), context)
