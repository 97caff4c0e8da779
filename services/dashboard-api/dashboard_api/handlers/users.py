"""Routes: head office manages people (admin-only; an admin needs TOTP MFA to use them)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dashboard_api.handlers.context import caller_of, people
from dashboard_api.handlers.responses import documented, documented_error
from dashboard_api.logic.names import decoded_segment
from dashboard_api.logic.people import refuse_own_account, user_view
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.subscriptions import Cleanup
from dashboard_api.models.users import (
    AccessChangeResponse,
    AccessRequest,
    NewUserRequest,
    NewUserResponse,
    PasswordResetRequest,
    PasswordResetResponse,
    SubscriptionCleanup,
    UserDeletedResponse,
    UserRecord,
    UserResponse,
    UsersPage,
)

router = APIGatewayHttpRouter()


#: The errors the user routes answer, besides those of every route.
USER_ERRORS: dict[int, Any] = {
    400: documented_error(
        "A malformed username, email or store, Cognito refused the change, or it is your own account"
    ),
    403: documented_error("Not head office, or an admin without TOTP MFA (`mfa_required`)"),
    404: documented_error("No such user"),
    409: documented_error("The username is taken"),
}


def _answers(status: int, description: str) -> dict[int, Any]:
    """The error answers and the success one (its model is the route's return type)."""
    return {**documented(description, 422, status=status), **USER_ERRORS}


def _admin() -> Caller:
    caller = caller_of(router.current_event)
    caller.require_admin()
    return caller


def _other_user(username: str, doing: str) -> str:
    """The decoded name of the user an admin acts on, refused when it is the admin's own account."""
    caller = _admin()
    name = decoded_segment(username)
    refuse_own_account(caller.username, name, doing)
    return name


def _access_changed(changed: tuple[UserRecord, Cleanup]) -> AccessChangeResponse:
    user, cleanup = changed
    return AccessChangeResponse(user=user_view(user), signed_out=True, subscriptions=SubscriptionCleanup.of(cleanup))


@router.get(
    "/users",
    tags=["users"],
    summary="Every dashboard user, a page at a time",
    responses=_answers(200, "A page of users"),
)
def list_users(
    limit: Annotated[int, Query(ge=1, le=60, description="Most users in the page")] = 60,
    cursor: Annotated[str | None, Query(max_length=4096, description="`next_cursor` of the previous page")] = None,
) -> UsersPage:
    _admin()
    users, next_cursor = people().page(limit, cursor or None)
    return UsersPage(users=[user_view(user) for user in users], next_cursor=next_cursor)


@router.post(
    "/users",
    tags=["users"],
    summary="Create a user with a temporary password",
    description="The temporary password is answered once; the user replaces it at first sign-in. The email is "
    "marked verified: it is where a forgotten-password code goes.",
    status_code=201,
    responses=_answers(201, "Created"),
)
def create_user(request: Annotated[NewUserRequest, Body()]) -> NewUserResponse:
    _admin()
    user, password = people().create(request.username, email=request.email, stores=request.stores, admin=request.admin)
    return NewUserResponse(user=user_view(user), temporary_password=password)


@router.get("/users/<username>", tags=["users"], summary="One user", responses=_answers(200, "The user"))
def get_user(username: str) -> UserResponse:
    _admin()
    return UserResponse(user=user_view(people().get(decoded_segment(username))))


@router.put(
    "/users/<username>/access",
    tags=["users"],
    summary="Replace a user's stores and admin membership",
    description="Signs the user out everywhere (their current tokens are refused from now on) and narrows or "
    "removes their alert subscriptions to the stores they may still see.",
    responses=_answers(200, "Changed; sessions ended; subscriptions fitted"),
)
def set_access(username: str, request: Annotated[AccessRequest, Body()]) -> AccessChangeResponse:
    name = _other_user(username, "change the access of")
    return _access_changed(people().set_access(name, stores=request.stores, admin=request.admin))


@router.post(
    "/users/<username>/disable",
    tags=["users"],
    summary="Disable a user: signed out everywhere, subscriptions removed",
    responses=_answers(200, "Disabled"),
)
def disable_user(username: str) -> AccessChangeResponse:
    return _access_changed(people().disable(_other_user(username, "disable")))


@router.post(
    "/users/<username>/enable",
    tags=["users"],
    summary="Let a disabled user sign in again",
    responses=_answers(200, "Enabled"),
)
def enable_user(username: str) -> UserResponse:
    _admin()
    return UserResponse(user=user_view(people().enable(decoded_segment(username))))


@router.post(
    "/users/<username>/reset-password",
    tags=["users"],
    summary="Reset a user's password",
    description="By default Cognito emails a code to the user's verified address; with `temporary_password` (or "
    "when the user has no verified email) a new temporary password is answered once. Sessions end either way.",
    responses=_answers(200, "Reset"),
)
def reset_password(
    username: str, request: Annotated[PasswordResetRequest | None, Body()] = None
) -> PasswordResetResponse:
    _admin()
    name = decoded_segment(username)
    reset = people().reset_password(name, temporary=bool(request and request.temporary_password))
    return PasswordResetResponse(username=name, delivery=reset.delivery, temporary_password=reset.temporary_password)


@router.delete(
    "/users/<username>",
    tags=["users"],
    summary="Delete a user: signed out everywhere, subscriptions removed",
    responses=_answers(200, "Deleted"),
)
def delete_user(username: str) -> UserDeletedResponse:
    name = _other_user(username, "delete")
    cleanup = people().delete(name)
    return UserDeletedResponse(username=name, signed_out=True, subscriptions=SubscriptionCleanup.of(cleanup))
