"""The dashboard's questions, answered for one caller and only with what they may see."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from inventory.forecast import Forecast, ForecastRow, Listing
from inventory.forecast import parse_time as moment_of
from inventory.history import HistoryEntry
from inventory.models import StockStatus, iso_utc, utc_now
from inventory.stores import StoreSummary

from dashboard_api.logic.cursor import CursorCodec, StartKey
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import (
    AlertView,
    ForecastResponse,
    ForecastView,
    HistoryPoint,
    HistoryResponse,
    ItemDetail,
    ItemsPage,
    ItemView,
    StoreForecast,
    StoreForecastView,
    StoreView,
)
from dashboard_api.models.errors import InvalidInput, Unknown
from dashboard_api.models.records import PARALLEL_READS, ForecastRows, ItemPage, ItemRecord

T = TypeVar("T")
R = TypeVar("R")

#: Items one Query examines when the page is filtered (`q`, or `status=ok`, whose filter runs
#: after the read): sized for the read, not for `limit`, so a rare match costs a few Queries.
FILTERED_QUERY_ITEMS = 250
#: A request stops after examining this many items, even with fewer matches than asked for
#: (its cursor continues from there): at most four filtered Queries per request.
MAX_EXAMINED_PER_PAGE = 1_000
#: Most history points returned for one item.
MAX_HISTORY_POINTS = 5_000
#: Most Forecast rows one store's forecast examines (about 5 MB, a few Query pages).
MAX_STORE_FORECASTS = 20_000
#: A Forecast row's size for read planning: about 200 bytes plus the names (docs/benchmarks.md).
FORECAST_ROW_BYTES = 256
#: What one read unit reads: a Query reads rows back to back, a BatchGetItem rounds each row up to it.
READ_UNIT_BYTES = 4096
#: Upper bound of a history range with no `to`: changes are never in the future, but a
#: clock skew between services must not hide the newest one.
_END_OF_TIME = "9999-12-31T23:59:59.999Z"


class StoreSource(Protocol):
    def get(self, store: str) -> StoreSummary | None: ...
    def all(self) -> list[StoreSummary]: ...
    def set_full_list(self, store: str, full_list: bool) -> StoreSummary | None: ...


class ItemSource(Protocol):
    def page(
        self,
        store: str,
        *,
        status: StockStatus | None,
        limit: int,
        after_item: str | None = None,
        after_status: str | None = None,
    ) -> ItemPage: ...
    def one(self, store: str, item: str) -> ItemRecord | None: ...
    def alerts(self, store: str, status: StockStatus | None) -> list[ItemRecord]: ...


class HistorySource(Protocol):
    def changes(self, store: str, item: str, start: str, end: str, limit: int) -> tuple[list[HistoryEntry], bool]: ...


class ForecastSource(Protocol):
    def store_rows(self, store: str, max_rows: int) -> ForecastRows: ...
    def running_out(self, store: str, by: str, max_rows: int) -> ForecastRows: ...
    def between(self, store: str, first: str, last: str, max_rows: int) -> ForecastRows: ...
    def rows(self, store: str, items: Iterable[str]) -> ForecastRows: ...
    def keyed(self, keys: Iterable[tuple[str, str]], what: str = ...) -> ForecastRows: ...


def parallel_map(function: Callable[[T], R], values: Iterable[T]) -> list[R]:
    """``function`` over ``values`` on a few threads (boto3 clients are thread-safe), in order."""
    values = list(values)
    if len(values) <= 1:
        return [function(value) for value in values]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(values))) as pool:
        return list(pool.map(function, values))


def parse_time(value: str, field: str) -> str:
    """An ISO 8601 time as the fixed-width UTC text the tables hold; no zone means UTC."""
    text = value.strip()
    if len(text) > 40:
        raise InvalidInput(f"`{field}` is not an ISO 8601 time", "invalid_time")
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"`{field}` is not an ISO 8601 time (e.g. 2026-11-22T10:00:00Z)", "invalid_time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_utc(moment)


def listing_of(summary: StoreSummary | None, stale_days: float) -> Listing:
    """When the store's items were last listed, as far as its summary says (see ``Listing``)."""
    return Listing(summary.last_full_list_at if summary else None, stale_days)


