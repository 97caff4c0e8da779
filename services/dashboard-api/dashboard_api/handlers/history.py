"""Route: an item's count over time."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dashboard_api.handlers.context import caller_of, dashboard
from dashboard_api.handlers.responses import documented
from dashboard_api.logic.names import name_from_path
from dashboard_api.models.api import HistoryResponse

router = APIGatewayHttpRouter()


@router.get(
    "/stores/<store>/items/<item>/history",
    tags=["history"],
    summary="An item's count changes, oldest first",
    responses=documented("The item's count changes", 400, 403, 422),
)
def item_history(
    store: str,
    item: str,
    start: Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601 time")] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40, description="ISO 8601 time; default now")] = None,
) -> HistoryResponse:
    caller = caller_of(router.current_event)
    return dashboard().history(
        caller, name_from_path(store, "store"), name_from_path(item, "item"), start or None, end or None
    )
