"""Lambda entry point: the scheduled sweep of alert subscriptions (``Subscriptions.sweep``): removals SNS
refused while a subscription was pending, subscriptions of disabled users or of stores a user lost,
subscriptions half made, and subscriptions no row knows of, so nothing a revocation should have ended
outlives it by more than the schedule's interval."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.observability import logger, tracer

from dashboard_api.handlers.context import revocations, subscriptions


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    del event, context  # the schedule's event says nothing
    swept = subscriptions().sweep(revocations().access)
    counts = {
        "removed": swept.removed,
        "pending": swept.pending,
        "orphans": swept.orphans,
        "narrowed": swept.narrowed,
        "finished": swept.finished,
    }
    logger.info("Subscriptions swept", extra=counts)  # counts only: never an address
    return counts
