"""Routes: alert subscriptions people manage themselves (email or SMS for anyone; more for admins)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dashboard_api.handlers.context import caller_of, subscriptions
from dashboard_api.handlers.responses import SECURITY_HEADERS, documented
from dashboard_api.logic.names import decoded_segment
from dashboard_api.models.api import ErrorResponse
from dashboard_api.models.subscriptions import SubscriptionRequest, SubscriptionsPage, SubscriptionView
from dashboard_api.models.users import MAX_USERNAME_LENGTH

router = APIGatewayHttpRouter()


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorResponse}}}


#: The errors the subscription routes answer, besides those of every route.
ERRORS: dict[int, Any] = {
    400: _error("A malformed endpoint, store name or cursor, or more store x severity combinations than SNS allows"),
    403: _error("A store that is not yours, a protocol for admins only, or an admin without MFA (`mfa_required`)"),
    404: _error("No such subscription of yours"),
    409: _error("The address is subscribed already (`already_subscribed`) or you have as many as allowed"),
}


def _answers(description: str, status: int = 200) -> dict[int, Any]:
    return {**documented(description, 422, status=status), **ERRORS}


@router.post(
    "/subscriptions",
    tags=["subscriptions"],
    summary="Subscribe an email address or phone to alerts of your stores",
    description="Creates an SNS subscription on the alerts topic whose filter policy holds exactly the stores "
    "and severities given. An email subscription stays `pending_confirmation` until the link SNS sends is "
    "followed. Repeating the same request answers the same subscription.",
    status_code=201,
    responses=_answers("Subscribed (or the same request answered again)", 201),
)
def create_subscription(request: Annotated[SubscriptionRequest, Body()]) -> SubscriptionView:
    return subscriptions().create(caller_of(router.current_event), request)


@router.get(
    "/subscriptions",
    tags=["subscriptions"],
    summary="Your subscriptions, with their status as SNS reports it",
    responses=_answers("The subscriptions"),
)
def list_subscriptions(
    everyone: Annotated[
        bool, Query(alias="all", description="Admins: everyone's subscriptions, a page at a time")
    ] = False,
    username: Annotated[
        str | None, Query(max_length=MAX_USERNAME_LENGTH, description="Admins: one user's subscriptions")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="With `all`: most subscriptions in the page")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="With `all`: `next_cursor` of the last page")
    ] = None,
) -> SubscriptionsPage:
    caller = caller_of(router.current_event)
    return subscriptions().page(caller, everyone=everyone, owner=username or None, limit=limit, cursor=cursor or None)


@router.delete(
    "/subscriptions/<subscription_id>",
    tags=["subscriptions"],
    summary="Unsubscribe (yours; admins: anyone's)",
    status_code=204,
    responses={
        **_answers("Unsubscribed", 204),
        204: {"description": "Unsubscribed", "content": {}},
        202: {
            "description": "SNS holds it pending confirmation and refuses to remove it yet: it now matches no "
            "alert and goes within 3 days (status `removing`)",
            "content": {"application/json": {"model": SubscriptionView}},
        },
    },
)
def delete_subscription(subscription_id: str) -> Response[str]:
    caller = caller_of(router.current_event)
    left = subscriptions().delete(caller, decoded_segment(subscription_id))
    if left is None:
        return Response(status_code=204, body="", headers=dict(SECURITY_HEADERS))
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=left.model_dump_json(),
        headers=dict(SECURITY_HEADERS),
    )
