"""Route: recent uploads and what became of them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from inventory.models import MAX_NAME_LENGTH

from dashboard_api.handlers.context import caller_of, dashboard
from dashboard_api.handlers.responses import ERROR_RESPONSES
from dashboard_api.logic.names import checked_name
from dashboard_api.models.api import UploadsResponse

router = APIGatewayHttpRouter()


@router.get("/uploads", tags=["uploads"], summary="Recent uploads, newest first", responses=ERROR_RESPONSES)
def list_uploads(
    store: Annotated[
        str | None, Query(max_length=MAX_NAME_LENGTH, description="Only uploads that touched this store")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Most uploads returned")] = 20,
) -> UploadsResponse:
    caller = caller_of(router.current_event)
    wanted = checked_name(store, "store") if store else None
    return UploadsResponse(uploads=dashboard().uploads(caller, wanted, limit))
