"""In-memory stand-ins for the alerts function's integrations: the History rows with the store totals,
the Forecast table, the alerts topic, and the recount's daily pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from alerts.logic.alerting import ChangeLog, Notifier
from alerts.logic.batch_forecasts import ForecastStore
from alerts.logic.recount_pass import PassProgress, StoreRecounter
from alerts.models.digest import Digest
from alerts.models.history import Recorded, Written
from alerts.models.recount import StoreRecount, Totals, Verdict
from alerts.models.recount_pass import RecountPass
from alerts.models.stored_forecast import ItemKey, StoredForecast
from inventory.history import HistoryEntry, history_key, history_sort_key
from inventory.stores import StoreChange

# -- alerts: the History rows with the store totals, and the alerts topic --------------


class FakeChangeLog(ChangeLog):
    """History rows and Stores totals in memory, with the real once-only rule: a change whose
    row exists counts nothing and reports whether it was announced; and the real batching: each
    store's rows go ``rows_per_transaction`` at a time, in order, a chunk landing whole or not at
    all, and a store's later chunks not tried after one fails.

    ``fail_writes`` makes the next chunks fail (throttled past the retries), ``fail_changes``
    the chunk holding the first write of each given (item, new count); ``fail_marks`` the next
    calls to mark announcements. ``attempts`` lists the items of every row attempted, in order.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], HistoryEntry] = {}
        self.totals: dict[str, StoreChange] = {}
        self.rows_per_transaction = 99
        self.fail_writes = 0
        self.fail_changes: set[tuple[str, int]] = set()
        self.fail_marks = 0
        self.fail_digest_records = 0
        self.digests: list[tuple[str, str, set[tuple[str, str]]]] = []  # (store, published at, row keys)
        self.writes = 0
        self.attempts: list[str] = []

    @staticmethod
    def _key(entry: HistoryEntry) -> tuple[str, str]:
        return (history_key(entry.store, entry.item), history_sort_key(entry.time, entry.sequence))

    def write_all(self, changes: Any) -> list[Any]:
        from alerts.models.errors import HistoryUnavailable

        outcomes: list[Any] = [None] * len(changes)
        by_store: dict[str, list[int]] = {}
        for index, (entry, _) in enumerate(changes):
            by_store.setdefault(entry.store, []).append(index)
        for indices in by_store.values():
            size = self.rows_per_transaction
            failed: HistoryUnavailable | None = None
            for start in range(0, len(indices), size):
                chunk = indices[start : start + size]
                if failed is None:
                    self.attempts.extend(changes[index][0].item for index in chunk)
                    hit = {(changes[i][0].item, changes[i][0].new_count) for i in chunk} & self.fail_changes
                    if self.fail_writes or hit:
                        self.fail_writes = max(0, self.fail_writes - 1)
                        self.fail_changes -= hit
                        failed = HistoryUnavailable("History and totals not written (ThrottlingError)")
                if failed is not None:
                    for index in chunk:
                        outcomes[index] = failed
                    continue
                for index in chunk:
                    outcomes[index] = self._write(*changes[index])
        return outcomes

    def _write(self, entry: HistoryEntry, totals: StoreChange | None) -> Written:
        existing = self.rows.get(self._key(entry))
        if existing is not None:
            found = Recorded.UNANNOUNCED if existing.announced_at is None else Recorded.ANNOUNCED
            return Written(found, existing.alert)
        self.writes += 1
        self.rows[self._key(entry)] = entry
        if totals is not None:
            self.totals.setdefault(entry.store, StoreChange()).add(totals)
        return Written(Recorded.NEW, entry.alert)

    def record_digest(self, store: str, entries: Any, published_at: str) -> None:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_digest_records:
            self.fail_digest_records -= 1
            raise HistoryUnavailable("published digest not recorded: throttled")
        self.digests.append((store, published_at, {self._key(entry) for entry in entries}))

    def announced_rows(self, store: str, since: str) -> set[tuple[str, str]]:
        return {key for name, at, keys in self.digests if name == store and at >= since for key in keys}

    def alerted_after(self, entry: HistoryEntry) -> bool:
        partition, after = self._key(entry)
        return any(key[0] == partition and key[1] > after and row.alert for key, row in self.rows.items())

    def mark_all(self, entries: Any, announced_at: str) -> None:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_marks:
            self.fail_marks -= 1
            raise HistoryUnavailable("History rows not marked announced: throttled")
        for entry in entries:  # on rows that exist only, as the conditional updates do
            if self._key(entry) in self.rows:
                self.rows[self._key(entry)] = replace(self.rows[self._key(entry)], announced_at=announced_at)

    def entries(self) -> list[HistoryEntry]:
        return list(self.rows.values())

    def store_totals(self, store: str) -> tuple[int, int, int]:
        """(items, out, low) of a store, as the Stores row would hold them."""
        totals = self.totals.get(store, StoreChange())
        return (totals.items, totals.out, totals.low)


