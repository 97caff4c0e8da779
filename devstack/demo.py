"""Four weeks of generated history for a handful of demo stores, so a newcomer's `make dev` shows rates,
forecasts, reorder and transfer suggestions at once.

Each demo item sells with a weekly rhythm (busier Friday to Sunday), is counted once a day and is
restocked when low, a few days after the store orders. The history reaches the stack as the alerts
service would have seen it: each item's daily counts, oldest first, go through the forecast model
(``alerts.logic.demand_model.update``), and the item's Forecast row and History rows are written as alerts
writes them. Then today's counts arrive through ingest as one head-office full list with the ordering
columns (``lead_time_days``, ``pack_size``, ``supplier``); ingest writes the items, and alerts finds
each count unchanged from the model's last one, so it keeps what the model learnt.

Lisbon and Porto sell steadily; Seville is nearly out of Echo Dots with no delivery on its way;
Valencia received far more Echo Dots than it sells (the surplus head office can move to Seville).
Deterministic apart from the time it runs (fixed seed).
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from inventory.forecast import ForecastRow, ModelState
from inventory.history import HistoryEntry
from inventory.models import iso_utc

from devstack.config import REPO

# The alerts service's package lives in services/alerts (Lambda bundles it from there): the demo drives
# its forecast model, so that folder goes on the import path, as bench/ and pytest's pythonpath do.
if str(REPO / "services" / "alerts") not in sys.path:
    sys.path.insert(0, str(REPO / "services" / "alerts"))
from alerts.logic.demand_model import Observation, forecast, update

DAYS = 28
WEEKLY = (0.75, 0.8, 0.85, 0.95, 1.2, 1.6, 0.85)  # Monday .. Sunday
HISTORY_RETENTION_DAYS = 90


@dataclass(frozen=True)
class Product:
    item: str
    rate: float  # units a day in a store of scale 1
    supplier: str
    pack: int
    lead_days: int


PRODUCTS = (
    Product("Echo Dot", 9.0, "Amazon EU", 12, 4),
    Product("Echo Show", 3.0, "Amazon EU", 4, 4),
    Product("Kindle Paperwhite", 2.0, "Kindle Direct", 6, 7),
    Product("Fire TV Stick", 6.0, "Nordic Wholesale", 10, 2),
    Product("USB-C cable", 14.0, "Nordic Wholesale", 25, 2),
)


@dataclass(frozen=True)
class DemoStore:
    name: str
    scale: float  # demand relative to the products' rates
    #: (item, counted today): items that skip their restock in the last days and end at this count
    short: tuple[tuple[str, int], ...] = ()
    #: (item, units): a delivery a week ago far beyond what the store sells
    surplus: tuple[tuple[str, int], ...] = ()


STORES = (
    DemoStore("Lisbon", 1.0),
    DemoStore("Porto", 0.7),
    DemoStore("Seville", 1.3, short=(("Echo Dot", 6),)),
    DemoStore("Valencia", 0.4, surplus=(("Echo Dot", 400),)),
)


@dataclass
class ItemHistory:
    store: str
    product: Product
    counts: list[tuple[datetime, int]]  # one count a day, oldest first; the last is today's


def simulate(now: datetime, seed: int = 21) -> list[ItemHistory]:
    """Every demo store's items: a daily count for ``DAYS`` days up to ``now``."""
    histories = []
    for store in STORES:
        for product in PRODUCTS:
            rand = random.Random(f"{seed}:{store.name}:{product.item}")
            histories.append(ItemHistory(store.name, product, _counts(rand, store, product, now)))
    return histories


def _counts(rand: random.Random, store: DemoStore, product: Product, now: datetime) -> list[tuple[datetime, int]]:
    rate = product.rate * store.scale
    level = math.ceil(rate * (product.lead_days + 10))  # what the store orders up to
    low = math.ceil(rate * (product.lead_days + 2))
    short = dict(store.short).get(product.item)
    surplus = dict(store.surplus).get(product.item, 0)
    stock, arriving = level, None
    first = (now - timedelta(days=DAYS)).replace(hour=19, minute=30, second=0, microsecond=0)
    counts = []
    for day in range(DAYS + 1):
        moment = first + timedelta(days=day)
        if moment > now:
            moment = now - timedelta(minutes=5)
        weekday = moment.weekday()
        stock = max(0, stock - _poisson(rand, rate * WEEKLY[weekday]))
        if arriving is not None and day >= arriving[0]:
            stock, arriving = stock + arriving[1], None
        if surplus and day == DAYS - 7:
            stock += surplus
        if short is not None and day >= DAYS - 6:
            # no order placed: the store runs down to today's count
            stock = max(short, stock - math.ceil(rate))
            if day == DAYS:
                stock = short
        elif stock <= low and arriving is None:
            arriving = (day + product.lead_days, level - stock)
        counts.append((moment, stock))
    return counts


def _poisson(rand: random.Random, mean: float) -> int:
    """Units sold in a day: Poisson, by counting exponential gaps."""
    units, moment = 0, rand.expovariate(1.0)
    while moment < mean:
        units += 1
        moment += rand.expovariate(1.0)
    return units


def rows(history: ItemHistory, retention_days: int = HISTORY_RETENTION_DAYS) -> tuple[ForecastRow, list[HistoryEntry]]:
    """The Forecast row and History rows alerts would have written for the history's changes."""
    state: ModelState | None = None
    entries: list[HistoryEntry] = []
    previous: int | None = None
    for n, (moment, count) in enumerate(history.counts):
        if count == previous:
            continue  # only changed counts reach the stream
        at = iso_utc(moment)
        # No sequence number on the model's state: the upload that brings today's count is the first
        # stream record the row sees, and it must not be taken for a replay.
        state = update(state, Observation(at, count, ""))
        expires = int((moment + timedelta(days=retention_days)).timestamp())
        entries.append(HistoryEntry(history.store, history.product.item, at, f"{n + 1:03d}", previous, count, expires))
        previous = count
    assert state is not None
    row = ForecastRow(history.store, history.product.item, state, forecast(state, state.at))
    return row, entries


def upload_file(histories: list[ItemHistory]) -> bytes:
    """Today's counts as a head-office file, with the ordering columns."""
    lines = ["store,item,count,lead_time_days,pack_size,supplier"]
    for history in histories:
        product = history.product
        lines.append(
            f"{history.store},{product.item},{history.counts[-1][1]},{product.lead_days},{product.pack},{product.supplier}"
        )
    return ("\n".join(lines) + "\n").encode()


def load(dynamodb: Any, s3: Any, content: dict[str, Any], now: datetime | None = None) -> int:
    """Write the demo's Forecast and History rows, then upload today's counts; the number of items."""
    histories = simulate(now or datetime.now(UTC))
    for history in histories:
        row, entries = rows(history)
        dynamodb.put_item(TableName=content["forecast_table"], Item=row.to_item())
        for start in range(0, len(entries), 25):  # BatchWriteItem takes 25 at a time
            batch = [{"PutRequest": {"Item": entry.to_item()}} for entry in entries[start : start + 25]]
            dynamodb.batch_write_item(RequestItems={content["history_table"]: batch})
    key = f"{content['upload_prefix']}demo-stores-today.csv"
    # A full list, as a store that counts everything daily sends: an item counted unchanged today is known
    # to hold until today (its store's LastFullListAt), not only until its last change days ago.
    s3.put_object(Bucket=content["bucket"], Key=key, Body=upload_file(histories), Metadata={"full-list": "true"})
    return len(histories)
