"""The caller's own session through the API, with real Cognito tokens from moto: signing out ends that
session at the API too (the JWT authorizer alone would accept its tokens for an hour), and setting up
MFA ends every earlier session, so a refresh token of a password-only sign-in mints no admin.

The claims passed are the real ID token's, as the authorizer hands them over. moto writes ``auth_time`` =
``iat`` into every token, a refreshed one included, where Cognito keeps the original sign-in's time; the
refusal of a refreshed pre-enrolment token by its ``auth_time`` is therefore shown with that claim set as
Cognito sets it (tests/unit/api/test_sessions.py covers the rule itself).
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

from tests.integration.api.conftest import ApiWorld
from tests.integration.api.people_world import PeopleWorld

pytestmark = pytest.mark.integration


def claims_of(tokens: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims as API Gateway's JWT authorizer passes them (every value as text)."""
    decoded = jwt.decode(tokens["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    return {
        name: (f"[{' '.join(value)}]" if isinstance(value, list) else str(value)) for name, value in decoded.items()
    }


def refresh(people: PeopleWorld, tokens: dict[str, Any]) -> dict[str, Any]:
    return dict(
        people.cognito.initiate_auth(
            ClientId=people.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["AuthenticationResult"]["RefreshToken"]},
        )
    )


@pytest.fixture
def people(api: ApiWorld, fresh_sessions: None) -> PeopleWorld:
    api.people.add_user("ravi", stores=("Berlin",))
    api.people.add_user("anna", admin=True)
    return api.people


def test_signing_out_refuses_that_sessions_tokens_and_keeps_the_others(people: PeopleWorld) -> None:
    desk, phone = people.sign_in("ravi"), people.sign_in("ravi")
    assert people.call("GET", "/stores", claims_of(desk)).status == 200

    assert people.call("POST", "/session/sign-out", claims_of(desk)).status == 204

    reply = people.call("GET", "/stores", claims_of(desk))
    assert (reply.status, reply.body["error"]["code"]) == (401, "session_revoked")
    # A token minted later from the same refresh token belongs to the same session (its origin_jti)
    assert people.call("GET", "/stores", claims_of(refresh(people, desk))).status == 401
    assert people.call("GET", "/stores", claims_of(phone)).status == 200  # the other session goes on


def test_signing_out_twice_and_from_two_sessions_keeps_both_ended(people: PeopleWorld) -> None:
    desk, phone = people.sign_in("ravi"), people.sign_in("ravi")
    for tokens in (desk, phone):
        assert people.call("POST", "/session/sign-out", claims_of(tokens)).status == 204

    assert people.call("GET", "/stores", claims_of(desk)).status == 401
    assert people.call("GET", "/stores", claims_of(phone)).status == 401


def test_mfa_set_up_ends_the_password_only_session_before_it(people: PeopleWorld) -> None:
    # Given a password-only sign-in of an admin-group member before MFA (a phished password, say)
    before = people.sign_in("anna")
    assert people.call("GET", "/users", claims_of(before)).status == 403  # no MFA yet: no admin
    # When the real user sets up TOTP and the dashboard reports it
    people.enrol_totp("anna")
    assert people.call("POST", "/session/mfa-enrolled", claims_of(before)).status == 204

    # Then the earlier session's ID token is refused, and its refresh token mints nothing
    assert people.call("GET", "/users", claims_of(before)).status == 401
    with pytest.raises(ClientError):
        refresh(people, before)


def test_a_token_of_a_sign_in_before_enrolment_is_no_admin_whatever_its_issue_time(people: PeopleWorld) -> None:
    before = people.sign_in("anna")
    people.enrol_totp("anna")
    assert people.call("POST", "/session/mfa-enrolled", claims_of(before)).status == 204
    token = claims_of(before)
    # A refresh of the pre-enrolment session as Cognito would answer it: iat new, auth_time the old sign-in
    refreshed = {**token, "iat": str(int(token["iat"]) + 3600)}

    reply = people.call("GET", "/users", refreshed)
    assert (reply.status, reply.body["error"]["code"]) == (403, "mfa_required")
    signed_in_since = {**refreshed, "auth_time": refreshed["iat"]}
    assert people.call("GET", "/users", signed_in_since).status == 200


def test_reporting_an_enrolment_without_mfa_on_is_400(people: PeopleWorld) -> None:
    reply = people.call("POST", "/session/mfa-enrolled", claims_of(people.sign_in("ravi")))

    assert (reply.status, reply.body["error"]["code"]) == (400, "mfa_not_enabled")
