"""Routes: the caller's stores, the items of one store, and one item."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from inventory.models import MAX_NAME_LENGTH, StockStatus

from dashboard_api.handlers.context import caller_of, dashboard
from dashboard_api.handlers.responses import documented
from dashboard_api.logic.cursor import MAX_CURSOR_LENGTH
from dashboard_api.logic.names import name_from_path
from dashboard_api.models.api import ItemDetail, ItemsPage, StoreSettings, StoresResponse, StoreView

router = APIGatewayHttpRouter()


@router.get("/stores", tags=["stores"], summary="The stores you may see", responses=documented("Your stores"))
def list_stores() -> StoresResponse:
    return StoresResponse(stores=dashboard().stores(caller_of(router.current_event)))


@router.put(
    "/stores/<store>/settings",
    tags=["stores"],
    summary="Set a store's settings (its users or head office)",
    description="`full_list: true` reads every file under the store's folder as its full list (it retires the "
    "items it omits), whether or not the file says so; the dialog ticks the box for it. The answer is the store's "
    "summary. 404 for a store that has sent no file yet.",
    responses=documented("The store", 400, 403, 404, 422),
)
def store_settings(store: str, request: Annotated[StoreSettings, Body()]) -> StoreView:
    caller = caller_of(router.current_event)
    return dashboard().set_full_list(caller, name_from_path(store, "store"), request.full_list)


@router.get(
    "/stores/<store>/items",
    tags=["stores"],
    summary="A page of a store's items, in name order",
    responses=documented("A page of items", 400, 403, 404, 422),
)
def list_items(
    store: str,
    status: Annotated[Literal["out", "low", "ok"] | None, Query(description="Only items with this status")] = None,
    q: Annotated[
        str | None,
        Query(max_length=MAX_NAME_LENGTH, description="Case-insensitive part of the item name"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Most items in the page")] = 100,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page")
    ] = None,
) -> ItemsPage:
    caller = caller_of(router.current_event)
    return dashboard().items(
        caller,
        name_from_path(store, "store"),
        status=StockStatus(status) if status else None,
        query=q or None,
        limit=limit,
        cursor=cursor or None,
    )


@router.get(
    "/stores/<store>/items/<item>",
    tags=["stores"],
    summary="One item of a store, with its forecast",
    responses=documented("The item", 400, 403, 404),
)
def one_item(store: str, item: str) -> ItemDetail:
    caller = caller_of(router.current_event)
    return dashboard().item(caller, name_from_path(store, "store"), name_from_path(item, "item"))
