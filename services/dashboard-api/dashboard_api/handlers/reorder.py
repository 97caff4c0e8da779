"""Routes: what to order, per store and across the caller's stores, and (head office) what to move."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dashboard_api.handlers.context import caller_of, reorders
from dashboard_api.handlers.responses import documented
from dashboard_api.logic.names import name_from_path
from dashboard_api.models.api import ReorderResponse, StoreReorder, TransfersResponse

router = APIGatewayHttpRouter()


@router.get(
    "/stores/<store>/reorder",
    tags=["reorder"],
    summary="What a store should order within the order cycle, soonest order-by first",
    responses=documented("The store's orders, with quantity, order-by date, supplier and why", 400, 403, 404),
)
def store_reorder(store: str) -> StoreReorder:
    return reorders().store(caller_of(router.current_event), name_from_path(store, "store"))


@router.get(
    "/reorder",
    tags=["reorder"],
    summary="What your stores should order within the order cycle, soonest order-by first",
    responses=documented("Orders across your stores"),
)
def reorder() -> ReorderResponse:
    return reorders().across(caller_of(router.current_event))


@router.get(
    "/transfers",
    tags=["reorder"],
    summary="Stock to move from stores with surplus to stores running out first; admins only",
    responses=documented("Suggested transfers, most urgent first", 403),
)
def transfers() -> TransfersResponse:
    return reorders().transfers(caller_of(router.current_event))
