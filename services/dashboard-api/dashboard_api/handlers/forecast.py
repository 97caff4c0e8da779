"""Routes: when items run out, for one store and across the caller's stores."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from inventory.forecast import INDEX_HORIZON_DAYS

from dashboard_api.handlers.context import caller_of, dashboard
from dashboard_api.handlers.responses import documented
from dashboard_api.logic.names import name_from_path
from dashboard_api.models.api import ForecastResponse, StoreForecast

router = APIGatewayHttpRouter()


@router.get(
    "/stores/<store>/forecast",
    tags=["forecast"],
    summary="When each item of a store runs out, soonest first",
    responses=documented("The store's items being used up", 400, 403, 404),
)
def store_forecast(store: str) -> StoreForecast:
    return dashboard().store_forecast(caller_of(router.current_event), name_from_path(store, "store"))


@router.get(
    "/forecast",
    tags=["forecast"],
    summary="Items of your stores that run out within some days, soonest first",
    responses=documented("Items running out across your stores", 422),
)
def forecast(
    within_days: Annotated[
        float,
        Query(ge=0, le=INDEX_HORIZON_DAYS, description=f"Days from now, at most {INDEX_HORIZON_DAYS}"),
    ] = 7,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most items in the answer")] = 200,
) -> ForecastResponse:
    return dashboard().forecast(caller_of(router.current_event), within_days, limit)
