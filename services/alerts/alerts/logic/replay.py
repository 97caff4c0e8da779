"""Replaying saved failed records through the same alerts flow, store by store, in stream order.

Idempotent: a record whose change is recorded and announced already counts and announces
nothing again, and a record replayed successfully is marked and not replayed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Protocol

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from alerts.logic.alerting import AlertService
from alerts.logic.batch import StreamBatch
from alerts.models.failure import ArchivedRecord


class ReplayArchive(Protocol):
    def pending(self, store: str | None = None) -> list[ArchivedRecord]:
        """Records not replayed yet, by store and in stream order."""
        ...

    def mark_replayed(self, record: ArchivedRecord, at: str) -> None: ...


@dataclass
class Replayed:
    store: str
    replayed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # sequence -> why


class Replayer:
    def __init__(self, archive: ReplayArchive, service: AlertService, clock: Callable[[], str]) -> None:
        self._archive = archive
        self._service = service
        self._clock = clock

    def pending(self, store: str | None = None) -> list[ArchivedRecord]:
        return self._archive.pending(store)

    def replay(self, store: str | None = None) -> list[Replayed]:
        """Replay every pending record (of ``store``, or of all stores); one batch per store.

        As on the stream, a store's records after one that fails are left for the next replay.
        """
        results = []
        for name, group in groupby(self._archive.pending(store), key=lambda record: record.store):
            saved = list(group)
            failed = StreamBatch(self._service).run([DynamoDBRecord(record.record) for record in saved])
            result = Replayed(name)
            at = self._clock()
            for record in saved:
                error = failed.get(record.sequence)
                if error is None:
                    self._archive.mark_replayed(record, at)
                    result.replayed += 1
                else:
                    result.failed[record.sequence] = str(error)
            results.append(result)
        return results