class FakeForecastTable(ForecastStore):
    """The Forecast table in memory, with the real write condition: the row must still be as read.

    ``fail_reads`` makes the next reads fail (throttled past the retries), ``fail_writes`` the
    next writes; ``before_write`` runs before each write (a concurrent writer lands in between).
    ``reads`` and ``written`` record the keys of every read and write, in order.
    """

    def __init__(self) -> None:
        from inventory.forecast import ForecastRow

        self.rows: dict[ItemKey, ForecastRow] = {}
        self.reads: list[list[ItemKey]] = []
        self.written: list[ItemKey] = []
        self.fail_reads = 0
        self.fail_writes = 0
        self.before_write: Any = None

    def read(self, keys: Any) -> dict[ItemKey, StoredForecast]:
        from alerts.models.errors import ForecastUnavailable

        wanted = list(dict.fromkeys(keys))
        self.reads.append(wanted)
        if self.fail_reads:
            self.fail_reads -= 1
            raise ForecastUnavailable("Forecast rows not readable: ProvisionedThroughputExceededException")
        return {
            key: StoredForecast(self.rows[key], exists=True, sequence=self.rows[key].state.sequence)
            for key in wanted
            if key in self.rows
        }

    def write(self, row: Any, read: StoredForecast) -> bool:
        from alerts.models.errors import ForecastUnavailable

        if self.before_write is not None:
            self.before_write(self, row)
        if self.fail_writes:
            self.fail_writes -= 1
            raise ForecastUnavailable("Forecast row not written: ProvisionedThroughputExceededException")
        key = (row.store, row.item)
        stored = self.rows.get(key)
        if (stored is None) != (not read.exists) or (stored is not None and stored.state.sequence != read.sequence):
            return False
        self.rows[key] = row
        self.written.append(key)
        return True


class FakeTopic(Notifier):
    """The alerts topic in memory: keeps every published digest; ``fail_stores`` refuse to publish."""

    def __init__(self) -> None:
        self.published: list[Digest] = []
        self.fail_stores: set[str] = set()

    def publish(self, digest: Digest) -> None:
        from alerts.models.errors import PublishFailed

        if digest.store in self.fail_stores:
            raise PublishFailed(f"SNS publish for {digest.store!r} failed: service unavailable")
        self.published.append(digest)

    def stores(self) -> list[str]:
        return [digest.store for digest in self.published]


# -- alerts: the recount's daily pass -------------------------------------------------------


class FakeRecountProgress(PassProgress):
    """The recount's progress item in memory, taken and saved on the same conditions as the table's."""

    def __init__(self) -> None:
        self.progress = RecountPass()
        self.owner: str | None = None
        self.held_until: str | None = None

    def take(self, owner: str, until: str, now: str) -> RecountPass | None:
        if self.held_until is not None and self.held_until >= now:
            return None
        self.owner, self.held_until = owner, until
        return self.progress

    def save(self, owner: str, progress: RecountPass) -> bool:
        if self.owner != owner:
            return False
        self.progress = progress
        return True

    def release(self, owner: str) -> None:
        if self.owner == owner:
            self.owner = self.held_until = None


class TimedRecounter(StoreRecounter):
    """Recounts a store by moving ``clock`` on by ``seconds`` (what one store costs) and noting when."""

    def __init__(self, clock: SteppingClock, seconds: float) -> None:
        self._clock = clock
        self._step = timedelta(seconds=seconds)
        self.recounted: list[tuple[str, datetime]] = []

    def recount(self, store: str) -> StoreRecount:
        self._clock.now += self._step
        self.recounted.append((store, self._clock.now))
        return StoreRecount(store, Verdict.MATCHED, Totals(), Totals())


class SteppingClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
