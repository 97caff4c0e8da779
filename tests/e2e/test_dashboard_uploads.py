"""Uploading from the dashboard, and the API documentation, in headless Chromium against the local stack.

The whole upload (grant, presigned POST to the emulator's bucket with upload progress, ingest's report
with a rejected line) needs the upload grants of the dashboard API, store-scoped ingest and the
emulator's CORS for the dashboard's origin.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Browser, Locator, Page, Request, Route, expect

from tests.e2e.dashboard_kit import (
    PHONE,
    api_call,
    go,
    id_token,
    open_tab,
    overflowing,
    shoot,
    sign_in,
    store_of_its_own,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def requests_to(page: Page, pattern: str) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request) if re.search(pattern, request.url) else None)
    return seen


def choose_file(page: Page, name: str, body: bytes) -> None:
    page.get_by_label("Choose a file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": body})


def test_a_store_uploads_a_file_and_sees_the_report_with_its_rejected_lines(page: Page, stack: dict[str, Any]) -> None:
    # A store of its own and its manager: the upload changes that store only, never the lab's Berlin
    store, manager = store_of_its_own(stack, "Berlin")
    name = f"Berlin-{uuid.uuid4().hex[:6]}.CSV"  # an upper-case extension, as spreadsheet programs save it
    body = f"store,item,count\n{store},Echo Dot,7\nKarachi,Echo Dot,0\n{store},Echo Show,lots\n".encode()
    sign_in(page, stack, manager, path=f"#/uploads?{urlencode({'store': store})}")
    expect(page.get_by_label("Upload for")).to_have_value(store)
    choose_file(page, name, body)
    expect(page.locator("#upload-chosen")).to_have_text(re.compile(re.escape(name)))

    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.locator("#upload-progress")).to_have_attribute("value", "100")
    status = page.locator(".upload-status")
    expect(status).to_have_attribute("aria-live", "polite")
    # A dry run first: what the file will change, before anything is loaded
    expect(status).to_have_text(
        f"{name}: dry run done, nothing is loaded yet. It will change 1 item: 0 newly out of stock, 0 retired."
        " 2 rows are rejected (listed below) and will not load. Apply it, or discard it.",
        timeout=90_000,
    )
    dry_run = page.locator(".upload-result article.upload")
    expect(dry_run.locator(".badge")).to_have_text("Waiting for confirmation")
    expect(dry_run.locator(".upload-plan dd").first).to_have_text("1")
    dry_run.get_by_role("button", name="Apply").click()

    expect(status).to_have_text(f"{name}: Partly rejected. 3 rows read, 1 accepted, 2 rejected.", timeout=90_000)
    report = page.locator(".upload-result article.upload")
    expect(report.locator(".upload-rows div").filter(has_text="Rejected").locator("dd")).to_have_text("2")
    errors = report.locator(".error-list li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("Line 3")
    expect(errors.nth(0)).to_contain_text("Karachi")
    expect(errors.nth(1)).to_contain_text("Line 4")

    listed = page.locator("ol.uploads li.upload").filter(has_text=name)
    expect(listed).to_have_count(1)
    expect(listed.locator(".upload-store")).to_have_text(store)
    expect(listed.locator(".upload-by")).to_have_text(f"by {manager['username']}")
    expect(listed.locator(".badge")).to_have_text("Partly rejected")
    shoot(page, "upload", full_page=True)


def counts(stack: dict[str, Any], manager: dict[str, Any], store: str) -> dict[str, int]:
    status, body = api_call(stack, id_token(stack, manager), "GET", f"/stores/{quote(store, safe='')}/items?limit=100")
    assert status == 200, body
    assert body is not None
    return {item["item"]: item["count"] for item in body["items"]}


def held_in_the_list(page: Page, stack: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any], Locator]:
    """A store's manager sends a file that would put every item out of stock: it is held, and the Uploads
    list shows it with what it would change."""
    store, manager = store_of_its_own(stack, prefix)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}.csv"
    zeros = "store,item,count\n" + "".join(f"{store},{item},0\n" for item in counts(stack, manager, store))
    sign_in(page, stack, manager, path=f"#/uploads?{urlencode({'store': store})}")
    choose_file(page, name, zeros.encode())
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".upload-status")).to_contain_text(f"{name}: dry run done", timeout=90_000)
    listed = page.locator("ol.uploads li.upload").filter(has_text=name)
    expect(listed.locator(".badge")).to_have_text("Waiting for confirmation")
    # The lab's six items, one of them out of stock already: the listing says it in the reason (the index's
    # listings do not carry the plan; the upload's own view does)
    plan = page.locator(".upload-result .upload-plan div").filter(has_text="Newly out of stock").locator("dd")
    expect(plan).to_have_text("5")
    expect(listed.locator(".upload-reason")).to_contain_text(
        "Dry run: it would change 5 items (5 newly out of stock, 0 retired); nothing was loaded."
    )
    return store, manager, listed


def test_a_held_file_is_applied_from_the_uploads_list(page: Page, stack: dict[str, Any]) -> None:
    store, manager, listed = held_in_the_list(page, stack, "Held")
    assert set(counts(stack, manager, store).values()) != {0}

    listed.get_by_role("button", name="Apply").click()

    expect(listed.locator(".badge")).to_have_text("Loaded", timeout=90_000)
    expect(listed.get_by_role("button", name="Apply")).to_have_count(0)
    assert set(counts(stack, manager, store).values()) == {0}
    shoot(page, "upload-applied", full_page=True)


def test_an_applied_file_is_undone_from_the_uploads_list(page: Page, stack: dict[str, Any]) -> None:
    store, manager, listed = held_in_the_list(page, stack, "Undo")
    before = counts(stack, manager, store)
    listed.get_by_role("button", name="Apply").click()
    expect(listed.locator(".badge")).to_have_text("Loaded", timeout=90_000)
    assert set(counts(stack, manager, store).values()) == {0}

    listed.get_by_role("button", name="Undo").click()

    expect(listed.locator(".badge")).to_have_text("Undone", timeout=90_000)
    undone_by = f"Undone by {manager['username']}: 5 items put back as they were"
    expect(listed.locator(".upload-reason")).to_contain_text(undone_by)
    expect(listed.get_by_role("button", name="Undo")).to_have_count(0)
    assert counts(stack, manager, store) == before


def test_a_held_file_is_discarded_from_the_uploads_list(page: Page, stack: dict[str, Any]) -> None:
    store, manager, listed = held_in_the_list(page, stack, "Discard")
    before = counts(stack, manager, store)

    listed.get_by_role("button", name="Discard").click()

    expect(listed.locator(".badge")).to_have_text("Discarded", timeout=90_000)
    expect(listed.locator(".upload-reason")).to_contain_text(f"Discarded by {manager['username']}: nothing was loaded.")
    assert counts(stack, manager, store) == before


def test_a_file_the_inventory_cannot_read_is_refused_before_anything_is_sent(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    grants = requests_to(page, r"/uploads$")
    sign_in(page, stack, berlin_manager, path="#/uploads?store=Berlin")

    choose_file(page, "notes.txt", b"store,item,count\n")
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"“notes\.txt” is not a file the inventory can read"))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".upload-status")).to_contain_text("is not a file the inventory can read")

    choose_file(page, "empty.csv", b"")
    expect(page.get_by_role("alert")).to_have_text("“empty.csv” is empty.")
    assert [r for r in grants if r.method == "POST"] == []


def test_a_file_over_the_grants_size_limit_is_not_sent_to_storage(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    """The grant's max_bytes is checked in the page; here the grant is answered with a tiny limit."""
    storage = requests_to(page, r"storage\.invalid")

    def small_grant(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        route.fulfill(
            status=201,
            content_type="application/json",
            body=json.dumps(
                {
                    "url": "http://storage.invalid/bucket",
                    "fields": {"key": "uploads/stores/Berlin/x/stock.csv"},
                    "key": "uploads/stores/Berlin/x/stock.csv",
                    "expires_at": "2099-01-01T00:00:00Z",
                    "max_bytes": 10,
                }
            ),
        )

    page.route(re.compile(r"/api/stores/Berlin/uploads$"), small_grant)
    sign_in(page, stack, berlin_manager, path="#/uploads?store=Berlin")
    choose_file(page, "stock.csv", b"store,item,count\nBerlin,Echo Dot,7\n")
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text(
        "“stock.csv” is 35 bytes; the limit is 10 bytes. Split it into smaller files."
    )
    assert storage == []


def test_the_upload_view_works_at_phone_width_and_by_keyboard(
    browser: Browser, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    for phone in open_tab(browser, PHONE):
        sign_in(phone, stack, berlin_manager, path="#/uploads?store=Berlin")
        expect(phone.get_by_role("heading", name="Upload a file")).to_be_visible()
        upload_button = phone.get_by_role("button", name="Upload", exact=True)
        expect(upload_button).to_be_enabled()  # once the stores the user may upload to are known
        phone.get_by_label("Choose a file").focus()
        phone.keyboard.press("Tab")
        expect(phone.get_by_label("This file is the full list")).to_be_focused()
        phone.keyboard.press("Space")
        expect(phone.get_by_label("This file is the full list")).to_be_checked()
        phone.keyboard.press("Tab")
        expect(phone.get_by_label("Remember for this store")).to_be_focused()
        phone.keyboard.press("Tab")
        expect(upload_button).to_be_focused()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], overflowing(
            phone, PHONE["width"]
        )


def test_signed_in_users_browse_the_api_documentation_and_try_a_route(
    page: Page, stack: dict[str, Any], berlin_manager: dict[str, Any]
) -> None:
    api_calls = requests_to(page, r"/api/stores(\?|$)")
    swagger_files = requests_to(page, r"swagger-ui")
    sign_in(page, stack, berlin_manager)
    assert swagger_files == [], "Swagger UI loaded outside its view"

    go(page, stack, "#/api")
    docs = page.locator("#swagger-ui")
    expect(docs.get_by_role("heading", name=re.compile("Inventory dashboard API"))).to_be_visible(timeout=15_000)
    operation = docs.locator(".opblock").filter(
        has=page.locator(".opblock-summary-path", has_text=re.compile(r"^/stores$"))
    )
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    before = len(api_calls)
    operation.get_by_role("button", name="Execute").click()

    expect(operation.locator(".live-responses-table tr.response td.response-col_status")).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("Berlin")
    sent = api_calls[before:]
    assert sent, "Swagger UI sent no request to the API"
    assert all(r.headers.get("authorization", "").startswith("Bearer eyJ") for r in sent), "no ID token was sent"
    assert all(url.startswith(stack["dashboard_url"].rstrip("/")) for url in (f.url for f in swagger_files))
    shoot(page, "api-docs")
