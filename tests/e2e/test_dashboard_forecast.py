"""Forecasts in the dashboard, and late answers, in headless Chromium against the local stack.

An item used up at 2,400 a day (its Forecast row says so, as days of daily uploads would leave it; uploads
seconds apart are corrections, see test_forecast_flow.py): its page draws the forecast as a dashed line
down to 0 where it runs out, the overview and the Items view show its days of cover, and head office finds
it in "Runs out soon across stores". A slow answer for a store the user has left never replaces the view
they moved to.
"""

from __future__ import annotations

import re
import time
from contextlib import suppress
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Error, Page, Route, expect

from tests.builders import csv_file
from tests.e2e import dashboard_kit as kit
from tests.e2e.conftest import unique_store, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

#: A guard against a stuck stack (the alerts function batches stream records for up to 10 s), not a timing.


@pytest.fixture(scope="module")
def used_up(stack: dict[str, Any]) -> dict[str, Any]:
    """A store of its own whose Echo Dot loses one unit an upload and has been used up at 2,400 a day (about
    10 hours of cover left) and whose Kindle never changes; its manager, and the API's forecast of the Echo Dot."""
    store = unique_store("Forecast")
    for count in (1000, 999, 998):
        report = kit.upload(
            stack, f"count-{count}.csv", csv_file([(store, "Echo Dot", count), (store, "Kindle", 50)]), store=store
        )
        assert report["status"] == "ok", report
        time.sleep(2)  # the next count comes a little later, as a store's next upload would
    kit.used_up(stack, store, "Echo Dot", 998, per_day=2_400)
    manager = kit.new_user(stack, stores=(store,))
    token = kit.id_token(stack, manager)

    def last_count_forecast() -> list[dict[str, Any]]:
        status, body = kit.api_call(stack, token, "GET", f"/stores/{quote(store, safe='')}/forecast")
        items = ((body or {}).get("items") or []) if status == 200 else []
        # the last count: the stream may deliver the uploads' changes in more than one batch
        return items if items and items[0].get("count") == 998 else []

    (forecast,) = items = wait_for(last_count_forecast, f"a forecast from the last count for {store}")
    assert forecast["item"] == "Echo Dot", items
    assert forecast["count"] == 998
    return {"store": store, "manager": manager, "forecast": forecast}


def test_an_items_page_draws_its_forecast_down_to_zero(
    page: Page, stack: dict[str, Any], used_up: dict[str, Any]
) -> None:
    store, forecast = used_up["store"], used_up["forecast"]
    kit.sign_in(page, stack, used_up["manager"], path=f"#/item?{urlencode({'store': store, 'item': 'Echo Dot'})}")

    projection = page.locator("svg.chart-history g.forecast")
    expect(projection.locator("line.forecast-line")).to_be_visible()
    expect(projection.locator("text.forecast-label")).to_contain_text("runs out ~")
    drawn = datetime.fromisoformat(projection.get_attribute("data-runs-out-at") or "")
    assert abs((drawn - datetime.fromisoformat(forecast["runs_out_at"])).total_seconds()) < 1
    # The line ends on the time axis (count 0), to the right of the last count's point
    line = projection.locator("line.forecast-line")
    last_point = page.locator("svg.chart-history circle.point").last
    assert float(line.get_attribute("x2") or 0) > float(last_point.get_attribute("cx") or 0)
    assert float(line.get_attribute("y2") or 0) > float(last_point.get_attribute("cy") or 0)
    expect(page.locator("#item-forecast")).to_contain_text("of cover, runs out around")
    kit.shoot(page, "item-forecast")

    # Kindle is not being used up: no line, and the page says why
    kit.go(page, stack, f"#/item?{urlencode({'store': store, 'item': 'Kindle'})}")
    expect(page.locator("#item-forecast")).to_have_text("No forecast: this item has not been seen being used up.")
    expect(page.locator("svg.chart-history g.forecast")).to_have_count(0)


def test_the_overview_and_items_show_days_of_cover(page: Page, stack: dict[str, Any], used_up: dict[str, Any]) -> None:
    store = used_up["store"]
    kit.sign_in(page, stack, used_up["manager"])
    # Running out soon comes before an item in stock, whatever the alphabet or the counts say
    bars = page.locator("svg.chart-bars g.bar")
    expect(bars).to_have_count(2)
    assert [bar.get_attribute("data-item") for bar in bars.all()] == ["Echo Dot", "Kindle"]
    expect(bars.first.locator("text.bar-value")).to_have_text(re.compile(r"^998 · \d+ h left$"))

    kit.go(page, stack, f"#/items?{urlencode({'store': store})}")
    cover = page.locator("#view tbody tr").filter(has_text="Echo Dot").locator("td[data-column='days_left']")
    expect(cover).to_have_text(re.compile(r"^\d+ h left$"))
    expect(cover.locator(".cover-soon")).to_have_count(1)
    expect(
        page.locator("#view tbody tr").filter(has_text="Kindle").locator("td[data-column='days_left']")
    ).to_have_text("—")


