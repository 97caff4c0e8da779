"""What the dashboard's browser tests share: Chromium, the local stack, users, sign-in (with TOTP), uploads.

Needs Debian's ``chromium``: a missing browser fails the tests that use it, it never skips them.
The fixtures every browser test module uses (``browser``, ``stack``, ``page``, ``phone``, ``admin``,
``berlin_manager``) are declared in conftest.py over the functions here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pyotp
import pytest
from alerts.logic.demand_model import forecast
from inventory.forecast import ForecastRow
from inventory.uploads import store_prefix
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, expect, sync_playwright

from tests.builders import lab_file
from tests.e2e.conftest import create_user, unique_store, wait_for, wait_for_report
from tests.e2e.conftest import sign_in as conftest_sign_in

REPO = Path(__file__).resolve().parents[2]
# The manual's pictures (docs/dashboard.md) are refreshed only on request (INVENTORY_SCREENSHOTS=1), so an ordinary
# test run leaves the working tree clean; otherwise they go to a temporary folder.
SCREENSHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("INVENTORY_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "inventory-dashboard-screenshots"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}
TOTP_STEP_S = 30
# The TOTP secret each user enrolled in this test session (the page shows it once, at enrolment).
TOTP_SECRETS: dict[str, str] = {}


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not path:
        pytest.fail("Chromium is not installed: `apt-get install -y chromium` (the browser tests need it).")
    return path


def launch_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def ready_stack(local_stack: Any) -> dict[str, Any]:
    """The local stack's settings (.local/stack.json), once the lab samples it loads at start are in."""
    info = dict(local_stack if isinstance(local_stack, dict) else getattr(local_stack, "info", local_stack))
    for sample in sorted((REPO / "samples" / "lab").glob("*.csv")):
        wait_for_report(info, f"{info.get('upload_prefix', 'uploads/')}{sample.name}")
    return info


