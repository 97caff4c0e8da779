"""Routes: alert subscriptions people manage themselves (email or SMS for anyone; more for admins)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dashboard_api.handlers.context import caller_of, subscriptions
from dashboard_api.handlers.responses import SECURITY_HEADERS, documented, documented_error
from dashboard_api.logic.names import decoded_segment
from dashboard_api.models.subscriptions import (
    CODE_MINUTES,
    CodeRequest,
    SubscriptionRequest,
    SubscriptionsPage,
    SubscriptionView,
)
from dashboard_api.models.throttle import SUBSCRIPTIONS
from dashboard_api.models.users import MAX_USERNAME_LENGTH

router = APIGatewayHttpRouter()


#: The errors the subscription routes answer, besides those of every route.
ERRORS: dict[int, Any] = {
    400: documented_error(
        "A malformed endpoint, store name or cursor, more store x severity combinations than SNS allows, or a "
        "code that is wrong (`wrong_code`) or expired or tried too often (`code_expired`)"
    ),
    403: documented_error(
        "A store that is not yours, a protocol for admins only, or an admin without MFA (`mfa_required`)"
    ),
    404: documented_error("No such subscription of yours"),
    409: documented_error(
        "The address is subscribed already (`already_subscribed`; never saying by whom), you have as many as "
        "allowed (`too_many_subscriptions`), or the subscription is not awaiting a code (`not_awaiting_code`)"
    ),
}


def _answers(description: str, status: int = 200) -> dict[int, Any]:
    return {**documented(description, 422, status=status), **ERRORS}


@router.post(
    "/subscriptions",
    tags=["subscriptions"],
    summary="Subscribe an email address or phone to alerts of your stores",
    description="Creates an SNS subscription on the alerts topic whose filter policy holds exactly the stores "
    "and severities given. An email subscription stays `pending_confirmation` until the link SNS sends is "
    "followed. A phone number first gets a code by text (status `awaiting_code`): nothing else is sent to it, "
    "and it is subscribed only once the code is entered (`/subscriptions/{subscription_id}/verify`). Repeating "
    "the same request answers the same subscription.",
    status_code=201,
    responses=_answers("Subscribed (or the same request answered again)", 201),
)
def create_subscription(request: Annotated[SubscriptionRequest, Body()]) -> SubscriptionView:
    return subscriptions().create(caller_of(router.current_event, SUBSCRIPTIONS), request)


@router.post(
    "/subscriptions/<subscription_id>/verify",
    tags=["subscriptions"],
    summary="Enter the code texted to your phone number: it is then subscribed",
    description=f"Five tries per code, {CODE_MINUTES} minutes each. Only the subscription's owner may enter it.",
    responses=_answers("Subscribed (status as SNS reports it)"),
)
def verify_subscription(subscription_id: str, request: Annotated[CodeRequest, Body()]) -> SubscriptionView:
    caller = caller_of(router.current_event, SUBSCRIPTIONS)
    return subscriptions().verify(caller, decoded_segment(subscription_id), request.code)


@router.post(
    "/subscriptions/<subscription_id>/code",
    tags=["subscriptions"],
    summary="Text a new code to the phone number (the previous one stops working)",
    description="At most one a minute per subscription, and a few an hour per user (429 with `Retry-After`).",
    status_code=202,
    responses=_answers("A new code is on its way", 202),
)
def resend_code(subscription_id: str) -> SubscriptionView:
    return subscriptions().resend(caller_of(router.current_event), decoded_segment(subscription_id))


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
    caller = caller_of(router.current_event, SUBSCRIPTIONS)
    left = subscriptions().delete(caller, decoded_segment(subscription_id))
    if left is None:
        return Response(status_code=204, body="", headers=dict(SECURITY_HEADERS))
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=left.model_dump_json(),
        headers=dict(SECURITY_HEADERS),
    )
