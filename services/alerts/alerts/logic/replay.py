"""Replaying saved failed records through the same alerts flow, store by store, in stream order.

- Still true: a replay comes hours after the changes, so a change is announced only if its item
  is still in the state the change left it in (read now, consistently); otherwise it is recorded
  (History row and totals) without being announced: "OUT 3 -> 0" is not sent about an item
  restocked to 8 since.
- One at a time: a replay holds a lock (an item of the failed-records table, taken with a
  conditional put, expiring after :data:`LOCK_HOLD` unless renewed by its holder before each
  batch); a second replay started meanwhile publishes nothing and says until when the lock is
  held. A store's records go in batches of at most :data:`BATCH` (a store whose whole first load
  failed has a million), so the lock is renewed long before it lapses; a replay that finds its
  lock taken (it lapsed) stops before its next batch.
- Idempotent: a record whose change is recorded and announced already counts and announces
  nothing again, and a record replayed successfully is marked and not replayed again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Protocol

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from alerts.logic.alerting import AlertService
from alerts.logic.batch import CurrentLevels, StreamBatch
from alerts.models.errors import ReplayBusy
from alerts.models.failure import ArchivedRecord

#: How long a replay's lock lasts unless renewed (it is, before each batch).
LOCK_HOLD = timedelta(minutes=15)
#: Records replayed as one batch: the stream's batch size, a few seconds of work.
BATCH = 500


class ReplayArchive(Protocol):
    def pending(self, store: str | None = None) -> list[ArchivedRecord]:
        """Records not replayed yet, by store and in stream order."""
        ...

    def mark_replayed(self, record: ArchivedRecord, at: str) -> None: ...

    def lock(self, owner: str, now: datetime, hold: timedelta) -> str | None:
        """Take or extend the replay lock: ``None`` when taken, else when another holder's ends."""
        ...

    def unlock(self, owner: str) -> None: ...


@dataclass
class Replayed:
    store: str
    replayed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # sequence -> why


class Replayer:
    def __init__(
        self,
        archive: ReplayArchive,
        service: AlertService,
        clock: Callable[[], str],
        current: CurrentLevels,
        now: Callable[[], datetime],
        *,
        batch: int = BATCH,
    ) -> None:
        self._archive = archive
        self._service = service
        self._clock = clock
        self._current = current
        self._now = now
        self._batch = batch

    def pending(self, store: str | None = None) -> list[ArchivedRecord]:
        return self._archive.pending(store)

    def replay(self, store: str | None = None) -> list[Replayed]:
        """Replay every pending record (of ``store``, or of all stores), store by store in batches.

        As on the stream, a store's records after one that fails are left for the next replay.
        Raises :class:`ReplayBusy` when another replay holds the lock (at the start, or because
        this one's lapsed and was taken before its next batch).
        """
        owner = uuid.uuid4().hex
        self._take(owner)
        try:
            return [
                self._replay_store(owner, name, list(group))
                for name, group in groupby(self._archive.pending(store), key=lambda record: record.store)
            ]
        finally:
            self._archive.unlock(owner)

    def _replay_store(self, owner: str, store: str, saved: list[ArchivedRecord]) -> Replayed:
        result = Replayed(store)
        for start in range(0, len(saved), self._batch):
            self._take(owner)
            batch = saved[start : start + self._batch]
            failed = StreamBatch(self._service, current=self._current).run(
                [DynamoDBRecord(record.record) for record in batch]
            )
            at = self._clock()
            for record in batch:
                error = failed.get(record.sequence)
                if error is None:
                    self._archive.mark_replayed(record, at)
                    result.replayed += 1
                else:
                    result.failed[record.sequence] = str(error)
            if failed:
                for record in saved[start + self._batch :]:
                    result.failed[record.sequence] = "an earlier record of the store failed; left for the next replay"
                break
        return result

    def _take(self, owner: str) -> None:
        held_until = self._archive.lock(owner, self._now(), LOCK_HOLD)
        if held_until is not None:
            raise ReplayBusy(f"another replay is running (its lock lasts until {held_until} unless renewed)")
