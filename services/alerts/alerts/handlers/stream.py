"""Lambda entry point: batches of Inventory stream records (partial batch responses).

The batch's verdicts (:class:`alerts.logic.batch.StreamBatch`) are handed to Powertools'
:class:`BatchProcessor` through ``process_partial_response``, which builds the partial batch
response (and raises when every record failed, so Lambda bisects the batch); its public
``success_handler`` / ``failure_handler`` hooks count and log the outcome.
"""

from __future__ import annotations

import gc
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
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
from alerts.models.change import StreamChangeRecord, sequence_of
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


class StreamBatchProcessor(BatchProcessor):
    """Powertools' processor for DynamoDB stream batches, counting outcomes through its public hooks."""

    def __init__(self) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams)
        self.processed = 0  # added to the metrics once a batch (Powertools' work per value: µs a record)

    def success_handler(self, record: Any, result: Any) -> Any:
        self.processed += 1
        return super().success_handler(record, result)

    def failure_handler(self, record: Any, exception: Any) -> Any:
        _, error, _ = exception
        count("RecordsLeftForRetry" if isinstance(error, NotProcessed) else "RecordsFailed")
        return super().failure_handler(record, exception)


def process_stream_batch(
    event: dict[str, Any], service: AlertService, context: LambdaContext
) -> PartialItemFailureResponse:
    """Run a Lambda stream event through the flow and answer with its partial batch response."""
    records = [StreamChangeRecord(record) for record in event["Records"]]
    failed = StreamBatch(service, lambda: context.get_remaining_time_in_millis() / 1000).run(records)

    def report(record: DynamoDBRecord) -> None:
        error = failed.get(sequence_of(record.raw_event))
        if error is not None:
            raise error

    processor = StreamBatchProcessor()
    response = process_partial_response(event=event, record_handler=report, processor=processor, context=context)
    if processor.processed:
        count("RecordsProcessed", processor.processed)
    return response


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Record every change and its store's totals once, keep each item's forecast, announce each store's new
    alerts, report failures."""
    return dict(process_stream_batch(event, alert_service(), context))
