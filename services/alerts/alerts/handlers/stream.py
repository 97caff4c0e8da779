"""Lambda entry point: batches of Inventory stream records (partial batch responses)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.models import utc_now
from inventory.observability import logger, metrics, tracer

from alerts.dal.history import HistoryTable
from alerts.dal.topic import AlertsTopic
from alerts.logic.alerting import AlertService
from alerts.logic.batch import DigestBatchProcessor
from alerts.settings import Settings


@cache
def alert_service() -> AlertService:
    """Built on first use and kept for the life of the execution environment."""
    settings = Settings.from_env()
    return AlertService(
        history=HistoryTable(boto3.client("dynamodb"), settings.history_table),
        notifier=AlertsTopic(boto3.client("sns"), settings.topic_arn),
        default_threshold=settings.low_stock_default,
        retention_days=settings.history_retention_days,
        clock=utc_now,
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Record every change, announce each store's new alerts once, report failed records."""
    service = alert_service()
    processor = DigestBatchProcessor(service)
    return dict(
        process_partial_response(
            event=event, record_handler=service.record_change, processor=processor, context=context
        )
    )
