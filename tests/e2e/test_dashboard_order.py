"""The Order view and head office's transfer suggestions, in headless Chromium against the local stack.

A store's Echo Dot has been used up at 2,400 a day (its Forecast row says so, as days of daily uploads
would leave it; its file names a supplier and a pack size); another store holds Echo Dots it does not
sell. The store's manager sees what to order, grouped by supplier, in whole packs, and exports it as a
purchase list; on a phone the view fits 360 px; head office's overview suggests moving the idle Echo Dots
to the store running out.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.builders import csv_file
from tests.e2e import dashboard_kit as kit
from tests.e2e.conftest import demo_user, start_stack, stop_stack, unique_store, wait_for, wait_for_report

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

#: A guard against a stuck stack (the alerts function batches stream records for up to 10 s), not a timing.
PACK = 12
#: Transfers look through every store of the session's stack (hundreds, on a shared machine): a guard.
TRANSFERS_TIMEOUT_MS = 60_000
#: An item no other test's store holds, so the only store that can spare it is this module's.
ITEM = f"Echo Dot {uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def ordering(stack: dict[str, Any]) -> dict[str, Any]:
    """A store whose Echo Dot (supplier Acme, packs of 12) sells, whose Kindle does not; a store with idle
    Echo Dots; the first store's manager."""
    store, spare = unique_store("Order"), unique_store("Spare")
    header = "store,item,count,Supplier,PACK_SIZE"
    for count in (1000, 999, 998):
        rows = [(store, ITEM, count, "Acme", PACK), (store, "Kindle", 50, "", "")]
        report = kit.upload(stack, f"count-{count}.csv", csv_file(rows, header=header), store=store)
        assert report["status"] == "ok", report
        time.sleep(2)  # the next count comes a little later, as a store's next upload would
    kit.used_up(stack, store, ITEM, 998, per_day=2_400)
    report = kit.upload(stack, "spare.csv", csv_file([(spare, ITEM, 5000)]), store=spare)
    assert report["status"] == "ok", report
    manager = kit.new_user(stack, stores=(store,))
    token = kit.id_token(stack, manager)

    def orders() -> list[dict[str, Any]]:
        status, body = kit.api_call(stack, token, "GET", f"/stores/{quote(store, safe='')}/reorder")
        return list((body or {}).get("items") or []) if status == 200 else []

    return {"store": store, "spare": spare, "manager": manager, "orders": wait_for(orders, f"an order for {store}")}


def test_the_order_view_groups_orders_by_supplier_in_whole_packs_and_exports_a_purchase_list(
    page: Page, stack: dict[str, Any], ordering: dict[str, Any]
) -> None:
    store = ordering["store"]
    kit.sign_in(page, stack, ordering["manager"], path="#/order")
    expect(page.get_by_role("heading", level=1)).to_have_text("Order")

    section = page.locator(f"section.order-store[data-store='{store}']")
    supplier = section.locator("section.order-supplier[data-supplier='Acme']")
    expect(supplier.get_by_role("heading", level=3)).to_contain_text("Acme")
    row = supplier.locator("tbody tr").filter(has_text=ITEM)
    quantity = row.locator("[data-column='quantity']")
    expect(quantity).to_contain_text(f"\u00d7 {PACK}")  # packs times their size
    expect(row.locator("[data-column='order_by']")).to_have_text("Now")  # about an hour of cover left
    expect(row.locator("[data-column='why']")).to_contain_text(f"packs of {PACK}")
    expect(section.locator("tbody tr").filter(has_text="Kindle")).to_have_count(0)  # not being used up

    with page.expect_download() as download:
        page.get_by_role("button", name="Export purchase list (CSV)").click()
    lines = list(csv.DictReader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
    dot = next(line for line in lines if line["item"] == ITEM)
    assert (dot["store"], dot["supplier"], dot["pack_size"]) == (store, "Acme", str(PACK))
    assert int(dot["quantity"]) % PACK == 0
    assert int(dot["quantity"]) >= PACK


def test_the_order_view_fits_a_phone(phone: Page, stack: dict[str, Any], ordering: dict[str, Any]) -> None:
    kit.sign_in(phone, stack, ordering["manager"], path="#/order")
    expect(phone.locator("section.order-supplier[data-supplier='Acme'] tbody tr")).to_have_count(1)

    assert kit.overflowing(phone, kit.PHONE["width"]) == []


def test_head_office_sees_a_transfer_from_the_store_with_idle_stock(
    page: Page, stack: dict[str, Any], admin: dict[str, Any], ordering: dict[str, Any]
) -> None:
    kit.sign_in(page, stack, admin)
    panel = page.get_by_role("region", name="Transfers between stores")
    panel.get_by_role("button", name="Suggest transfers").click()  # read on request: it looks through every store
    move = panel.locator(f"li[data-target='{ordering['store']}'][data-item='{ITEM}']")
    expect(move).to_have_attribute("data-source", ordering["spare"], timeout=TRANSFERS_TIMEOUT_MS)
    expect(move).to_contain_text(f"{ordering['spare']} → {ordering['store']}")
    expect(move.locator(".tr-when")).to_contain_text("runs out in")


def test_a_store_manager_sees_no_transfers_panel(page: Page, stack: dict[str, Any], ordering: dict[str, Any]) -> None:
    kit.sign_in(page, stack, ordering["manager"])
    expect(page.locator("#view .chart-frame")).to_be_visible()

    expect(page.get_by_role("region", name="Transfers between stores")).to_have_count(0)


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A stack of its own, as `make dev` starts: transfers list the most urgent items of every store, and the
    session stack's other tests add stores that run out sooner than the demo's."""
    process = start_stack(tmp_path_factory.mktemp("demo-stack"))
    try:
        yield kit.ready_stack(process.info)
    finally:
        stop_stack(process)


def test_the_demo_stores_show_orders_and_a_transfer_from_the_first_start(
    page: Page, fresh_stack: dict[str, Any]
) -> None:
    """What `make dev` loads besides the lab's files (devstack/demo.py): no upload by hand."""
    stack = fresh_stack
    wait_for_report(stack, f"{stack.get('upload_prefix', 'uploads/')}demo-stores-today.csv")
    kit.sign_in(page, stack, demo_user(stack, admin=True))
    panel = page.get_by_role("region", name="Transfers between stores")
    panel.get_by_role("button", name="Suggest transfers").click()  # read on request: it looks through every store
    move = panel.locator("li[data-source='Valencia'][data-target='Seville'][data-item='Echo Dot']")
    expect(move).to_contain_text("Valencia → Seville", timeout=TRANSFERS_TIMEOUT_MS)

    kit.go(page, stack, "#/order?store=Seville")
    supplier = page.locator(
        "section.order-store[data-store='Seville'] section.order-supplier[data-supplier='Amazon EU']"
    )
    expect(supplier.locator("tbody tr").filter(has_text="Echo Dot").locator("[data-column='order_by']")).to_have_text(
        "Now"
    )
    kit.shoot(page, "order-demo", full_page=True)
