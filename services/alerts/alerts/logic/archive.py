"""Saving stream records that failed every retry, with their bodies, before the stream drops them.

Lambda's on-failure destination receives only where a failed batch is (shard, sequence range);
the stream keeps the records 24 hours. The archiver reads them back by that pointer and saves
each one whole, keyed by store and sequence number, so ``make replay`` can announce them later,
and the recount knows which stores still have changes outside the totals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from inventory.observability import count, logger

from alerts.models.errors import RecordsExpired
from alerts.models.failure import ArchivedRecord, FailedBatch, UnreadableFailure


class FailedRecordStream(Protocol):
    def records(self, batch: FailedBatch) -> list[dict[str, Any]]:
        """The batch's records in Lambda's shape; raises RecordsExpired or StreamUnavailable."""
        ...


class FailedRecordArchive(Protocol):
    def save(self, record: ArchivedRecord) -> bool:
        """Save unless already saved; ``True`` if new."""
        ...


@dataclass(frozen=True, slots=True)
class Archived:
    saved: int = 0
    already: int = 0
    lost: int = 0  # records the pointer named that the stream no longer holds (or never had)


class FailureArchiver:
    def __init__(self, stream: FailedRecordStream, archive: FailedRecordArchive, clock: Callable[[], str]) -> None:
        self._stream = stream
        self._archive = archive
        self._clock = clock

    def archive(self, message: str) -> Archived:
        """Save the records one failure message points to.

        A message that is not a stream failure record, and records the stream no longer holds,
        are logged as errors and counted (``FailedRecordsLost``), not retried: no retry could
        bring them back. A stream or table that cannot be reached right now raises, so the
        message comes back later.
        """
        try:
            batch = FailedBatch.from_message(message)
        except UnreadableFailure as error:
            logger.error("Failure message unreadable; dropped", extra={"reason": str(error), "body": message[:500]})
            count("FailureMessagesUnreadable")
            return Archived()
        where = {"shard": batch.shard_id, "start": batch.start_sequence, "end": batch.end_sequence}
        try:
            records = self._stream.records(batch)
        except RecordsExpired as error:
            logger.error(
                "Failed records are no longer in the stream; their changes need the recount",
                extra=where | {"reason": str(error), "batch_size": batch.batch_size, "condition": batch.condition},
            )
            count("FailedRecordsLost", max(batch.batch_size, 1))
            return Archived(lost=max(batch.batch_size, 1))
        archived_at = self._clock()
        saved = already = 0
        for record in records:
            store = _store_of(record)
            if store is None:
                logger.error("Failed record has no store key; not saved", extra=where | {"record": str(record)[:500]})
                continue
            fresh = self._archive.save(
                ArchivedRecord(
                    store=store,
                    sequence=str(record["dynamodb"]["SequenceNumber"]),
                    record=record,
                    archived_at=archived_at,
                    failure=batch.condition,
                )
            )
            saved, already = saved + fresh, already + (not fresh)
        lost = max(0, batch.batch_size - len(records))
        if lost:
            logger.warning("Fewer records found than the failed batch held", extra=where | {"found": len(records)})
        logger.info("Failed stream records saved for replay", extra=where | {"saved": saved, "already": already})
        count("FailedRecordsArchived", saved)
        return Archived(saved=saved, already=already, lost=lost)


def _store_of(record: dict[str, Any]) -> str | None:
    store = (record.get("dynamodb", {}).get("Keys", {}).get("Store") or {}).get("S")
    return store if isinstance(store, str) and store else None
