"""Routes: the caller's own session (anyone signed in)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dashboard_api.handlers.context import access_gate, caller_of, people
from dashboard_api.handlers.responses import SECURITY_HEADERS, documented

router = APIGatewayHttpRouter()


def _done(username: str) -> Response[str]:
    # Other execution environments notice within their few seconds of cache; this one at once.
    access_gate().forget(username)
    return Response(status_code=204, body="", headers=dict(SECURITY_HEADERS))


@router.post(
    "/session/sign-out",
    tags=["session"],
    summary="Sign out of this session",
    description="Ends the caller's session: this API refuses (401 `session_revoked`) every token of it (the "
    "`origin_jti` its refresh token gives every token it mints), although the JWT authorizer would accept them "
    "until they expire. Other sessions of the user go on. Revoke the refresh token at Cognito too (`RevokeToken`). "
    "A token without `origin_jti` ends every session of the user instead.",
    status_code=204,
    responses={**documented("Signed out", status=204), 204: {"description": "Signed out", "content": {}}},
)
def sign_out() -> Response[str]:
    caller = caller_of(router.current_event)
    if caller.session:
        people().end_session(caller.username, caller.session)
    else:
        people().sign_out(caller.username, caller.issued_at)
    return _done(caller.username)


@router.post(
    "/session/mfa-enrolled",
    tags=["session"],
    summary="Two-step sign-in was just set up: end every earlier session",
    description="Call after turning TOTP MFA on. Every session of the caller ends (a password-only sign-in "
    "made before must not outlive the enrolment) and admin rights need a sign-in from now on: sign in again "
    "with the authenticator code. 400 `mfa_not_enabled` if TOTP is not on.",
    status_code=204,
    responses={
        **documented("Recorded; sign in again", 400, status=204),
        204: {"description": "Recorded", "content": {}},
    },
)
def mfa_enrolled() -> Response[str]:
    caller = caller_of(router.current_event)
    people().mfa_enrolled(caller.username, caller.issued_at)
    return _done(caller.username)
