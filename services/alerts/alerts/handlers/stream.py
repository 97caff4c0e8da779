"""Lambda entry point: batches of Inventory stream records (partial batch responses)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.models import utc_now
from inventory.observability import logger, metrics, tracer

from alerts.dal.changes import ChangeLedger
from alerts.dal.clients import Clients
from alerts.dal.forecasts import ForecastTable
from alerts.dal.topic import DigestTopic
from alerts.logic.alerting import AlertService
from alerts.logic.batch import process_stream_batch
from alerts.logic.batch_forecasts import Forecasting
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
    """Built on first use and kept for the life of the execution environment."""
    return build_alert_service(AlertSettings.from_env(), Clients())


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Record every change and its store's totals once, keep each item's forecast, announce each store's new
    alerts, report failures."""
    return dict(process_stream_batch(event, alert_service(), context))