def test_head_office_sees_what_runs_out_soon_across_stores(
    page: Page, stack: dict[str, Any], admin: dict[str, Any], used_up: dict[str, Any]
) -> None:
    kit.sign_in(page, stack, admin)
    soon = page.get_by_role("region", name="Runs out soon across stores")
    row = soon.locator(f"li[data-store='{used_up['store']}']")
    expect(row).to_contain_text("Echo Dot")
    expect(row.locator(".ro-when")).to_have_text(re.compile(r"^\d+ h left$"))
    row.get_by_role("link", name="Echo Dot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Echo Dot · {used_up['store']}")


def test_an_items_forecast_fits_a_phone(page: Page, stack: dict[str, Any], used_up: dict[str, Any]) -> None:
    page.set_viewport_size(kit.PHONE)
    kit.sign_in(
        page, stack, used_up["manager"], path=f"#/item?{urlencode({'store': used_up['store'], 'item': 'Echo Dot'})}"
    )
    expect(page.locator("svg.chart-history g.forecast")).to_be_visible()
    # The chart is drawn at the phone's width: its labels keep a readable size, not a scaled-down 5 px
    heights = page.eval_on_selector_all(
        "svg.chart-history text", "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert heights
    assert min(heights) >= 11, heights
    assert page.evaluate("document.documentElement.scrollWidth") <= kit.PHONE["width"], kit.overflowing(
        page, kit.PHONE["width"]
    )
    kit.shoot(page, "item-forecast-phone", full_page=True)
    kit.sign_out(page)


# ---------------------------------------------------------------- late answers


def hold(page: Page, pattern: str) -> list[Route]:
    """Requests matching the pattern wait, unanswered, until the test answers them."""
    held: list[Route] = []

    def keep(route: Route) -> None:
        held.append(route)

    page.route(re.compile(pattern), keep)
    return held


def answer_late(routes: list[Route], body: dict[str, Any]) -> None:
    """Answer the held requests now; one the page has aborted meanwhile cannot be answered any more."""
    for route in routes:
        with suppress(Error):
            route.fulfill(json=body)


def test_a_slow_answer_for_the_store_left_behind_does_not_replace_the_items_shown(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    held = hold(page, r"/api/stores/Karachi/items")
    kit.sign_in(page, stack, admin, path="#/items?store=Karachi")
    expect(page.locator("#view table")).to_have_attribute("aria-busy", "true")

    page.get_by_label("Store", exact=True).select_option("Berlin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Items in Berlin")
    expect(page.locator("#view table")).to_have_attribute("aria-busy", "false")
    berlin = page.locator("#view tbody th").all_text_contents()
    assert berlin, "Berlin's items are not shown"
    assert held, "the Karachi request was not held"

    late = {
        "store": "Karachi",
        "items": [
            {
                "store": "Karachi",
                "item": "LATE ANSWER",
                "count": 1,
                "status": "low",
                "threshold": 5,
                "days_left": None,
                "updated_at": "2026-01-01T00:00:00Z",
                "source_key": "late.csv",
            }
        ],
        "next_cursor": None,
    }
    answer_late(held, late)
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 300))")  # let a late answer land, if one could
    expect(page.get_by_text("LATE ANSWER")).to_have_count(0)
    assert page.locator("#view tbody th").all_text_contents() == berlin
    expect(page.get_by_role("heading", level=1)).to_have_text("Items in Berlin")


def test_a_slow_answer_for_the_uploads_left_behind_does_not_replace_the_list(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    held = hold(page, r"/api/uploads\?store=Karachi")
    kit.sign_in(page, stack, admin, path="#/uploads?store=Karachi")
    # The user moves on (a link, the back button or the store choice) while Karachi's list is on its way
    kit.go(page, stack, "#/uploads?store=Berlin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uploads for Berlin")
    listed = page.locator("ol.uploads li")
    expect(listed.first).to_be_visible()
    before = listed.all_text_contents()
    assert held, "the Karachi request was not held"

    late = {
        "uploads": [
            {
                "key": "uploads/stores/Karachi/x/LATE-ANSWER.csv",
                "version": "1",
                "file_name": "LATE-ANSWER.csv",
                "store": "Karachi",
                "uploaded_by": "someone",
                "status": "ok",
                "reason": None,
                "rows": {"read": 1, "accepted": 1, "rejected": 0, "written": 1, "unchanged": 0},
                "errors": [],
                "errors_truncated": False,
                "stores": ["Karachi"],
                "stores_truncated": False,
                "received_at": "2026-01-01T00:00:00Z",
                "started_at": None,
                "finished_at": None,
            }
        ],
        "next_cursor": None,
    }
    answer_late(held, late)
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 300))")
    expect(page.get_by_text("LATE-ANSWER.csv")).to_have_count(0)
    assert listed.all_text_contents() == before
