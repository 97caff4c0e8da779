"""Write units per changed item for the History rows and store totals, side by side: every change in a
transaction with its store's totals (the design before), against rows that move no total put alone, for
the cost model (bench/cost_bench.py; the figures at other batch sizes are settled in bench/page.md).

The alerts service's ChangeLedger on a real boto3 client whose calls the bench's stand-in answers
(every write lands) and meters (:func:`bench.standins.write_units`: 1 unit a KB, 2 in a transaction).
Each store's changes of one stream batch: ``n`` changes, of which a share moves a total (an item
going out, low or back; a new item) and the rest do not (a count that changes and stays in stock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alerts.dal import changes as ledger_module
from alerts.dal.changes import ChangeLedger
from inventory.history import HistoryEntry
from inventory.stores import StoreChange

from bench.emulator import metered_client
from bench.standins import Meter

STORES = 20


def _always(delta: StoreChange | None) -> bool:
    del delta
    return True


@contextmanager
def every_change_in_a_transaction() -> Iterator[None]:
    """The design before: each change's row went in its store's transaction, whatever its delta."""
    saved = ledger_module._moves
    ledger_module._moves = _always
    try:
        yield
    finally:
        ledger_module._moves = saved


def batch(per_store: int, moving_share: float) -> list[tuple[HistoryEntry, StoreChange | None]]:
    made: list[tuple[HistoryEntry, StoreChange | None]] = []
    moving = round(per_store * moving_share)
    for store in range(STORES):
        for n in range(per_store):
            entry = HistoryEntry(
                f"Store {store:04d}", f"Item {n:05d}", "2026-11-22T03:00:00.000Z", f"{store:04d}{n:06d}",
                50, 0 if n < moving else 40, 1_800_000_000, "out" if n < moving else None,
            )  # fmt: skip
            made.append((entry, StoreChange(out=1) if n < moving else StoreChange()))
    return made


def units(per_store: int, moving_share: float) -> float:
    meter = Meter(answer=True)
    client = metered_client(meter)
    ledger = ChangeLedger(client, "history", "stores", lambda: "2026-11-22T03:00:05.000Z")
    changes = batch(per_store, moving_share)
    ledger.write_all(changes)
    return meter.write_units / len(changes)