def open_tab(browser: Browser, viewport: ViewportSize = DESKTOP) -> Iterator[Page]:
    """A fresh browser tab; any JavaScript dialog, uncaught page error or CSP violation fails the test."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    tab = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield tab
    context.close()
    assert not dialogs, f"the page opened a dialog (script ran from data?): {dialogs}"
    assert not errors, f"uncaught errors or CSP violations in the page: {errors}"


# ---------------------------------------------------------------- users


def cognito(stack: dict[str, Any]) -> Any:
    return boto3.client("cognito-idp", endpoint_url=stack["endpoint_url"], region_name=stack["region"])


def new_user(stack: dict[str, Any], *, admin: bool = False, stores: tuple[str, ...] = ("Berlin",)) -> dict[str, Any]:
    """A fresh user with a permanent password (isolated from the demo users' MFA state)."""
    return create_user(stack, admin=admin, stores=() if admin else stores, prefix="boss" if admin else "staff")


def store_of_its_own(stack: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """A store no other test uses, holding the lab's Berlin items (a head-office file), and a manager of it:
    what a test that uploads as a store uses, so the lab stores stay as loaded."""
    store = unique_store(prefix)
    rows = lab_file("berlin").decode().replace("Berlin,", f"{store},").encode()
    report = upload(stack, f"{store}.csv", rows)
    assert report["status"] == "ok", report
    return store, new_user(stack, stores=(store,))


def mfa_settings(stack: dict[str, Any], username: str) -> list[str]:
    """The user's MFA methods as Cognito holds them (not as the page says)."""
    user = cognito(stack).admin_get_user(UserPoolId=stack["user_pool_id"], Username=username)
    return list(user.get("UserMFASettingList") or [])


# ---------------------------------------------------------------- TOTP


def totp(secret: str, at: float | None = None) -> str:
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) an authenticator app shows for this secret now."""
    code = pyotp.TOTP(re.sub(r"\s+", "", secret).upper())
    return str(code.now() if at is None else code.at(at))


def fresh_totp(secret: str) -> str:
    """A code with at least 5 s of its 30 s step left, so it is still valid when the page sends it."""
    if TOTP_STEP_S - time.time() % TOTP_STEP_S < 5:
        time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 0.2)
    return totp(secret)


# ---------------------------------------------------------------- sign-in


def signed_in(page: Page) -> Any:
    """The dashboard shell's heading: visible once signed in, at any width."""
    return page.locator("#view-title")


def enrol_on_page(page: Page, username: str, submit: str) -> str:
    """Complete the enrolment form on screen with a code computed from the key it shows."""
    secret_el = page.locator("#mfa-secret")
    expect(secret_el).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = secret_el.get_attribute("data-secret") or ""
    assert re.sub(r"\s+", "", secret_el.inner_text()) == secret, "the key shown as text is not the key enrolled"
    page.get_by_label("Then enter the 6-digit code the app shows").fill(fresh_totp(secret))
    page.get_by_role("button", name=submit).click()
    TOTP_SECRETS[username] = secret
    return secret


def sign_in(page: Page, stack: dict[str, Any], account: dict[str, Any], path: str = "") -> str:
    """Sign in as a person would, answering the authenticator step (or the required enrolment).

    Returns the step after the password: ``"none"``, ``"code"`` or ``"enrolment"``. The code comes from the
    account's key: the demo admin's ``totp_secret`` from stack.json, or the key a test enrolled on a page.
    """
    page.goto(stack["dashboard_url"].rstrip("/") + "/" + path)
    page.get_by_label("Username").fill(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    shell = signed_in(page)
    code_step = page.get_by_role("heading", name="Enter your authenticator code")
    enrolment = page.get_by_role("heading", name="Set up two-step sign-in")
    expect(shell.or_(code_step).or_(enrolment)).to_be_visible()
    step = "none"
    if code_step.is_visible():
        step = "code"
        secret = TOTP_SECRETS.get(account["username"]) or account.get("totp_secret")
        assert secret, f"{account['username']} has two-step sign-in on, but no authenticator key is known"
        page.get_by_label("Authenticator code", exact=True).fill(fresh_totp(secret))
        page.get_by_role("button", name="Verify and sign in").click()
    elif enrolment.is_visible():
        step = "enrolment"
        secret = enrol_on_page(page, account["username"], "Turn on and continue")
        sign_in_after_enrolment(page, account, secret)
    expect(shell).to_be_visible()
    return step


def sign_in_after_enrolment(page: Page, account: dict[str, Any], secret: str) -> None:
    """Turning two-step sign-in on ends every session begun with the password alone, the page's own too:
    the page asks to sign in again (username kept), and this time with a code."""
    expect(page.get_by_text("Two-step sign-in is on. Sign in again")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value(account["username"])
    # Tokens carry their issue time in whole seconds, and a session reported in the second of its own
    # tokens is cut off at the next second: a person cannot sign in again that fast, a script can.
    time.sleep(1.0)
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authenticator code", exact=True).fill(fresh_totp(secret))
    page.get_by_role("button", name="Verify and sign in").click()


def sign_out(page: Page) -> None:
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_visible()


def go(page: Page, stack: dict[str, Any], hash_path: str) -> None:
    """Open a view by its URL (hash route), as a shared link would."""
    page.goto(stack["dashboard_url"].rstrip("/") + "/" + hash_path)


def stored_strings(page: Page) -> str:
    """Everything the page keeps in web storage and cookies, as one text."""
    return str(
        page.evaluate(
            "() => JSON.stringify({session: {...sessionStorage}, local: {...localStorage}, cookies: document.cookie})"
        )
    )


# ---------------------------------------------------------------- data through the stack


def s3_client(stack: dict[str, Any]) -> Any:
    return boto3.client("s3", endpoint_url=stack["endpoint_url"], region_name=stack["region"])


def used_up(stack: dict[str, Any], store: str, item: str, count: int, per_day: float) -> None:
    """Give ``item`` days of use at ``per_day`` once its Forecast row holds ``count``, as the alerts function
    keeps it after days of daily uploads: a test's uploads come seconds apart, which the model takes for
    corrections, not use, so they cannot teach it a rate. The row's forecast is the model's at that count."""
    client = boto3.client("dynamodb", endpoint_url=stack["endpoint_url"], region_name=stack["region"])
    key = {"Store": {"S": store}, "Item": {"S": item}}

    def held() -> ForecastRow | None:
        found = client.get_item(TableName=stack["forecast_table"], Key=key, ConsistentRead=True).get("Item")
        row = ForecastRow.from_item(found) if found else None
        return row if row is not None and row.state.count == count else None

    row = wait_for(held, f"{item} at {count} in {store}'s forecasts")
    days = 2.0
    state = replace(row.state, consumed=per_day * days, elapsed=days, step=per_day * days, steps=days, spread=0.0)
    state = replace(state, base_count=None, base_at=None)
    client.put_item(
        TableName=stack["forecast_table"], Item=ForecastRow(store, item, state, forecast(state, state.at)).to_item()
    )


def upload(stack: dict[str, Any], name: str, body: bytes, store: str | None = None) -> dict[str, Any]:
    """Put a file in the upload bucket and wait for ingest's report on it.

    Without ``store`` it is a head-office (multi-store) file; with it, a file under that store's prefix,
    as the store's own upload from the dashboard would be (visible to the store's users).
    """
    prefix = stack.get("upload_prefix", "uploads/")
    folder = f"{store_prefix(store, prefix)}cli-{uuid.uuid4().hex[:8]}/" if store else prefix
    key = f"{folder}{name}"
    put = s3_client(stack).put_object(Bucket=stack["bucket"], Key=key, Body=body)
    return wait_for_report(stack, key, str(put["VersionId"]))


def until(check: Callable[[], bool], page: Page, what: str) -> None:
    """Refresh the view until check() holds (data flows through the stack asynchronously).

    A reload signs out (tokens live in memory only), so this presses "Refresh now" instead.
    """

    def shown() -> bool:
        page.wait_for_load_state("networkidle")
        if check():
            return True
        refresh = page.locator("#refresh-now")
        if refresh.is_visible():
            refresh.click()
        else:
            page.evaluate("document.getElementById('refresh-now').click()")
        return False

    wait_for(shown, what)


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def overflowing(page: Page, width: int) -> list[str]:
    """Elements that reach past the right edge of a screen this wide (none may, at any width)."""
    return list(
        page.evaluate(
            """limit => [...document.querySelectorAll('body *')]
                .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > limit + 1)
                .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)""",
            width,
        )
    )


# ---------------------------------------------------------------- the API, as a script would call it


def api_call(
    stack: dict[str, Any], token: str, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any] | None]:
    """(status, JSON body or None) of one dashboard API request with the given ID token."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{stack['api_url']}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def id_token(stack: dict[str, Any], user: dict[str, Any]) -> str:
    """The user's ID token from a sign-in outside the page (answering TOTP with the user's key)."""
    account = {**user, "totp_secret": TOTP_SECRETS.get(user["username"]) or user.get("totp_secret")}
    return conftest_sign_in(stack, account)["IdToken"]


def texts_to(stack: dict[str, Any], number: str) -> list[str]:
    """What the API texted straight to a phone number, oldest first: the emulator keeps every SNS Publish to
    a number (moto's SMS records, served at /moto-api/data.json)."""
    with urllib.request.urlopen(f"{stack['endpoint_url']}/moto-api/data.json", timeout=60) as response:
        models = json.loads(response.read())
    return [sms["message"] for sms in models.get("sns", {}).get("SMS", []) if sms.get("phone_number") == number]


def texted_code(stack: dict[str, Any], number: str) -> str:
    """The 6-digit code last texted to a number."""
    texts = texts_to(stack, number)
    assert texts, f"nothing was texted to {number}"
    match = re.search(r"\b(\d{6})\b", texts[-1])
    assert match, texts[-1]
    return match.group(1)
