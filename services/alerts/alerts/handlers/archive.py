"""Lambda entry point: the alerts failure queue, where Lambda points to stream batches that failed every retry."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.models import utc_now
from inventory.observability import logger, metrics, tracer

from alerts.dal.clients import Clients
from alerts.dal.failed_records import FailedRecords
from alerts.dal.stream import StreamReader
from alerts.logic.archive import FailureArchiver
from alerts.settings import ArchiveSettings


@cache
def failure_archiver() -> FailureArchiver:
    """Built on first use and kept for the life of the execution environment."""
    settings = ArchiveSettings.from_env()
    clients = Clients()
    return FailureArchiver(
        stream=StreamReader(clients.streams(), region=os.environ.get("AWS_REGION", "")),
        archive=FailedRecords(clients.dynamodb(), settings.failed_records_table),
        clock=utc_now,
    )


def archive_message(record: SQSRecord) -> None:
    failure_archiver().archive(record.body)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Save the records each failure message points to; a message that cannot be handled yet stays queued."""
    return dict(
        process_partial_response(
            event=event, record_handler=archive_message, processor=BatchProcessor(EventType.SQS), context=context
        )
    )
