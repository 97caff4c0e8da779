"""Lambda entry point: S3 object-created events for uploaded files, and the function's own continuations."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.models import iso_utc, utc_now
from inventory.observability import logger, metrics, tracer

from ingest.dal.clients import dynamodb_client, iam_client, lambda_client, s3_client
from ingest.dal.inventory import InventoryTable
from ingest.dal.invoker import FunctionInvoker
from ingest.dal.objects import UploadBucket
from ingest.dal.people import PeopleTable
from ingest.dal.roles import ApiRole
from ingest.dal.stores import StoreActivity
from ingest.dal.uploads import UploadsIndex
from ingest.logic.guard import Guard
from ingest.logic.ingest import Ingestor, Invocation, Outcome
from ingest.logic.loader import Loader
from ingest.logic.retirement import Retirer
from ingest.logic.undo import Undoer
from ingest.models.errors import RetryLater
from ingest.models.upload import CONTINUATION, Continuation, Upload
from ingest.settings import Settings


@cache
def ingestor() -> Ingestor:
    """Built on first use and kept for the life of the execution environment."""
    settings = Settings.from_env()
    # One connection per lane, plus the index, the stores marks and the handler's own calls.
    dynamodb = dynamodb_client(pool=settings.write_concurrency + 10)
    inventory = InventoryTable(dynamodb, settings.inventory_table)
    stores = StoreActivity(dynamodb, settings.stores_table)
    return Ingestor(
        bucket=UploadBucket(s3_client()),
        loader=Loader(
            inventory,
            default_threshold=settings.low_stock_default,
            concurrency=settings.write_concurrency,
            clock=utc_now,
        ),
        index=UploadsIndex(dynamodb, settings.uploads_table),
        stores=stores,
        invoker=FunctionInvoker(lambda_client()),
        signer=ApiRole(iam_client(), settings.api_role_name, principal_id=settings.api_principal_id),
        clock=utc_now,
        uploaders=PeopleTable(dynamodb, settings.people_table),
        retirer=Retirer(inventory, clock=utc_now),
        guard=Guard(
            stores,
            out_of_stock_share=settings.hold_out_of_stock_share,
            retired_share=settings.hold_retired_share,
            scripts=settings.hold_script_uploads,
        ),
        undoer=Undoer(inventory, clock=utc_now, default_threshold=settings.low_stock_default),
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Ingest every file in the event (S3 may batch several); raise so Lambda retries passing failures."""
    invocation = Invocation(
        context.aws_request_id, context.invoked_function_arn, lambda: context.get_remaining_time_in_millis() / 1000
    )
    if CONTINUATION in event:
        outcomes = [ingestor().carry_on(Continuation.from_event(event), invocation)]
    else:
        outcomes = [ingestor().ingest(upload, invocation) for upload in _uploads(S3Event(event))]
    for outcome in outcomes:
        _record(outcome)
    failed = [outcome for outcome in outcomes if outcome.failure is not None]
    if failed:
        # Raising makes Lambda retry the event (then keep it on the on-failure queue); the
        # reports already say so, and a retry resumes from each file's checkpoint.
        reasons = "; ".join(f"{outcome.key}: {outcome.failure}" for outcome in failed)
        raise RetryLater(f"{len(failed)} file(s) failed: {reasons}")
    return {"files": [_summary(outcome) for outcome in outcomes]}


def _uploads(event: S3Event) -> list[Upload]:
    return [
        Upload(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),  # S3 sends keys URL-encoded, '+' for space
            event_time=_iso(record.event_time),
            version_id=record.s3.get_object.get("versionId") or "",
            sequencer=record.s3.get_object.get("sequencer") or "",
            etag=record.s3.get_object.get("eTag") or "",
            principal=(record.raw_event.get("userIdentity") or {}).get("principalId") or "",
        )
        for record in event.records
    ]


def _iso(event_time: str) -> str:
    """S3's event time in the table's fixed-width form, so times compare as text."""
    try:
        return iso_utc(datetime.fromisoformat(event_time))
    except ValueError:
        return ""


def _summary(outcome: Outcome) -> dict[str, Any]:
    if outcome.report is None:
        return {"key": outcome.key, "skipped": outcome.skipped}
    return {"key": outcome.key, "status": outcome.report.status.value}


def _record(outcome: Outcome) -> None:
    """Log what became of a file and add its metrics."""
    logger.set_correlation_id(outcome.key)
    if outcome.unreadable:
        metrics.add_metric(name="UnreadableItems", unit=MetricUnit.Count, value=outcome.unreadable)
    report = outcome.report
    if report is None:
        logger.info("Upload skipped", extra={"key": outcome.key, "reason": outcome.skipped})
        metrics.add_metric(name="EventsSkipped", unit=MetricUnit.Count, value=1)
        return
    if outcome.unexpected:
        logger.exception("Upload failed on an unexpected error", exc_info=outcome.failure)
    elif outcome.failure is not None:
        logger.warning("Upload hit a passing failure", extra={"key": outcome.key, "reason": report.reason})
    logger.info("Upload ingested", extra={"key": outcome.key, "status": report.status})
    if outcome.handed_off:
        metrics.add_metric(name="Continuations", unit=MetricUnit.Count, value=1)
    if report.status == "undone":
        metrics.add_metric(name="UploadsUndone", unit=MetricUnit.Count, value=1)
        return  # its rows were counted when it was applied
    if not report.status.final:
        return  # the tallies so far: the file's rows are counted once, when its report is final
    rows = report.rows
    metrics.add_metric(name="RowsAccepted", unit=MetricUnit.Count, value=rows.accepted)
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=rows.rejected)
    metrics.add_metric(name="ItemsWritten", unit=MetricUnit.Count, value=rows.written)
    metrics.add_metric(name="ItemsStale", unit=MetricUnit.Count, value=rows.stale)
    if report.status == "failed":
        metrics.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=1)