def summaries_of(
    stores: StoreSource, caller: Caller, mapper: Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]]
) -> dict[str, StoreSummary | None]:
    """The caller's stores by name, each with its summary row (``None``: none yet)."""
    if caller.admin:
        return {summary.store: summary for summary in stores.all()}
    names = sorted(caller.stores)
    return dict(zip(names, mapper(stores.get, names), strict=True))


class Dashboard:
    def __init__(
        self,
        *,
        stores: StoreSource,
        items: ItemSource,
        history: HistorySource,
        forecasts: ForecastSource,
        cursors: CursorCodec,
        mapper: Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]] = parallel_map,
        clock: Callable[[], str] = utc_now,
        stale_days: float,
    ) -> None:
        self._stores = stores
        self._items = items
        self._history = history
        self._forecasts = forecasts
        self._cursors = cursors
        self._map = mapper
        self._clock = clock
        self._stale_days = stale_days

    # -- stores ---------------------------------------------------------------------

    def stores(self, caller: Caller) -> list[StoreView]:
        """The caller's stores with their counts and last upload, sorted by name."""
        if caller.admin:
            found = self._stores.all()
        else:
            found = [summary for summary in self._map(self._stores.get, sorted(caller.stores)) if summary]
        visible = sorted((summary for summary in found if caller.may_see(summary.store)), key=lambda s: s.store)
        return [_store_view(summary) for summary in visible]

    def set_full_list(self, caller: Caller, store: str, full_list: bool) -> StoreView:
        """Remember (or forget) that every file of ``store`` is its full list; the store's users or head office."""
        caller.require(store)
        summary = self._stores.set_full_list(store, full_list)
        if summary is None:
            raise Unknown("no such store: it has sent no file yet")
        return _store_view(summary)

    def _store_names(self, caller: Caller) -> list[str]:
        names = [summary.store for summary in self._stores.all()] if caller.admin else caller.stores
        return sorted(set(names))

    def _listing(self, summary: StoreSummary | None) -> Listing:
        return listing_of(summary, self._stale_days)

    def _summaries(self, caller: Caller) -> dict[str, StoreSummary | None]:
        return summaries_of(self._stores, caller, self._map)

    # -- items ----------------------------------------------------------------------

    def items(
        self,
        caller: Caller,
        store: str,
        *,
        status: StockStatus | None,
        query: str | None,
        limit: int,
        cursor: str | None,
    ) -> ItemsPage:
        """One page of a store's items in name order; ``query`` matches names case-insensitively.

        Reads are bounded whatever the filter: an unfiltered page reads ``limit + 1`` items (the
        extra one tells whether more follow); a filtered one reads Queries of
        :data:`FILTERED_QUERY_ITEMS` and stops after :data:`MAX_EXAMINED_PER_PAGE` items examined,
        answering what it found (maybe nothing) with a cursor that continues after the last item
        examined.
        """
        caller.require(store)
        mode = status.value if status else "all"
        start = self._cursors.decode(cursor, store, mode) if cursor else None
        needle = query.casefold() if query else None
        filtered = needle is not None or status is StockStatus.OK
        page_size = FILTERED_QUERY_ITEMS if filtered else limit + 1
        after_item = start.item if start else None
        after_status = start.alert_status if start else None
        found: list[ItemRecord] = []
        examined = 0
        next_start: StartKey | None = None
        while True:
            page = self._items.page(
                store,
                status=status,
                limit=min(page_size, MAX_EXAMINED_PER_PAGE - examined),
                after_item=after_item,
                after_status=after_status,
            )
            examined += page.scanned
            matches = [r for r in page.items if needle is None or needle in r.stored.item.casefold()]
            room = limit - len(found)
            if len(matches) > room:
                found.extend(matches[:room])
                next_start = _start_after(found[-1], status)
                break
            found.extend(matches)
            if page.last_item is None:
                break
            after_item, after_status = page.last_item, page.last_status
            if len(found) == limit or examined >= MAX_EXAMINED_PER_PAGE:
                next_start = StartKey(store, page.last_item, page.last_status if _indexed(status) else None)
                break
        if not found and cursor is None and next_start is None and self._stores.get(store) is None:
            raise Unknown("no such store")
        days_left = self._days_left(store, found, examined, from_index=_indexed(status))
        return ItemsPage(
            store=store,
            items=[_item_view(record, days_left.get(record.stored.item)) for record in found],
            next_cursor=self._cursors.encode(next_start, mode) if next_start else None,
        )

    def _days_left(self, store: str, records: list[ItemRecord], examined: int, *, from_index: bool) -> dict[str, float]:
        """Each listed item's days of cover from now, where its Forecast row has a forecast.

        Whichever read is cheaper: the page's items came from the table in name order, so their
        rows lie between the first and the last, among at most ``examined`` rows: one Query of
        that range reads them back to back (16 rows a read unit). A BatchGetItem reads exactly
        the page's rows, but a read unit each. A dense page (unfiltered: ``limit + 1`` examined)
        takes the Query; a sparse one (a filter matched few of many, or the alerts index) the batch.
        """
        if not records:
            return {}
        names = [record.stored.item for record in records]
        range_units = math.ceil(examined * FORECAST_ROW_BYTES / READ_UNIT_BYTES)
        if not from_index and range_units <= len(names):
            found = self._forecasts.between(store, min(names), max(names), examined + len(names))
        else:
            found = self._forecasts.rows(store, names)
        summary = self._stores.get(store)
        now = self._clock()
        held = self._listing(summary)
        days: dict[str, float] = {}
        for row in found.rows:
            outlook = row.outlook(now, held)
            if outlook is not None:
                days[row.item] = round(outlook.days_left, 2)
        return days

    def item(self, caller: Caller, store: str, item: str) -> ItemDetail:
        """One item of a store with its forecast: a Query of its key in Inventory and in Forecast."""
        caller.require(store)
        record = self._items.one(store, item)
        if record is None:
            raise Unknown("no such item")
        summary = self._stores.get(store)
        held = self._listing(summary)
        now = self._clock()
        rows = self._forecasts.between(store, item, item, 1).rows
        forecast = next((view for row in rows if (view := _forecast_view(row, now, held)) is not None), None)
        days_left = forecast.days_left if forecast else None
        return ItemDetail(**_item_view(record, days_left).model_dump(), forecast=forecast)

    # -- forecasts ------------------------------------------------------------------

    def store_forecast(self, caller: Caller, store: str) -> StoreForecast:
        """Every item of a store being used up, soonest to run out first (one Query of the store's rows)."""
        caller.require(store)
        summary = self._stores.get(store)
        found = self._forecasts.store_rows(store, MAX_STORE_FORECASTS)
        if summary is None and not found.rows:
            raise Unknown("no such store")
        now = self._clock()
        held = self._listing(summary)
        views = [view for row in found.rows if (view := _forecast_view(row, now, held)) is not None]
        views.sort(key=lambda view: (view.runs_out_at, view.item))
        return StoreForecast(store=store, items=views, truncated=not found.complete)

    def forecast(self, caller: Caller, within_days: float, limit: int) -> ForecastResponse:
        """Items of the caller's stores that run out within ``within_days`` from now, soonest first.

        One Query of the RunningOut index per store (in parallel): its entries up to the week of
        ``now`` plus ``within_days`` hold every item that runs out by then, and items that run out
        later than their last count said (the count holds until the item was last listed); the exact
        answer is filtered from what it returns (at most :data:`MAX_STORE_FORECASTS` a store).
        """
        now = self._clock()
        summaries = self._summaries(caller)
        by = iso_utc(moment_of(now) + timedelta(days=within_days))

        def one(store: str) -> tuple[list[StoreForecastView], bool]:
            summary = summaries.get(store)
            held = self._listing(summary)
            found = self._forecasts.running_out(store, by, MAX_STORE_FORECASTS)
            views = []
            for row in found.rows:
                view = _forecast_view(row, now, held)
                if view is not None and view.days_left <= within_days:
                    views.append(StoreForecastView(store=store, **view.model_dump()))
            return views, not found.complete

        per_store = self._map(one, sorted(summaries))
        items = [view for views, _ in per_store for view in views]
        items.sort(key=lambda view: (view.runs_out_at, view.store, view.item))
        truncated = len(items) > limit or any(more for _, more in per_store)
        return ForecastResponse(within_days=within_days, items=items[:limit], truncated=truncated)

    # -- alerts ---------------------------------------------------------------------

    def alerts(self, caller: Caller, status: StockStatus | None) -> list[AlertView]:
        """Every out-of-stock / low item across the caller's stores, newest change first.

        One Query of the sparse alerts index per store (in parallel): it holds only
        alerting items, so nothing that is ok is ever read.
        """
        stores = self._store_names(caller)
        per_store = self._map(lambda store: self._items.alerts(store, status), stores)
        alerts = [_alert_view(record) for records in per_store for record in records]
        alerts.sort(key=lambda alert: (alert.store, alert.item))
        alerts.sort(key=lambda alert: alert.updated_at, reverse=True)
        return alerts

    # -- history --------------------------------------------------------------------

    def history(self, caller: Caller, store: str, item: str, start: str | None, end: str | None) -> HistoryResponse:
        """An item's count changes between two times (default: all the history kept), oldest first."""
        caller.require(store)
        start_time = parse_time(start, "from") if start else "0000"
        end_time = parse_time(end, "to") if end else _END_OF_TIME
        if start and end and start_time > end_time:
            raise InvalidInput("`from` is after `to`", "invalid_time")
        entries, _more = self._history.changes(store, item, start_time, end_time, MAX_HISTORY_POINTS)
        return HistoryResponse(
            store=store,
            item=item,
            points=[HistoryPoint(time=e.time, count=e.new_count, previous=e.old_count) for e in entries],
        )


