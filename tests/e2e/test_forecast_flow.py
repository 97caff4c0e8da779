"""Stockout forecasts end to end on the local stack: uploads -> Inventory stream -> alerts (Forecast row,
``soon`` digest on the console and the inbox) -> the dashboard API's forecast routes.

A fresh stack without the sample files, and a store of its own (Forecastville) with a user of its own,
so nothing here depends on or disturbs what other tests do. Uploads come seconds apart, which the
model takes for corrections, not use: the item's history of use (days of it) is written to its
Forecast row as the alerts function would have kept it, and the uploads after it are judged by it.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from inventory.forecast import ForecastRow

from tests.e2e.conftest import (
    LocalStackProcess,
    create_user,
    digests,
    sign_in,
    start_stack,
    stop_stack,
    upload_file,
    wait_for,
)

pytestmark = pytest.mark.e2e

STORE = "Forecastville"
# The alerts function gathers stream records for up to its batchWindow (10 s) before it runs.


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    running = start_stack(tmp_path_factory.mktemp("devstack-forecast"), "--no-samples")
    yield running
    stop_stack(running)


def upload(stack: LocalStackProcess, rows: str) -> None:
    """Upload a file of ``store,item,count`` rows and wait for its final report: by then every change
    it made is on the stream."""
    key = f"{stack.info['upload_prefix']}forecast-{uuid.uuid4().hex[:8]}.csv"
    report = upload_file(stack, key, f"store,item,count\n{rows}\n".encode())
    assert report["status"] == "ok", report


def forecast_row(stack: LocalStackProcess, item: str) -> ForecastRow | None:
    found = stack.client("dynamodb").get_item(
        TableName=stack.info["forecast_table"], Key={"Store": {"S": STORE}, "Item": {"S": item}}, ConsistentRead=True
    )
    return ForecastRow.from_item(found["Item"]) if "Item" in found else None


def counted(stack: LocalStackProcess, item: str, count: int) -> ForecastRow:
    """The item's Forecast row once the alerts function has handled its change to ``count``."""

    def seen() -> ForecastRow | None:
        row = forecast_row(stack, item)
        return row if row is not None and row.state.count == count else None

    return wait_for(seen, f"{item}'s Forecast row at {count}", stack)


def store_manager_token(stack: LocalStackProcess) -> str:
    """A user of Forecastville only, with a permanent password, signed in: their ID token."""
    return sign_in(stack.info, create_user(stack.info, stores=(STORE,), prefix="forecast"))["IdToken"]


def api(stack: LocalStackProcess, path: str, token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{stack.info['api_url']}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_item_used_up_over_uploads_gets_a_forecast_a_soon_digest_once_and_shows_in_the_api(
    stack: LocalStackProcess,
) -> None:
    # Given a new store's first file: nothing is known to be used yet
    upload(stack, f"{STORE},Echo Dot,100\n{STORE},Kindle,50")
    assert counted(stack, "Echo Dot", 100).forecast is None
    assert digests(stack, STORE) == []  # new items that are ok raise nothing

    # When the next file, seconds later, has 10 fewer: a correction, not 10 sold in seconds
    upload(stack, f"{STORE},Echo Dot,90\n{STORE},Kindle,50")
    assert counted(stack, "Echo Dot", 90).forecast is None
    assert digests(stack, STORE) == []

    # Given days of history at 200 a day, as the alerts function keeps it
    held = counted(stack, "Echo Dot", 90)
    history = replace(held.state, consumed=400.0, elapsed=2.0, step=400.0, steps=2.0, spread=0.0)
    stack.client("dynamodb").put_item(
        TableName=stack.info["forecast_table"], Item=ForecastRow(STORE, "Echo Dot", history).to_item()
    )

    # When the next file has 5 fewer: at 200 a day, 85 last about 10 hours
    upload(stack, f"{STORE},Echo Dot,85\n{STORE},Kindle,50")

    # Then one digest says so, on the inbox and on the console, filterable as `soon`
    (digest,) = digests(stack, STORE, expect=1)
    assert digest["Subject"] == f"{STORE}: 1 item running out soon"
    (line,) = digest["Message"].splitlines()[1:]
    assert line.startswith("SOON Echo Dot: 85 left, runs out in ~10 hours (")
    assert json.loads(digest["MessageAttributes"]["severities"]["Value"]) == ["soon"]
    # The console prints each publish on one line (shortened to the terminal's width).
    (printed,) = [text for text in stack.console().splitlines() if "store=Forecastville" in text and "topic" in text]
    assert "severities=soon" in printed
    assert "SOON Echo Dot: 85 left" in printed
    row = forecast_row(stack, "Echo Dot")
    assert row is not None
    assert row.forecast is not None
    assert row.forecast.rate_per_day == pytest.approx(200.0)  # the history's: seconds add nothing yet
    assert row.soon

    # When a third file takes it lower still, then nothing new is announced (it stays soon)
    upload(stack, f"{STORE},Echo Dot,80\n{STORE},Kindle,50")
    counted(stack, "Echo Dot", 80)
    assert digests(stack, STORE) == []

    # And the store's manager sees it through the API: its forecast, across their stores, on the items page
    token = store_manager_token(stack)
    status, store_forecast = api(stack, f"/stores/{STORE}/forecast", token)
    assert status == 200, store_forecast
    assert [(entry["item"], entry["count"]) for entry in store_forecast["items"]] == [("Echo Dot", 80)]
    assert store_forecast["items"][0]["days_left"] < 1
    status, across = api(stack, "/forecast?within_days=1", token)
    assert status == 200, across
    assert [(entry["store"], entry["item"]) for entry in across["items"]] == [(STORE, "Echo Dot")]
    status, page = api(stack, f"/stores/{STORE}/items", token)
    assert status == 200, page
    days = {entry["item"]: entry["days_left"] for entry in page["items"]}
    assert days["Echo Dot"] is not None
    assert days["Kindle"] is None  # never seen used
    status, refused = api(stack, "/stores/Berlin/forecast", token)
    assert status == 403, refused
