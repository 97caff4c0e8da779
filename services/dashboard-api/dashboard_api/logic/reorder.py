"""What to order and what to move between stores, for one caller and only from what they may see.

Each item's order comes from its Forecast row (rate and spread of demand, the count and when it
held) and its Inventory item's ordering values (lead time, pack size, supplier), through
:func:`inventory.reorder.suggest`; transfers through :func:`inventory.reorder.transfers`. Orders: one
Query of each store's Forecast partition and one of its Inventory partition (ordering values
only), the stores in parallel; transfers: see :meth:`Reorders.transfers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Protocol

from inventory.forecast import ForecastRow, Listing, parse_time
from inventory.models import NO_ORDERING, Ordering, iso_utc, utc_now
from inventory.reorder import Demand, Holding, Policy, suggest, transfers
from inventory.stores import StoreSummary

from dashboard_api.logic.dashboard import (
    MAX_STORE_FORECASTS,
    ForecastSource,
    StoreSource,
    listing_of,
    parallel_map,
    summaries_of,
)
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import (
    ReorderResponse,
    ReorderView,
    StoreReorder,
    StoreReorderView,
    TransfersResponse,
    TransferView,
)
from dashboard_api.models.errors import Unknown

#: Items of one store a transfer search takes: its most urgent.
MAX_NEEDY_PER_STORE = 100
#: Entries of one store's RunningOut index a transfer search reads at most (it keeps run-out weeks, so
#: it returns items that turn out not to be needy, to be filtered out).
MAX_INDEXED_PER_STORE = 20_000
#: Items a transfer search looks for in every store: the most urgent across stores.
MAX_TRANSFER_ITEMS = 100
#: BatchGetItem takes at most 100 keys a call.
KEYS_PER_CALL = 100


class OrderingSource(Protocol):
    def orderings(self, store: str, max_rows: int) -> dict[str, Ordering]: ...


class Reorders:
    def __init__(
        self,
        *,
        stores: StoreSource,
        items: OrderingSource,
        forecasts: ForecastSource,
        policy: Policy,
        mapper: Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]] = parallel_map,
        clock: Callable[[], str] = utc_now,
        stale_days: float,
    ) -> None:
        self._stores = stores
        self._items = items
        self._forecasts = forecasts
        self._policy = policy
        self._map = mapper
        self._clock = clock
        self._stale_days = stale_days

    def store(self, caller: Caller, store: str) -> StoreReorder:
        """A store's orders due within the order cycle, soonest order-by first."""
        caller.require(store)
        summary = self._stores.get(store)
        views, complete, found = self._store_orders(store, summary, self._clock())
        if summary is None and not found:
            raise Unknown("no such store")
        return StoreReorder(
            store=store,
            cycle_days=self._policy.cycle_days,
            service_level=self._policy.service_level,
            items=views,
            truncated=not complete,
        )

    def across(self, caller: Caller) -> ReorderResponse:
        """Orders due within the order cycle across the caller's stores, soonest order-by first."""
        now = self._clock()
        summaries = self._summaries(caller)
        per_store = self._map(
            lambda store: (store, self._store_orders(store, summaries[store], now)), sorted(summaries)
        )
        items = [
            StoreReorderView(store=store, **view.model_dump()) for store, (views, _, _) in per_store for view in views
        ]
        items.sort(key=lambda view: (view.order_by, view.store, view.item))
        return ReorderResponse(
            cycle_days=self._policy.cycle_days,
            service_level=self._policy.service_level,
            items=items,
            truncated=any(not complete for _, (_, complete, _) in per_store),
        )

    def transfers(self, caller: Caller) -> TransfersResponse:
        """Stock to move between stores, most urgent first: head office only (every store's stock).

        Two reads per store, in parallel, never a whole partition: the RunningOut index for the items
        that run out within the stage's lead time (one Query; the most urgent :data:`MAX_NEEDY_PER_STORE`
        kept), then the Forecast rows of the most urgent of those items (at most
        :data:`MAX_TRANSFER_ITEMS`) in every store, where the stock that could be moved is
        (BatchGetItem, 100 keys of any stores a call, the calls in parallel). The stage's lead time
        applies to every item here.
        """
        caller.require_admin()
        now = self._clock()
        summaries = {summary.store: summary for summary in self._stores.all()}
        stores = sorted(summaries)
        per_store = self._map(lambda store: self._running_out(store, summaries[store], now), stores)
        urgent = sorted((cover, row.item) for rows, _ in per_store for cover, row in rows)
        wanted = list(dict.fromkeys(item for _, item in urgent))
        truncated = len(wanted) > MAX_TRANSFER_ITEMS or any(more for _, more in per_store)
        wanted = wanted[:MAX_TRANSFER_ITEMS]
        keys = [(store, item) for store in stores for item in wanted]
        chunks = [keys[start : start + KEYS_PER_CALL] for start in range(0, len(keys), KEYS_PER_CALL)]
        holdings: list[Holding] = []
        for found in self._map(self._forecasts.keyed, chunks):
            for row in found.rows:
                if row.retired:
                    continue  # a full list of its store omitted it: nothing there to move
                summary = summaries[row.store]
                holdings.append(_holding(row, now, self._listing(summary)))
        moves = transfers(holdings, self._policy)
        return TransfersResponse(
            items=[
                TransferView(
                    item=move.item,
                    source=move.source,
                    target=move.target,
                    quantity=move.quantity,
                    runs_out_in_days=round(move.runs_out_in_days, 2),
                )
                for move in moves
            ],
            truncated=truncated,
        )

    def _listing(self, summary: StoreSummary | None) -> Listing:
        return listing_of(summary, self._stale_days)

    def _summaries(self, caller: Caller) -> dict[str, StoreSummary | None]:
        return summaries_of(self._stores, caller, self._map)

    def _store_orders(self, store: str, summary: StoreSummary | None, now: str) -> tuple[list[ReorderView], bool, bool]:
        """The store's orders due within the cycle; whether every row was read; whether it has any row."""
        found = self._forecasts.store_rows(store, MAX_STORE_FORECASTS)
        if not found.rows:
            return [], found.complete, False
        orderings = self._items.orderings(store, MAX_STORE_FORECASTS)
        held = self._listing(summary)
        horizon = _after(now, self._policy.cycle_days)
        views = []
        for row in found.rows:
            view = self._order(row, orderings.get(row.item, NO_ORDERING), now, held)
            if view is not None and view.quantity > 0 and view.order_by <= horizon:
                views.append(view)
        views.sort(key=lambda view: (view.order_by, view.item))
        return views, found.complete, True

    def _order(self, row: ForecastRow, ordering: Ordering, now: str, held: Listing) -> ReorderView | None:
        outlook = row.outlook(now, held)
        if outlook is None:
            return None
        on_hand = outlook.days_left * outlook.rate_per_day  # the count, less what sold since it held
        lead = self._policy.lead_time_days if ordering.lead_time_days is None else float(ordering.lead_time_days)
        pack = ordering.pack_size or 1
        demand = Demand(outlook.rate_per_day, outlook.daily_sd)
        order = suggest(on_hand, demand, now, self._policy, lead_time_days=lead, pack=pack)
        if order is None:
            return None
        return ReorderView(
            item=row.item,
            count=outlook.count,
            on_hand=round(on_hand, 1),
            rate_per_day=float(f"{outlook.rate_per_day:.4g}"),
            daily_sd=float(f"{demand.sd:.4g}"),
            lead_time_days=lead,
            pack_size=pack,
            supplier=ordering.supplier,
            quantity=order.quantity,
            order_by=order.order_by,
            reorder_point=round(order.reorder_point, 1),
            order_up_to=round(order.order_up_to, 1),
            why=order.why,
        )

    def _running_out(
        self, store: str, summary: StoreSummary | None, now: str
    ) -> tuple[list[tuple[float, ForecastRow]], bool]:
        """A store's items that run out within the stage's lead time from now (cover, row), at most
        :data:`MAX_NEEDY_PER_STORE`, most urgent first, and whether it has more (or the index more
        than :data:`MAX_INDEXED_PER_STORE` entries to read)."""
        held = self._listing(summary)
        lead = self._policy.lead_time_days
        found = self._forecasts.running_out(store, _after(now, lead), MAX_INDEXED_PER_STORE)
        rows = []
        for row in found.rows:
            outlook = row.outlook(now, held)
            if outlook is not None and outlook.days_left < lead:
                rows.append((outlook.days_left, row))
        rows.sort(key=lambda found: (found[0], found[1].item))
        return rows[:MAX_NEEDY_PER_STORE], len(rows) > MAX_NEEDY_PER_STORE or not found.complete


def _holding(row: ForecastRow, now: str, held: Listing) -> Holding:
    """What a store holds of an item now, and its demand (none: the item is not being used up there)."""
    outlook = row.outlook(now, held)
    if outlook is None:
        return Holding(row.store, row.item, row.state.count, None)
    demand = Demand(outlook.rate_per_day, outlook.daily_sd)
    return Holding(row.store, row.item, outlook.days_left * outlook.rate_per_day, demand)


def _after(now: str, days: float) -> str:
    return iso_utc(parse_time(now) + timedelta(days=days))
