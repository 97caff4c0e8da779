"""Lambda entry point: S3 object-created events for uploaded inventory files."""

from __future__ import annotations

import time
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from inventory.models import iso_utc, utc_now
from inventory.observability import logger, metrics, tracer
from inventory.report import UploadReport

from ingest.dal.inventory import InventoryTable
from ingest.dal.objects import UploadBucket
from ingest.dal.stores import StoreSummaries
from ingest.logic.ingest import Ingestor, RetryLater
from ingest.logic.loader import WRITES_PER_LANE, Loader
from ingest.models.upload import Upload
from ingest.settings import Settings


@cache
def ingestor() -> Ingestor:
    """Built on first use and kept for the life of the execution environment."""
    settings = Settings.from_env()
    # One connection per reader lane and per concurrent write, so no call waits for a socket.
    connections = settings.write_concurrency * (WRITES_PER_LANE + 1) + 2
    config = Config(max_pool_connections=connections, retries={"mode": "standard"})
    # Requests are built by the loader and DynamoDB validates them again: client-side
    # validation would only spend CPU that the writer threads share.
    dynamodb = boto3.client("dynamodb", config=config.merge(Config(parameter_validation=False)))
    return Ingestor(
        bucket=UploadBucket(boto3.client("s3", config=config)),
        loader=Loader(
            InventoryTable(dynamodb, settings.inventory_table),
            default_threshold=settings.low_stock_default,
            concurrency=settings.write_concurrency,
            clock=utc_now,
        ),
        stores=StoreSummaries(dynamodb, settings.stores_table),
        upload_prefix=settings.upload_prefix,
        reports_prefix=settings.reports_prefix,
        clock=utc_now,
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    """Ingest every file in the event (S3 may batch several); retry only passing failures."""
    files: list[dict[str, Any]] = []
    retry: list[str] = []
    for record in event.records:
        upload = Upload(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),  # S3 sends keys URL-encoded, '+' for space
            event_time=_iso(record.event_time),
            version_id=record.s3.get_object.get("versionId") or "",
            sequencer=record.s3.get_object.get("sequencer") or "",
        )
        logger.set_correlation_id(upload.key)
        if not ingestor().should_ingest(upload):
            logger.info("Skipping an object that is not an upload", extra={"key": upload.key})
            continue
        started = time.perf_counter()
        try:
            report = ingestor().ingest(upload)
        except RetryLater as error:
            logger.warning("Upload will be retried", extra={"key": upload.key, "reason": str(error)})
            retry.append(upload.key)
            continue
        _record_metrics(report, time.perf_counter() - started)
        logger.info("Upload ingested", extra={"key": upload.key, "status": report.status})
        files.append({"key": upload.key, "status": report.status})
    if retry:
        # Raising makes Lambda retry the event (then hand it to the on-failure queue);
        # files already loaded are unchanged on replay, so they cost reads only.
        raise RetryLater(f"{len(retry)} file(s) hit a passing failure: {', '.join(retry)}")
    return {"files": files}


def _iso(event_time: str) -> str:
    """S3's event time in the table's fixed-width form, so times compare as text."""
    try:
        return iso_utc(datetime.fromisoformat(event_time))
    except ValueError:
        return ""


def _record_metrics(report: UploadReport, seconds: float) -> None:
    rows = report.rows
    metrics.add_metric(name="RowsAccepted", unit=MetricUnit.Count, value=rows.accepted)
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=rows.rejected)
    metrics.add_metric(name="ItemsWritten", unit=MetricUnit.Count, value=rows.written)
    metrics.add_metric(name="ItemsUnchanged", unit=MetricUnit.Count, value=rows.unchanged)
    metrics.add_metric(name="ItemsStale", unit=MetricUnit.Count, value=rows.stale)
    metrics.add_metric(name="IngestDuration", unit=MetricUnit.Milliseconds, value=round(seconds * 1000, 1))
    if report.status == "failed":
        metrics.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=1)
