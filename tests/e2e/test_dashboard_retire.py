"""A full list uploaded from the dashboard retires the items it omits, in headless Chromium against the local
stack: they leave the store's totals, /alerts and the forecasts; a later file naming one brings it back.

The whole path: the upload dialog's box, the grant that signs ``x-amz-meta-full-list``, ingest's
retirement, the alerts function taking the items out of the totals and clearing their forecasts, and
the API leaving them out.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.builders import csv_file
from tests.e2e import dashboard_kit as kit
from tests.e2e.conftest import EVENT_DEADLINE_S, unique_store, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

State = tuple[tuple[int, int, int], list[str], list[str]]


def state(stack: dict[str, Any], token: str, store: str) -> State:
    """The store's totals (items, out, low), its items on /alerts, and its items on its forecast."""
    _, stores = kit.api_call(stack, token, "GET", "/stores")
    row = next(entry for entry in (stores or {})["stores"] if entry["store"] == store)
    _, alerts = kit.api_call(stack, token, "GET", "/alerts")
    _, forecast = kit.api_call(stack, token, "GET", f"/stores/{quote(store, safe='')}/forecast")
    return (
        (row["items"], row["out"], row["low"]),
        sorted(entry["item"] for entry in (alerts or {})["alerts"] if entry["store"] == store),
        sorted(entry["item"] for entry in (forecast or {})["items"]),
    )


def settles_at(stack: dict[str, Any], token: str, store: str, expected: State) -> None:
    """Once the alerts function has handled the changes (it batches stream records for up to 10 s)."""
    wait_for(lambda: state(stack, token, store) == expected, f"{store} holding {expected}")


def test_a_full_list_from_the_dialog_retires_what_it_omits_until_a_file_names_it_again(
    page: Page, stack: dict[str, Any]
) -> None:
    # Given a store whose Echo Dot is being used up (a forecast), Tap out of stock (an alert), Kindle ok
    store = unique_store("Retire")
    for count in (1000, 999, 998):
        rows = [(store, "Echo Dot", count), (store, "Tap", 0), (store, "Kindle", 50)]
        assert kit.upload(stack, f"count-{count}.csv", csv_file(rows), store=store)["status"] == "ok"
        time.sleep(2)  # the next count comes a little later, as a store's next upload would
    kit.used_up(stack, store, "Echo Dot", 998, per_day=2_400)
    manager = kit.new_user(stack, stores=(store,))
    token = kit.id_token(stack, manager)
    settles_at(stack, token, store, ((3, 1, 0), ["Tap"], ["Echo Dot"]))

    # When its manager uploads a full list naming only Kindle, ticking the box
    kit.sign_in(page, stack, manager, path=f"#/uploads?{urlencode({'store': store})}")
    expect(page.get_by_label("Upload for")).to_have_value(store)
    body = csv_file([(store, "Kindle", 50)])
    page.get_by_label("Choose a file").set_input_files({"name": "full.csv", "mimeType": "text/csv", "buffer": body})
    page.get_by_label("This file is the full list").check()
    page.get_by_role("button", name="Upload", exact=True).click()
    # (a dry run first, as for every file from the page: it is applied once its plan is shown)
    report = page.locator(".upload-result article.upload")
    report.get_by_role("button", name="Apply").click(timeout=EVENT_DEADLINE_S * 1000)

    # Then the report counts two items retired, and they leave the totals, the alerts and the forecast
    rows = report.locator("dl.upload-rows").first  # the file's rows (its dry run's plan follows)
    expect(rows.locator("div").filter(has_text="Retired").locator("dd")).to_have_text(
        "2", timeout=EVENT_DEADLINE_S * 1000
    )
    expect(page.get_by_label("This file is the full list")).not_to_be_checked()  # not carried to the next file
    kit.shoot(page, "upload-full-list", full_page=True)
    settles_at(stack, token, store, ((1, 0, 0), [], []))

    # And a later file that names Tap brings it back, out of stock again
    assert kit.upload(stack, "tap.csv", csv_file([(store, "Tap", 0)]), store=store)["status"] == "ok"
    settles_at(stack, token, store, ((2, 1, 0), ["Tap"], []))


def test_a_store_that_remembers_full_lists_has_a_scripts_file_retire_what_it_omits(
    page: Page, stack: dict[str, Any]
) -> None:
    # Given a store with Tap and Kindle, and its manager on the Uploads view
    store = unique_store("Remember")
    rows = [(store, "Tap", 0), (store, "Kindle", 50)]
    assert kit.upload(stack, "first.csv", csv_file(rows), store=store)["status"] == "ok"
    manager = kit.new_user(stack, stores=(store,))
    kit.sign_in(page, stack, manager, path=f"#/uploads?{urlencode({'store': store})}")
    expect(page.get_by_label("Upload for")).to_have_value(store)
    full_list = page.get_by_label("This file is the full list")
    expect(full_list).not_to_be_checked()

    # When the manager ticks "Remember for this store"
    page.get_by_label("Remember for this store").check()

    # Then the store's files are full lists: the box is ticked and fixed, and the store's summary says so
    expect(page.locator(".upload-status")).to_contain_text("is now read as its full list")
    expect(full_list).to_be_checked()
    expect(full_list).to_be_disabled()
    _, stores = kit.api_call(stack, kit.id_token(stack, manager), "GET", "/stores")
    assert [entry["full_list"] for entry in (stores or {})["stores"] if entry["store"] == store] == [True]

    # And a file from a script, without the full-list metadata, retires what it omits
    report = kit.upload(stack, "script.csv", csv_file([(store, "Kindle", 50)]), store=store)
    assert (report["status"], report["rows"]["retired"]) == ("ok", 1)
