"""Proving each store's totals against its items, and repairing drift without counting a change twice.

The stream consumer keeps the totals exact change by change; drift can still come from outside
it (totals written before the stream kept them, records lost past the stream's 24 hours, a
manual edit or deletion, an item whose previous image could not be read). The recount:

1. reads the store's Stores row (consistently), then every item of the store (consistently);
2. skips the store when changes may still be on their way: failed records of the store wait
   in the failed-records table for ``make replay``, or an item changed within the settle window
   (default 10 minutes) before the items were read (a write timed before it may still land).
   A stream consumer that is behind on the store does not make it wait: see step 3;
3. when the counts differ, writes the recounted totals on condition that the row is exactly
   as read (counts and ``UpdatedAt``, which the stream consumer sets with every change it
   applies), so a change applied while the store was counted makes the repair a no-op, to be
   retried by the next run. The repair also sets ``CountedThrough``: the changes made before the
   settle window that opened when the items were read are in the totals, so a failed record of
   one of them, replayed later, adds nothing again (:mod:`alerts.dal.changes`): recount and
   replay count it once, whichever runs first.

A retired item (a full list omitted it) is not counted, as the stream consumer leaves it out. An
item whose count or threshold cannot be read is not counted (the stream consumer skips
such a change too) and is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

from inventory.models import StockStatus, iso_utc, stock_status

from alerts.models.change import change_time_of
from alerts.models.recount import CountedItem, StoreRecount, StoreRow, Totals, Verdict


class StoreRows(Protocol):
    def stores(self) -> Iterable[str]: ...

    def row(self, store: str) -> StoreRow: ...

    def repair(self, row: StoreRow, totals: Totals, at: str, counted_through: str) -> bool:
        """Write ``totals`` (holding every change made until ``counted_through``) if the row is still
        exactly ``row``; ``False`` if it changed."""
        ...


class StoreItems(Protocol):
    def items(self, store: str) -> Iterable[CountedItem]: ...


class WaitingRecords(Protocol):
    def has_pending(self, store: str) -> bool: ...


class Recounter:
    def __init__(
        self,
        *,
        stores: StoreRows,
        inventory: StoreItems,
        waiting: WaitingRecords,
        default_threshold: int,
        settle: timedelta,
        clock: Callable[[], datetime],
        repair: bool = True,
    ) -> None:
        self._stores = stores
        self._inventory = inventory
        self._waiting = waiting
        self._default_threshold = default_threshold
        self._settle = settle
        self._clock = clock
        self._repair = repair

    def recount_all(
        self, stores: Iterable[str] | None = None, keep_going: Callable[[], bool] = lambda: True
    ) -> Iterator[StoreRecount]:
        """Recount each store (every store with a Stores row by default) while ``keep_going()``."""
        for store in self._stores.stores() if stores is None else stores:
            if not keep_going():
                return
            yield self.recount(store)

    def recount(self, store: str) -> StoreRecount:
        row = self._stores.row(store)
        if self._waiting.has_pending(store):
            return StoreRecount(store, Verdict.BUSY, row.totals, reason="failed stream records wait for `make replay`")
        started = self._clock()
        counted, newest, unreadable = self._count(store)
        now = self._clock()
        busy = self._busy(newest, started)
        if busy:
            return StoreRecount(store, Verdict.BUSY, row.totals, counted, busy, unreadable)
        if counted == row.totals:
            return StoreRecount(store, Verdict.MATCHED, row.totals, counted, unreadable=unreadable)
        if not self._repair:
            return StoreRecount(store, Verdict.DRIFT, row.totals, counted, unreadable=unreadable)
        # Every change made before the settle window that opened as the items were read is in them
        # (a newer one would have made the store busy): the stream consumer adds none of those again.
        if not self._stores.repair(row, counted, iso_utc(now), counted_through=iso_utc(started - self._settle)):
            return StoreRecount(
                store, Verdict.CHANGED, row.totals, counted, "the row changed while it was counted", unreadable
            )
        return StoreRecount(store, Verdict.REPAIRED, row.totals, counted, unreadable=unreadable)

    def _count(self, store: str) -> tuple[Totals, CountedItem | None, int]:
        items = out = low = unreadable = 0
        newest: CountedItem | None = None
        for item in self._inventory.items(store):
            if item.level is None:
                unreadable += 1
                continue
            if newest is None or item.updated_at > newest.updated_at:
                newest = item  # a retirement is a change too
            if item.level.retired:
                continue  # out of the totals until a file names it again
            items += 1
            status = stock_status(item.level.count, item.level.threshold, self._default_threshold)
            out += status is StockStatus.OUT
            low += status is StockStatus.LOW
        return Totals(items, out, low), newest, unreadable

    def _busy(self, newest: CountedItem | None, started: datetime) -> str:
        """Why changes of the store may still be on their way; empty when it is settled.

        Only the settle window counts: a change made before it is in the totals this recount
        writes (``CountedThrough``), whether the stream consumer has recorded it yet or not. (The
        History row of the newest change is not asked for: a change of threshold alone has none.)
        """
        changed = change_time_of(newest.updated_at) if newest is not None else None
        moment = _moment(changed)
        if moment is not None and moment > started - self._settle:
            return f"an item changed in the last {int(self._settle.total_seconds() // 60)} minutes"
        return ""


def _moment(time: str | None) -> datetime | None:
    if not time:
        return None
    try:
        return datetime.fromisoformat(time.replace("Z", "+00:00"))
    except ValueError:
        return None
