"""Accounts in the dashboard, in headless Chromium against the local stack: two-step sign-in (TOTP),
its enrolment, the forgotten-password flow, tokens kept in memory only, and sign-out revoking the session.

The TOTP codes are computed here (RFC 6238) from the key the page shows, as an authenticator app would.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
from dashboard_api.logic.sessions import REVOCATION_TTL_SECONDS
from playwright.sync_api import Page, Request, Response, expect

from tests.e2e.conftest import LocalStackProcess
from tests.e2e.dashboard_kit import (
    cognito,
    enrol_on_page,
    fresh_totp,
    go,
    mfa_settings,
    new_user,
    shoot,
    sign_in,
    sign_in_after_enrolment,
    sign_out,
    signed_in,
    stored_strings,
)
from tests.e2e.test_api_security import get as api_get

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def password_step(page: Page, stack: dict[str, Any], account: dict[str, Any]) -> None:
    page.goto(stack["dashboard_url"])
    page.get_by_label("Username").fill(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()


# ---------------------------------------------------------------- two-step sign-in


def test_a_user_turns_on_two_step_sign_in_and_then_signs_in_with_a_code(page: Page, stack: dict[str, Any]) -> None:
    account = new_user(stack)
    sign_in(page, stack, account)
    page.get_by_role("link", name=re.compile(f"Account: {account['username']}")).click()
    expect(page.locator("#mfa-status")).to_have_text("Status: Off")

    page.get_by_role("button", name="Set up two-step sign-in").click()
    secret = enrol_on_page(page, account["username"], "Turn on two-step sign-in")

    # Turning it on ends every session begun with the password alone, this one too.
    expect(page.get_by_text("Two-step sign-in is on. Sign in again")).to_be_visible()
    expect(signed_in(page)).to_have_count(0)
    assert "SOFTWARE_TOKEN_MFA" in mfa_settings(stack, account["username"]), "Cognito does not have TOTP on"

    # The password alone is not enough now.
    password_step(page, stack, account)
    expect(page.get_by_role("heading", name="Enter your authenticator code")).to_be_visible()
    expect(signed_in(page)).to_have_count(0)
    page.get_by_label("Authenticator code", exact=True).fill("12345")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Enter the 6-digit code from your authenticator app.")
    page.get_by_label("Authenticator code", exact=True).fill(fresh_totp(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(signed_in(page)).to_have_text("Overview")


def test_head_office_must_set_up_two_step_sign_in_before_the_dashboard_opens(page: Page, stack: dict[str, Any]) -> None:
    account = new_user(stack, admin=True)
    password_step(page, stack, account)

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_text("Head office accounts must use two-step sign-in.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    assert mfa_settings(stack, account["username"]) == []
    shoot(page, "mfa-setup")
    secret = enrol_on_page(page, account["username"], "Turn on and continue")
    sign_in_after_enrolment(page, account, secret)

    expect(signed_in(page)).to_have_text("Overview")
    assert "SOFTWARE_TOKEN_MFA" in mfa_settings(stack, account["username"])
    # An admin may not turn it off from the Account view.
    page.get_by_role("link", name=re.compile("Account:")).click()
    expect(page.locator("#mfa-status")).to_have_text("Status: On")
    expect(page.get_by_role("button", name="Turn off two-step sign-in")).to_have_count(0)


def test_a_pool_that_requires_mfa_sets_it_up_during_the_first_sign_in(page: Page, stack: dict[str, Any]) -> None:
    """Cognito's MFA_SETUP challenge (the pool requires MFA; the user has none yet) is answered in the page."""
    client = cognito(stack)
    pool = stack["user_pool_id"]
    before = client.get_user_pool_mfa_config(UserPoolId=pool)
    username = f"required-{uuid.uuid4().hex[:8]}"
    client.admin_create_user(
        UserPoolId=pool,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!2024",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:stores", "Value": '["Berlin"]'}],
    )
    client.set_user_pool_mfa_config(
        UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    try:
        password_step(page, stack, {"username": username, "password": "Temp-Passw0rd!2024"})
        page.get_by_label("New password", exact=True).fill("Fresh-Passw0rd!2024")
        page.get_by_label("Repeat the new password").fill("Fresh-Passw0rd!2024")
        page.get_by_role("button", name="Set password and sign in").click()

        expect(page.get_by_text("Your account must use two-step sign-in.")).to_be_visible()
        secret = enrol_on_page(page, username, "Verify and sign in")
        sign_in_after_enrolment(page, {"username": username, "password": "Fresh-Passw0rd!2024"}, secret)
        expect(signed_in(page)).to_have_text("Overview")
    finally:
        client.set_user_pool_mfa_config(
            UserPoolId=pool,
            SoftwareTokenMfaConfiguration=before.get("SoftwareTokenMfaConfiguration", {"Enabled": True}),
            MfaConfiguration=before.get("MfaConfiguration", "OPTIONAL"),
        )


# ---------------------------------------------------------------- forgotten password


def reset_code(stack: dict[str, Any], console: str, username: str) -> str:
    """The code the local stack printed for this user, or (older stacks) a fresh one from the emulator.

    The emulator's ForgotPassword returns its code in a response header; asking again replaces the code
    the page requested, which the page's reset form accepts just the same.
    """
    printed = re.findall(rf"{re.escape(username)}\D{{0,200}}?\b(\d{{6}})\b", console)
    if printed:
        return printed[-1]
    response = cognito(stack).forgot_password(ClientId=stack["user_pool_client_id"], Username=username)
    code = response["ResponseMetadata"]["HTTPHeaders"].get("x-moto-forgot-password-confirmation-code")
    assert code, "the local stack printed no reset code and the emulator returned none"
    return str(code)


def test_a_forgotten_password_is_replaced_from_the_sign_in_page(
    page: Page, stack: dict[str, Any], local_stack_process: LocalStackProcess
) -> None:
    account = new_user(stack)
    page.goto(stack["dashboard_url"])
    page.get_by_label("Username").fill(account["username"])
    page.get_by_role("button", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value(account["username"])
    page.get_by_role("button", name="Send me a code").click()

    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"If “{account['username']}” has an account, a reset code")
    expect(page.get_by_role("status")).to_contain_text("make dev")
    page.get_by_label("Reset code").fill("000000")
    page.get_by_label("New password", exact=True).fill("New-Passw0rd!2025")
    page.get_by_label("Repeat the new password").fill("Other-Passw0rd!2025")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("alert")).to_have_text("The two passwords do not match.")

    page.get_by_label("Reset code").fill(reset_code(stack, local_stack_process.console(), account["username"]))
    page.get_by_label("Repeat the new password").fill("New-Passw0rd!2025")
    page.get_by_role("button", name="Set the new password").click()

    expect(page.get_by_role("status")).to_have_text("Your password has been changed. Sign in with the new password.")
    expect(page.get_by_label("Username")).to_have_value(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    sign_in(page, stack, {**account, "password": "New-Passw0rd!2025"})


# ---------------------------------------------------------------- tokens


def test_tokens_never_reach_web_storage_and_a_reload_signs_in_again(page: Page, stack: dict[str, Any]) -> None:
    account = new_user(stack)
    sign_in(page, stack, account)
    for view in ("items?store=Berlin", "alerts", "uploads", "account", "api", "overview"):
        go(page, stack, f"#/{view}")
        expect(signed_in(page)).to_be_visible()
        page.wait_for_load_state("networkidle")

    stored = stored_strings(page)
    assert "eyJ" not in stored, f"a JWT is in web storage or a cookie: {stored}"
    assert "refresh" not in stored.lower(), stored
    page.reload()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(signed_in(page)).to_have_count(0)


def test_sign_out_revokes_the_refresh_token(page: Page, stack: dict[str, Any]) -> None:
    """The page sends RevokeToken with the refresh token it was given, then forgets every token; Cognito
    (the local stack's stand-in for RevokeToken) then refuses that refresh token."""
    account = new_user(stack)
    issued: list[str] = []
    revoked: list[dict[str, Any]] = []

    def on_response(response: Response) -> None:
        if response.request.headers.get("x-amz-target", "").endswith(".InitiateAuth") and response.ok:
            token = response.json().get("AuthenticationResult", {}).get("RefreshToken")
            if token:
                issued.append(token)

    def on_request(request: Request) -> None:
        if request.headers.get("x-amz-target", "").endswith(".RevokeToken"):
            revoked.append(json.loads(request.post_data or "{}"))

    page.on("response", on_response)
    page.on("request", on_request)
    sign_in(page, stack, account)
    sign_out(page)

    assert issued, "the sign-in returned no refresh token"
    assert revoked == [{"ClientId": stack["user_pool_client_id"], "Token": issued[-1]}]
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    with pytest.raises(Exception, match="NotAuthorizedException"):  # botocore's ClientError, by its code
        cognito(stack).initiate_auth(
            ClientId=stack["user_pool_client_id"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": issued[-1]},
        )


def test_sign_out_ends_the_session_at_the_api_too(page: Page, stack: dict[str, Any]) -> None:
    """The ID token the page used is refused by the API once the user signs out (the HTTP API's token
    check alone would accept it until it expires, an hour later)."""
    account = new_user(stack)
    used: list[str] = []

    def on_request(request: Request) -> None:
        authorization = request.headers.get("authorization", "")
        if request.url.startswith(stack["api_url"]) and authorization.startswith("Bearer "):
            used.append(authorization.removeprefix("Bearer "))

    page.on("request", on_request)
    sign_in(page, stack, account)
    expect(signed_in(page)).to_have_text("Overview")
    assert used, "the page called the API with no token"
    assert api_get(stack, "/stores", used[-1])[0] == 200

    sign_out(page)
    time.sleep(REVOCATION_TTL_SECONDS)  # another execution environment may trust its cache this long

    status, body = api_get(stack, "/stores", used[-1])
    assert status == 401, body
    assert body["error"]["code"] == "session_revoked"
