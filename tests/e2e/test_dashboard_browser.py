"""The dashboard in headless Chromium against the local stack, driven as its users drive it.

Needs Debian's ``chromium``: a missing browser fails these tests, it never skips them.
Screenshots of the main views are taken on every run; with INVENTORY_SCREENSHOTS=1 they replace the
README's pictures in docs/screenshots/.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import boto3
import pytest
from inventory.history import history_key, history_sort_key
from inventory.models import iso_utc
from playwright.sync_api import Page, Request, expect

from tests.builders import csv_file
from tests.e2e.dashboard_kit import (
    DESKTOP,
    PHONE,
    cognito,
    go,
    new_user,
    overflowing,
    shoot,
    sign_in,
    sign_out,
    signed_in,
    store_of_its_own,
    stored_strings,
    until,
    upload,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


# ---------------------------------------------------------------- helpers


def view_link(view: str, **params: str) -> str:
    """A dashboard link, encoded as the dashboard itself encodes it."""
    return f"#/{view}?{urlencode(params)}"


def store_names(page: Page) -> list[str]:
    """The stores the overview lists: cards for a few stores, the head-office table otherwise."""
    shown = page.locator(".store-card h3:visible, .head-office tbody th:visible")
    expect(shown.first).to_be_visible()
    return shown.all_text_contents()


def table_column(page: Page, column: str) -> list[str]:
    return page.locator(f"#view table tbody [data-column='{column}']").all_text_contents()


def counts(page: Page) -> list[int]:
    return [int(text.replace(",", "")) for text in table_column(page, "count")]


def wait_for_rows(page: Page) -> None:
    expect(page.locator("#view table")).to_have_attribute("aria-busy", "false", timeout=20_000)


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
    assert "password" not in stored_strings(page).lower()


def test_admin_sees_every_store(page: Page, stack: dict[str, Any], admin: dict[str, Any]) -> None:
    # The demo admin has two-step sign-in on (the API treats admins without it as none): password, then code
    assert sign_in(page, stack, admin) == "code"

    stores = store_names(page)
    assert {"Berlin", "Karachi", "Calcutta"} <= set(stores), stores
    expect(page.locator("svg.chart-bars")).to_be_visible()
    shoot(page, "overview", full_page=True)


def test_berlin_manager_sees_only_berlin(page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]) -> None:
    sign_in(page, stack, berlin_manager)

    assert store_names(page) == ["Berlin"]
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
    cognito(stack).admin_create_user(
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
    assert store_names(page) == ["Berlin"]


def test_sign_out_forgets_the_session(page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]) -> None:
    sign_in(page, stack, berlin_manager)
    sign_out(page)

    assert "eyJ" not in stored_strings(page), "a token was left in web storage"
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
    sign_in(page, stack, admin, path=f"#/items?store={big_store}&limit=50")
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

    # The URL carries the filters: a reload (which asks for a sign-in, the tokens being in memory
    # only) or a shared link shows the same view.
    url = page.url
    page.reload()
    expect(page.get_by_label("Username")).to_be_visible()
    sign_in(page, stack, admin, path=url.split("/", 3)[3])
    expect(page).to_have_url(url)
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
    assert lines[0] == "store,item,count,threshold,status,days_left,updated_at,source_key"
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


def test_rejected_upload_shows_its_errors_with_line_numbers(page: Page, stack: dict[str, Any]) -> None:
    store, manager = store_of_its_own(stack, "Berlin")  # the lab's Berlin stays as loaded
    name = f"berlin-{uuid.uuid4().hex[:6]}.csv"
    body = f"store,item,count\n{store},Echo Dot,12\n{store},Echo Show,lots\n{store},,3\n".encode()
    report = upload(stack, name, body, store=store)  # the store's own upload: its users see it
    assert report["rows"]["rejected"] == 2, report
    sign_in(page, stack, manager)
    go(page, stack, view_link("uploads", store=store))

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

    expect(page.locator(".head-office tbody th").filter(has_text=hostile_store)).to_have_text(hostile_store)
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
    page.locator(".head-office tbody th").filter(has_text=hostile_store).hover()
    page.wait_for_timeout(500)  # give an injected handler the chance to fire (the page fixture fails on a dialog)
    assert page.locator("img, b").count() == 0, "markup from data was parsed into elements"


# ---------------------------------------------------------------- session lifetime


def cognito_calls(page: Page) -> list[tuple[str, str]]:
    """(action, body) of every call the page makes to Cognito, as they happen."""
    calls: list[tuple[str, str]] = []

    def on_request(request: Request) -> None:
        target = request.headers.get("x-amz-target", "")
        if target.startswith("AWSCognitoIdentityProviderService."):
            calls.append((target.split(".", 1)[1], request.post_data or ""))

    page.on("request", on_request)
    return calls


def refresh_now(page: Page) -> None:
    """Press "Refresh now", unless the auto-refresh that a jump of the clock fires has already ended the session."""
    page.evaluate("document.getElementById('refresh-now')?.click()")


def test_expired_id_token_is_renewed_silently(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    page.clock.install()
    calls = cognito_calls(page)
    sign_in(page, stack, berlin_manager)
    expect(page.locator("#updated-status")).to_contain_text("Updated")

    page.clock.fast_forward("02:00:00")  # the one-hour ID token is now past its expiry
    refresh_now(page)

    expect(page.locator("#updated-status")).to_have_text(re.compile(r"^Updated \d+ s ago$"))
    assert any(action == "InitiateAuth" and "REFRESH_TOKEN_AUTH" in body for action, body in calls), calls
    expect(signed_in(page)).to_be_visible()
    assert store_names(page) == ["Berlin"]
    assert "eyJ" not in stored_strings(page), "the renewed tokens went to web storage"


def test_expired_session_returns_to_sign_in_and_back(page: Page, stack: dict[str, Any]) -> None:
    berlin_manager = new_user(stack, stores=("Berlin",))  # signed out everywhere below: not the demo manager
    page.clock.install()
    sign_in(page, stack, berlin_manager)
    go(page, stack, "#/items?store=Berlin&status=out")
    wait_for_rows(page)
    # Head office signs the user out everywhere: the refresh token stops working.
    cognito(stack).admin_user_global_sign_out(UserPoolId=stack["user_pool_id"], Username=berlin_manager["username"])
    page.clock.fast_forward("02:00:00")

    refresh_now(page)

    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "You were signed out: your session has expired. Please sign in again."
    )
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
    # The alerts service records the upload's change asynchronously, then marks it announced: let both land
    # first, so nothing the service writes afterwards meets the seeded rows.
    while True:
        written = dynamodb.query(
            TableName=table, KeyConditionExpression="StoreItem = :k", ExpressionAttributeValues={":k": {"S": key}}
        )["Items"]
        if (written and all("AnnouncedAt" in entry for entry in written)) or time.monotonic() > deadline:
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
    # Nothing is wider than the screen: rows are cards, not a table that scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], overflowing(page, PHONE["width"])
    shoot(page, "items-phone", full_page=True)

    sign_out(page)
    page.set_viewport_size(DESKTOP)
    expect(page.get_by_label("Username")).to_be_visible()
    shoot(page, "sign-in")
