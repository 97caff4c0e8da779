"""What to do next, in headless Chromium against the local stack: the chart in order of urgency with
low-stock marks, head office's table of stores (totals, worst first, stale stores, sorting, 500 stores),
and the phone layout at 360 px (screenshots in docs/screenshots with INVENTORY_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from inventory.models import iso_utc
from playwright.sync_api import Page, expect

from devstack.config import read_yaml
from tests.builders import REPO, csv_file
from tests.e2e.dashboard_kit import (
    PHONE,
    go,
    overflowing,
    shoot,
    sign_in,
    sign_out,
    upload,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


# (item, count, threshold) in name order; the urgency order is out (by name), low (closest to empty
# relative to its level), then the rest (the same way): not the alphabet.
ITEMS = [("Apple", 40, 10), ("Banana", 3, 5), ("Cherry", 0, 5), ("Date", 9, 10), ("Elder", 12, 10), ("Fig", 0, 2)]
URGENCY = ["Cherry", "Fig", "Banana", "Date", "Elder", "Apple"]


@pytest.fixture(scope="module")
def orchard(stack: dict[str, Any]) -> str:
    store = f"Orchard {uuid.uuid4().hex[:6]}"
    rows = [(store, item, count, threshold) for item, count, threshold in ITEMS]
    report = upload(stack, f"{store}.csv", csv_file(rows, header="store,item,count,threshold"))
    assert report["rows"]["accepted"] == len(ITEMS), report
    return store


def test_the_chart_puts_the_most_urgent_items_first_with_their_low_stock_marks(
    page: Page, stack: dict[str, Any], admin: dict[str, Any], orchard: str
) -> None:
    sign_in(page, stack, admin, path=f"#/overview?store={orchard.replace(' ', '+')}")
    bars = page.locator("svg.chart-bars g.bar")
    expect(bars).to_have_count(len(ITEMS))

    assert [bar.get_attribute("data-item") for bar in bars.all()] == URGENCY
    for item, count, threshold in ITEMS:
        bar = page.locator(f"svg.chart-bars g.bar[data-item='{item}']")
        mark = bar.locator("line.bar-threshold")
        expect(mark).to_have_attribute("data-threshold", str(threshold))
        bar_end = float(bar.locator("rect.bar-rect").get_attribute("x") or 0) + float(
            bar.locator("rect.bar-rect").get_attribute("width") or 0
        )
        # A low or empty item's bar stops short of its mark; an item in stock reaches past it.
        if count <= threshold:
            assert bar_end <= float(mark.get_attribute("x1") or 0), item
        else:
            assert bar_end > float(mark.get_attribute("x1") or 0), item
    expect(bars.first).to_contain_text("0 · out")
    shoot(page, "overview-urgency")


def test_items_without_their_own_level_are_marked_at_the_stages_default(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    # Given a store whose file gives no low-stock levels: the stage's default (ingest's LowStockDefault) applies
    default = int(read_yaml(REPO / "services" / "ingest" / "serverless.yml")["params"]["default"]["lowStockDefault"])
    store = f"Plain {uuid.uuid4().hex[:6]}"
    report = upload(stack, f"{store}.csv", csv_file([(store, "Echo Dot", default - 2), (store, "Echo Show", 40)]))
    assert report["status"] == "ok", report

    # When head office opens its overview
    sign_in(page, stack, admin)
    go(page, stack, f"#/overview?store={store.replace(' ', '+')}")

    # Then each bar carries the default level's mark: the low item's bar stops short of it, the other passes it
    bars = page.locator("svg.chart-bars g.bar")
    expect(bars).to_have_count(2)
    for item, low in (("Echo Dot", True), ("Echo Show", False)):
        bar = page.locator(f"svg.chart-bars g.bar[data-item='{item}']")
        mark = bar.locator("line.bar-threshold")
        expect(mark).to_have_attribute("data-threshold", str(default))
        rect = bar.locator("rect.bar-rect")
        bar_end = float(rect.get_attribute("x") or 0) + float(rect.get_attribute("width") or 0)
        assert (bar_end <= float(mark.get_attribute("x1") or 0)) is low, item


def set_last_upload(stack: dict[str, Any], store: str, when: datetime) -> None:
    """Record the store's last upload time as ingest does (the Stores table's LastUploadAt)."""
    dynamodb = boto3.client("dynamodb", endpoint_url=stack["endpoint_url"], region_name=stack["region"])
    dynamodb.update_item(
        TableName=stack["stores_table"],
        Key={"Store": {"S": store}},
        UpdateExpression="SET LastUploadAt = :at",
        ExpressionAttributeValues={":at": {"S": iso_utc(when)}},
    )


def rows_of(page: Page) -> list[str]:
    return page.locator(".head-office tbody th").all_text_contents()


def test_head_office_sees_totals_stores_worst_first_and_a_stale_store_among_500(
    page: Page, stack: dict[str, Any], admin: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:5]
    # 500 stores in one head-office file: store 000 has 3 items out, 001 two, 002 one low item.
    rows: list[tuple[str, str, int]] = []
    for n in range(500):
        store = f"Chain {tag} {n:03d}"
        rows.append((store, "Echo Dot", 0 if n in (0, 1) else 2 if n == 2 else 20))
        if n == 0:
            rows += [(store, "Echo Show", 0), (store, "Echo Look", 0)]
        if n == 1:
            rows.append((store, "Echo Show", 0))
    report = upload(stack, f"chain-{tag}.csv", csv_file(rows))
    assert report["rows"]["accepted"] == len(rows), report
    now = datetime.now(UTC)
    for n in range(500):
        set_last_upload(stack, f"Chain {tag} {n:03d}", now - timedelta(hours=1))
    set_last_upload(stack, f"Chain {tag} 499", now - timedelta(days=5))

    sign_in(page, stack, admin)
    expect(page.locator(".store-card")).to_have_count(0)  # a table, not 500 cards
    totals = page.get_by_label("Totals across stores")
    expect(totals.locator("div").filter(has_text="Stores").first.locator("dd")).not_to_have_text("0")
    page.get_by_label("Find a store").fill(f"Chain {tag}")
    expect(page.get_by_text(re.compile(r"^500 of [\d,]+ stores, worst first; showing the first 50\.$"))).to_be_visible()
    expect(page.locator(".head-office tbody tr")).to_have_count(50)
    page.get_by_role("button", name="Show more stores").click()
    expect(page.locator(".head-office tbody tr")).to_have_count(100)

    # Worst first: the most items out, then low, then stale.
    assert rows_of(page)[:4] == [f"Chain {tag} 000", f"Chain {tag} 001", f"Chain {tag} 002", f"Chain {tag} 499"]
    stale_row = page.locator(".head-office tbody tr").filter(has_text=f"Chain {tag} 499")
    expect(stale_row.locator(".badge-stale")).to_have_text("No upload for 5 d")
    expect(
        page.locator(".head-office tbody tr").filter(has_text=f"Chain {tag} 498").locator(".badge-stale")
    ).to_have_count(0)
    shoot(page, "head-office")

    page.get_by_label("Show", exact=True).select_option("stale")
    expect(page.locator(".head-office tbody th")).to_have_text([f"Chain {tag} 499"])
    page.get_by_label("Stale after no upload for").select_option("168")  # a week: 5 days is not stale
    expect(page.get_by_text("No store matches these filters.")).to_be_visible()
    page.get_by_label("Show", exact=True).select_option("")
    page.get_by_label("Stale after no upload for").select_option("48")

    out_cells = page.locator(".head-office tbody td[data-column='out']")
    page.get_by_role("button", name="Out", exact=True).click()
    expect(page.locator(".head-office thead th[data-column='out']")).to_have_attribute("aria-sort", "ascending")
    outs = [int(v) for v in out_cells.all_text_contents()]
    assert outs == sorted(outs)
    page.get_by_role("button", name="Out", exact=True).click()
    expect(page.locator(".head-office thead th[data-column='out']")).to_have_attribute("aria-sort", "descending")
    outs = [int(v) for v in out_cells.all_text_contents()]
    assert outs == sorted(outs, reverse=True)
    assert outs[:2] == [3, 2]
    page.get_by_role("button", name="Store", exact=True).press("Enter")
    expect(page.locator(".head-office thead th[data-column='store']")).to_have_attribute("aria-sort", "ascending")
    assert rows_of(page) == sorted(rows_of(page))
    # The URL keeps the filters and the order: a shared link shows the same table.
    expect(page).to_have_url(re.compile(r"sort=store"))


def test_a_phone_gets_a_compact_header_a_list_and_card_rows(
    phone: Page, stack: dict[str, Any], berlin_manager: dict[str, Any], admin: dict[str, Any], orchard: str
) -> None:
    sign_in(phone, stack, berlin_manager)
    header = phone.locator("header.topbar").bounding_box()
    assert header is not None
    assert header["height"] <= 64, header
    nav = phone.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    menu = phone.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="Items").click()
    expect(nav).to_be_hidden()  # the menu folds away after choosing
    expect(phone.get_by_role("heading", level=1)).to_have_text("Items in Berlin")
    expect(phone.locator("#view table")).to_have_attribute("aria-busy", "false")

    # Card rows: every status badge inside its card, nothing wider than the screen.
    for row in phone.locator("#view tbody tr").all():
        card, badge = row.bounding_box(), row.locator("td[data-column='status'] .badge").bounding_box()
        assert card is not None
        assert badge is not None
        assert card["x"] <= badge["x"] <= badge["x"] + badge["width"] <= card["x"] + card["width"], (card, badge)
        assert card["x"] + card["width"] <= PHONE["width"], card
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], overflowing(phone, PHONE["width"])
    shoot(phone, "items-phone", full_page=True)
    sign_out(phone)

    sign_in(phone, stack, admin, path=f"#/overview?store={orchard.replace(' ', '+')}")
    expect(phone.locator("svg.chart-bars")).to_be_hidden()
    names = phone.locator(".urgency-list .urgency-name")
    expect(names).to_have_text(URGENCY)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], overflowing(phone, PHONE["width"])
    shoot(phone, "overview-phone", full_page=True)
    for view in ("alerts", "uploads"):
        go(phone, stack, f"#/{view}")
        phone.wait_for_load_state("networkidle")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
            view,
            overflowing(phone, PHONE["width"]),
        )
    expect(phone.get_by_label("Upload for")).not_to_have_value("")
    # Head office's list reads the uploads index by time; on an emulator shared by every test of the
    # worker (thousands of rows by now, each index query a walk of the table) it can take seconds.
    expect(phone.locator("ol.uploads li").first).to_be_visible(timeout=20_000)
    shoot(phone, "uploads-phone", full_page=True)
