"""The dashboard in headless Chromium against the local stack, driven as its users drive it.

Needs Debian's ``chromium``: a missing browser fails these tests, it never skips them.
Screenshots of the main views are taken on every run; with INVENTORY_SCREENSHOTS=1 they replace the
README's pictures in docs/screenshots/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import boto3
import pytest
from inventory.history import history_key, history_sort_key
from inventory.models import iso_utc
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, expect, sync_playwright

from tests.builders import csv_file

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
# The README's pictures are refreshed only on request (INVENTORY_SCREENSHOTS=1), so an ordinary
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
INGEST_TIMEOUT_S = 90


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not path:
        pytest.fail("Chromium is not installed: `apt-get install -y chromium` (the browser tests need it).")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> dict[str, Any]:
    """The local stack's settings (.local/stack.json), once the lab samples it loads at start are in."""
    info = dict(local_stack if isinstance(local_stack, dict) else getattr(local_stack, "info", local_stack))
    s3 = s3_client(info)
    for sample in sorted((REPO / "samples" / "lab").glob("*.csv")):
        wait_for_report(s3, info, f"{info.get('upload_prefix', 'uploads/').rstrip('/')}/{sample.name}")
    return info


def user(stack: dict[str, Any], *, admin: bool, stores: list[str] | None = None) -> dict[str, Any]:
    for candidate in stack["users"]:
        if bool(candidate.get("admin")) == admin and (
            stores is None or sorted(candidate.get("stores") or []) == stores
        ):
            return dict(candidate)
    raise AssertionError(f"the local stack has no demo user with admin={admin} stores={stores}: {stack['users']}")


@pytest.fixture
def admin(stack: dict[str, Any]) -> dict[str, Any]:
    return user(stack, admin=True)


@pytest.fixture
def berlin_manager(stack: dict[str, Any]) -> dict[str, Any]:
    return user(stack, admin=False, stores=["Berlin"])


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab; any JavaScript dialog or uncaught page error fails the test."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    tab = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not dialogs, f"the page opened a dialog (script ran from data?): {dialogs}"
    assert not errors, f"uncaught errors in the page: {errors}"


# ---------------------------------------------------------------- helpers