def _indexed(status: StockStatus | None) -> bool:
    return status in (StockStatus.OUT, StockStatus.LOW)


def _start_after(record: ItemRecord, status: StockStatus | None) -> StartKey:
    return StartKey(record.stored.store, record.stored.item, record.status.value if _indexed(status) else None)


def _store_view(summary: StoreSummary) -> StoreView:
    return StoreView.model_validate(summary, from_attributes=True)


def _item_view(record: ItemRecord, days_left: float | None = None) -> ItemView:
    stored = record.stored
    return ItemView(
        store=stored.store,
        item=stored.item,
        count=stored.count,
        threshold=stored.threshold,
        status=record.status.value,
        updated_at=stored.updated_at,
        source_key=stored.source.key,
        days_left=days_left,
    )


def _forecast_view(row: ForecastRow, now: str, held: Listing) -> ForecastView | None:
    """A row's forecast as a reader at ``now`` sees it (the count holding until the item was last
    listed, ``held``); ``None`` when it holds none, or the item has gone unlisted too long."""
    outlook: Forecast | None = row.outlook(now, held)
    if outlook is None:
        return None
    return ForecastView(
        item=row.item,
        count=outlook.count,
        rate_per_day=float(f"{outlook.rate_per_day:.4g}"),
        days_left=round(outlook.days_left, 2),
        runs_out_at=outlook.runs_out_at,
    )


def _alert_view(record: ItemRecord) -> AlertView:
    stored = record.stored
    return AlertView(
        store=stored.store,
        item=stored.item,
        count=stored.count,
        threshold=stored.threshold,
        status=record.status.value,  # type: ignore[arg-type]  # the index holds out and low only
        updated_at=stored.updated_at,
    )
