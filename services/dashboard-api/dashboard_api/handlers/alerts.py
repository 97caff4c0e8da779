"""Route: out-of-stock and low items across the caller's stores."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from inventory.models import StockStatus

from dashboard_api.handlers.context import caller_of, dashboard
from dashboard_api.handlers.responses import documented
from dashboard_api.models.api import AlertsResponse

router = APIGatewayHttpRouter()


@router.get(
    "/alerts",
    tags=["alerts"],
    summary="Alerting items, newest change first",
    responses=documented("Every alerting item of your stores", 422),
)
def list_alerts(
    status: Annotated[Literal["out", "low"] | None, Query(description="Only this status")] = None,
) -> AlertsResponse:
    caller = caller_of(router.current_event)
    return AlertsResponse(alerts=dashboard().alerts(caller, StockStatus(status) if status else None))