def sign_in(page: Page, stack: dict[str, Any], account: dict[str, Any], path: str = "") -> None:
    page.goto(stack["dashboard_url"].rstrip("/") + "/" + path)
    page.get_by_label("Username").fill(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def go(page: Page, stack: dict[str, Any], hash_path: str) -> None:
    """Open a view by its URL (hash route), as a shared link would."""
    page.goto(stack["dashboard_url"].rstrip("/") + "/" + hash_path)


def view_link(view: str, **params: str) -> str:
    """A dashboard link, encoded as the dashboard itself encodes it."""
    return f"#/{view}?{urlencode(params)}"


def s3_client(stack: dict[str, Any]) -> Any:
    return boto3.client("s3", endpoint_url=stack["endpoint_url"], region_name=stack["region"])


def upload(stack: dict[str, Any], name: str, body: bytes) -> dict[str, Any]:
    """Put a file in the upload bucket and wait for ingest's report on it."""
    s3 = s3_client(stack)
    key = f"{stack.get('upload_prefix', 'uploads/').rstrip('/')}/{name}"
    s3.put_object(Bucket=stack["bucket"], Key=key, Body=body)
    return wait_for_report(s3, stack, key)


def wait_for_report(s3: Any, stack: dict[str, Any], key: str) -> dict[str, Any]:
    report_key = f"{stack.get('reports_prefix', 'reports/').rstrip('/')}/{key}.json"
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            report = s3.get_object(Bucket=stack["bucket"], Key=report_key)["Body"].read()
            return dict(json.loads(report))
        except s3.exceptions.NoSuchKey:
            time.sleep(0.5)
    raise AssertionError(f"no ingest report for {key} after {INGEST_TIMEOUT_S} s")


def until(check: Callable[[], bool], page: Page, what: str, timeout_s: float = 60) -> None:
    """Reload the page until check() holds (data flows through the stack asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.wait_for_load_state("networkidle")
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)
        page.reload()


def card_stores(page: Page) -> list[str]:
    expect(page.locator(".store-card").first).to_be_visible()
    return page.locator(".store-card h3").all_text_contents()


def table_column(page: Page, column: str) -> list[str]:
    return page.locator(f"#view table tbody [data-column='{column}']").all_text_contents()


def counts(page: Page) -> list[int]:
    return [int(text.replace(",", "")) for text in table_column(page, "count")]


def wait_for_rows(page: Page) -> None:
    expect(page.locator("#view table")).to_have_attribute("aria-busy", "false")


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def tamper_session(page: Page, *, expire_id_token: bool = False, refresh_token: str | None = None) -> None:
    """Change the stored session as time or a revoked token would."""
    session = json.loads(page.evaluate("sessionStorage.getItem('inventory.session')"))
    if expire_id_token:
        header, payload, signature = session["idToken"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["exp"] = int(time.time()) - 3600
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        session["idToken"] = f"{header}.{payload}.{signature}"
    if refresh_token is not None:
        session["refreshToken"] = refresh_token
    page.evaluate("value => sessionStorage.setItem('inventory.session', value)", json.dumps(session))


# ---------------------------------------------------------------- sign-in and who sees what


def test_wrong_password_is_refused_with_a_clear_message(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    page.goto(stack["dashboard_url"])
    page.get_by_label("Username").fill(admin["username"])
    page.get_by_label("Password").fill(admin["password"] + "-wrong")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert "password" not in (page.evaluate("JSON.stringify(sessionStorage)") or "").lower()


def test_admin_sees_every_store(page: Page, stack: dict[str, Any], admin: dict[str, Any]) -> None:
    sign_in(page, stack, admin)

    stores = card_stores(page)
    assert {"Berlin", "Karachi", "Calcutta"} <= set(stores), stores
    expect(page.locator("svg.chart-bars")).to_be_visible()
    shoot(page, "overview", full_page=True)


def test_berlin_manager_sees_only_berlin(page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]) -> None:
    sign_in(page, stack, berlin_manager)

    assert card_stores(page) == ["Berlin"]
    go(page, stack, "#/alerts")
    wait_for_rows(page)
    assert set(table_column(page, "store")) <= {"Berlin"}
    expect(page.locator("#alerts-store option")).to_have_text(["All my stores", "Berlin"])

    # A shared link to another store's items shows a refusal, not Karachi's data.
    go(page, stack, "#/items?store=Karachi")
    expect(page.get_by_role("alert")).to_contain_text("access")
    expect(page.locator("#view table tbody")).not_to_contain_text("Echo")


def test_first_sign_in_asks_for_a_new_password(page: Page, stack: dict[str, Any]) -> None:
    username = f"newcomer-{uuid.uuid4().hex[:6]}"
    cognito = boto3.client("cognito-idp", endpoint_url=stack["endpoint_url"], region_name=stack["region"])
    cognito.admin_create_user(
        UserPoolId=stack["user_pool_id"],
        Username=username,
        TemporaryPassword="Temp-Passw0rd!2024",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:stores", "Value": "Berlin"}],
    )
    page.goto(stack["dashboard_url"])
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("Temp-Passw0rd!2024")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("Fresh-Passw0rd!2024")
    page.get_by_label("Repeat the new password").fill("Different-Passw0rd!2024")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The two passwords do not match.")
    page.get_by_label("Repeat the new password").fill("Fresh-Passw0rd!2024")
    page.get_by_role("button", name="Set password and sign in").click()

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert card_stores(page) == ["Berlin"]


def test_sign_out_forgets_the_session(page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]) -> None:
    sign_in(page, stack, berlin_manager)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_label("Username")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('inventory.session')") is None
    page.reload()
    expect(page.get_by_label("Username")).to_be_visible()


# ---------------------------------------------------------------- items: filter, sort, page, export


@pytest.fixture(scope="module")
def big_store(stack: dict[str, Any]) -> str:
    """A store with 130 items (every 10th out of stock, every 7th low), loaded through the upload bucket."""
    store = f"Depot {uuid.uuid4().hex[:6]}"
    rows = [(store, f"Part {n:03d}", 0 if n % 10 == 0 else 3 if n % 7 == 0 else 20 + n) for n in range(130)]
    report = upload(stack, f"{store}.csv", csv_file(rows))
    assert report["rows"]["accepted"] == 130, report
    return store


def test_items_page_through_a_large_store(
    page: Page, stack: dict[str, Any], admin: dict[str, Any], big_store: str
) -> None:
    sign_in(page, stack, admin)
    go(page, stack, f"#/items?store={big_store}&limit=50")
    wait_for_rows(page)
    next_page = page.get_by_role("button", name="Next page")

    seen = list(table_column(page, "item"))
    assert len(seen) == 50
    for expected in (50, 30):
        next_page.click()
        expect(page.get_by_text(re.compile(r"^Page \d$"))).to_have_text(f"Page {len(seen) // 50 + 1}")
        wait_for_rows(page)
        assert len(table_column(page, "item")) == expected
        seen += table_column(page, "item")
    expect(next_page).to_be_disabled()
    assert sorted(seen) == [f"Part {n:03d}" for n in range(130)]

    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_text("Page 2", exact=True)).to_be_visible()
    wait_for_rows(page)
    assert table_column(page, "item") == seen[50:100]
    shoot(page, "items")


def test_items_filter_by_status_and_search(
    page: Page, stack: dict[str, Any], admin: dict[str, Any], big_store: str
) -> None:
    sign_in(page, stack, admin)
    go(page, stack, f"#/items?store={big_store}")
    wait_for_rows(page)

    page.get_by_label("Status").select_option("out")
    expect(page).to_have_url(re.compile(r"status=out"))
    wait_for_rows(page)
    assert table_column(page, "item") == [f"Part {n:03d}" for n in range(0, 130, 10)]
    assert set(table_column(page, "status")) == {"Out of stock"}

    page.get_by_label("Search").fill("Part 07")
    expect(page).to_have_url(re.compile(r"q=Part\+07"))
    wait_for_rows(page)
    assert table_column(page, "item") == ["Part 070"]

    # The URL carries the filters: a reload (or a shared link) shows the same view.
    page.reload()
    wait_for_rows(page)
    assert table_column(page, "item") == ["Part 070"]
    expect(page.get_by_label("Search")).to_have_value("Part 07")
    expect(page.get_by_label("Status")).to_have_value("out")


def test_items_sort_by_count_and_export_the_view(
    page: Page, stack: dict[str, Any], admin: dict[str, Any], big_store: str
) -> None:
    sign_in(page, stack, admin)
    go(page, stack, f"#/items?store={big_store}")
    wait_for_rows(page)
    page.get_by_label("Rows per page").select_option("all")  # sort the whole store, not one page
    expect(page.get_by_text("All 130 items.")).to_be_visible()

    page.get_by_role("button", name="Count").click()
    expect(page.locator("th[data-column='count']")).to_have_attribute("aria-sort", "ascending")
    ascending = counts(page)
    assert ascending == sorted(ascending)
    assert ascending[0] == 0
    page.get_by_role("button", name="Count").press("Enter")  # keyboard works as well as the mouse
    expect(page.locator("th[data-column='count']")).to_have_attribute("aria-sort", "descending")
    shown = counts(page)
    assert shown == sorted(shown, reverse=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "store,item,count,threshold,status,updated_at,source_key"
    assert len(shown) == 130
    assert [int(line.split(",")[2]) for line in lines[1:]] == shown


# ---------------------------------------------------------------- history, uploads, hostile names


def test_item_history_shows_the_count_over_time(page: Page, stack: dict[str, Any], admin: dict[str, Any]) -> None:
    store = f"History {uuid.uuid4().hex[:6]}"
    for step, count in enumerate((12, 9, 4, 0)):
        upload(stack, f"{store}-{step}.csv", csv_file([(store, "Echo Dot", count), (store, "Echo Show", 20 - step)]))
    sign_in(page, stack, admin)
    go(page, stack, f"#/items?store={store}")
    wait_for_rows(page)
    page.get_by_role("link", name="Echo Dot").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Echo Dot · {store}")
    rows = page.locator("#view section").filter(has_text="Changes").locator("tbody tr")
    until(lambda: rows.count() >= 4, page, "four history points")
    expect(page.locator("svg.chart-history")).to_be_visible()
    expect(page.locator("svg.chart-history circle")).to_have_count(4)
    # Newest first: 4 -> 0, 9 -> 4, 12 -> 9, then the item's arrival at 12.
    assert [row.locator("td").all_text_contents() for row in rows.all()] == [
        ["4", "0", "-4"],
        ["9", "4", "-5"],
        ["12", "9", "-3"],
        ["new", "12", ""],
    ]


def test_rejected_upload_shows_its_errors_with_line_numbers(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    name = f"berlin-{uuid.uuid4().hex[:6]}.csv"
    body = b"store,item,count\nBerlin,Echo Dot,12\nBerlin,Echo Show,lots\nBerlin,,3\n"
    report = upload(stack, name, body)
    assert report["rows"]["rejected"] == 2, report
    sign_in(page, stack, berlin_manager)
    go(page, stack, "#/uploads?store=Berlin")

    card = page.locator("li.upload").filter(has_text=name)
    until(lambda: card.count() == 1, page, f"{name} in the uploads list")
    expect(card.locator(".badge")).to_have_text(re.compile("rejected", re.IGNORECASE))
    expect(card.locator(".upload-rows div").filter(has_text="Rejected").locator("dd")).to_have_text("2")
    errors = card.locator(".error-list li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("Line 3")
    expect(errors.nth(1)).to_contain_text("Line 4")
    shoot(page, "uploads")


def test_hostile_names_are_shown_literally_and_run_nothing(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    hostile_item = "<img src=x onerror=alert(1)>"
    hostile_store = f"<b onmouseover=alert(2)>Night shop {uuid.uuid4().hex[:4]}"
    rows = [(hostile_store, hostile_item, 1), (hostile_store, "Echo Dot", 9)]
    upload(stack, f"night-shop-{uuid.uuid4().hex[:6]}.csv", csv_file(rows))
    sign_in(page, stack, admin)

    expect(page.locator(".store-card h3").filter(has_text=hostile_store)).to_have_text(hostile_store)
    go(page, stack, view_link("items", store=hostile_store))
    wait_for_rows(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Items in {hostile_store}")
    expect(page.get_by_role("link", name=hostile_item)).to_be_visible()
    go(page, stack, "#/alerts")
    wait_for_rows(page)
    expect(page.get_by_role("link", name=hostile_item)).to_be_visible()
    expect(page.locator("#view table tbody")).to_contain_text(hostile_store)
    go(page, stack, view_link("overview", store=hostile_store))
    expect(page.locator("svg.chart-bars")).to_contain_text("<img src=x")
    page.locator(".store-card h3").filter(has_text=hostile_store).hover()
    page.wait_for_timeout(500)  # give an injected handler the chance to fire (the page fixture fails on a dialog)
    assert page.locator("img, b").count() == 0, "markup from data was parsed into elements"


# ---------------------------------------------------------------- session lifetime


def test_expired_id_token_is_renewed_silently(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    sign_in(page, stack, berlin_manager)
    before = page.evaluate("JSON.parse(sessionStorage.getItem('inventory.session')).idToken")
    tamper_session(page, expire_id_token=True)

    page.get_by_role("button", name="Refresh now").click()

    expect(page.locator("#updated-status")).to_contain_text("Updated")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    after = page.evaluate("JSON.parse(sessionStorage.getItem('inventory.session')).idToken")
    assert after != before
    assert card_stores(page) == ["Berlin"]


def test_expired_session_returns_to_sign_in_and_back(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    sign_in(page, stack, berlin_manager)
    go(page, stack, "#/items?store=Berlin&status=out")
    wait_for_rows(page)
    tamper_session(page, expire_id_token=True, refresh_token="revoked")

    page.get_by_role("button", name="Refresh now").click()

    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your session has expired. Please sign in again.")
    assert page.evaluate("sessionStorage.getItem('inventory.session')") is None
    page.get_by_label("Username").fill(berlin_manager["username"])
    page.get_by_label("Password").fill(berlin_manager["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"#/items\?store=Berlin&status=out$"))
    wait_for_rows(page)
    assert set(table_column(page, "status")) <= {"Out of stock"}


def test_auto_refresh_can_be_paused(page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]) -> None:
    sign_in(page, stack, berlin_manager)
    status = page.locator("#updated-status")
    expect(status).to_have_text(re.compile(r"Updated \d+ s ago"))
    pause = page.get_by_role("button", name="Pause auto-refresh")

    pause.click()

    resume = page.get_by_role("button", name="Resume auto-refresh")
    expect(resume).to_have_attribute("aria-pressed", "true")
    expect(status).to_contain_text("paused")
    resume.click()
    expect(page.get_by_role("button", name="Pause auto-refresh")).to_have_attribute("aria-pressed", "false")


def tab_to(page: Page, role: Literal["link", "button"], name: str, limit: int = 40) -> None:
    """Press Tab until the element with this role and name has the focus."""
    target = page.get_by_role(role, name=name, exact=True)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{role} {name!r} cannot be reached with the Tab key")


def test_keyboard_alone_signs_in_navigates_and_sorts(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    page.goto(stack["dashboard_url"])
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(berlin_manager["username"])
    page.keyboard.press("Tab")
    page.keyboard.type(berlin_manager["password"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_focused()

    tab_to(page, "link", "Items")
    focus = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")

    assert focus == "solid", "the focused link shows no focus ring"
    expect(page.get_by_role("heading", level=1, name="Items in Berlin")).to_be_focused()
    wait_for_rows(page)
    tab_to(page, "button", "Count")
    page.keyboard.press("Enter")
    expect(page.locator("th[data-column='count']")).to_have_attribute("aria-sort", "ascending")
    ascending = counts(page)
    assert ascending == sorted(ascending)


# ---------------------------------------------------------------- layout


def seed_week_of_history(stack: dict[str, Any], store: str, item: str, counts: list[int]) -> None:
    """Replace an item's history by a week of changes (the alerts service's format), for the README view."""
    dynamodb = boto3.client("dynamodb", endpoint_url=stack["endpoint_url"], region_name=stack["region"])
    table, key = stack["history_table"], history_key(store, item)
    deadline = time.monotonic() + 60
    while True:  # the alerts service records the upload's change asynchronously: let it land first
        written = dynamodb.query(
            TableName=table, KeyConditionExpression="StoreItem = :k", ExpressionAttributeValues={":k": {"S": key}}
        )["Items"]
        if written or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for entry in written:
        dynamodb.delete_item(TableName=table, Key={"StoreItem": entry["StoreItem"], "At": entry["At"]})
    now = datetime.now(UTC)
    step = timedelta(days=7) / len(counts)
    for index, count in enumerate(counts):
        moment = iso_utc(now - timedelta(days=7) + step * (index + 1) - timedelta(minutes=5))
        attributes = {
            "StoreItem": {"S": key},
            "At": {"S": history_sort_key(moment, f"{index:021d}")},
            "Store": {"S": store},
            "Item": {"S": item},
            "Time": {"S": moment},
            "NewCount": {"N": str(count)},
            "ExpiresAt": {"N": str(int(now.timestamp()) + 86400)},
        }
        if index:
            attributes["OldCount"] = {"N": str(counts[index - 1])}
        dynamodb.put_item(TableName=table, Item=attributes)


def test_views_for_the_readme_and_a_phone_width(page: Page, stack: dict[str, Any], admin: dict[str, Any]) -> None:
    store = f"Showroom {uuid.uuid4().hex[:4]}"
    week = [24, 21, 18, 15, 15, 11, 30, 26, 19, 12, 7, 3, 0]
    upload(stack, f"{store}.csv", csv_file([(store, "Echo Dot", week[-1]), (store, "Echo Show", 14)]))
    seed_week_of_history(stack, store, "Echo Dot", week)
    sign_in(page, stack, admin)
    go(page, stack, "#/alerts")
    wait_for_rows(page)
    shoot(page, "alerts")
    go(page, stack, f"#/item?store={store}&item=Echo+Dot")
    expect(page.locator("svg.chart-history circle")).to_have_count(len(week))
    shoot(page, "item-history")

    page.set_viewport_size(PHONE)
    go(page, stack, "#/items?store=Berlin")
    wait_for_rows(page)
    # Nothing but the table's own scroller is wider than the screen.
    too_wide = page.evaluate(
        """limit => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit + 1 && !e.closest('.table-wrap'))
            .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)""",
        PHONE["width"],
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], too_wide
    shoot(page, "items-phone", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.set_viewport_size(DESKTOP)
    expect(page.get_by_label("Username")).to_be_visible()
    shoot(page, "sign-in")
