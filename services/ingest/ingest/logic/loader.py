"""Load parsed rows into the Inventory table, writing only what changed.

Rows are spread over a few writer lanes by item, so every row of one item goes through
the same lane in file order: when a file lists an item twice, the later row wins, as if
the file were applied top to bottom. Each lane collects up to 100 distinct items, reads
their stored state in one BatchGetItem, and writes only the items whose count or
threshold changed (BatchWriteItem, 25 at a time). An item last set by a newer upload is
left alone (stale), so S3's unordered, repeated delivery never sets a level back, and a
replayed or unchanged file writes nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from inventory.models import InventoryRow, RowError, SourceVersion
from inventory.report import RowCounts, UploadReport
from inventory.stores import StoreChange
from inventory.table import StoredItem, from_attributes, item_key, to_attributes

from ingest.dal.inventory import READ_BATCH_SIZE, WRITE_BATCH_SIZE, InventoryTable

ItemKey = tuple[str, str]
#: BatchWriteItem calls one lane sends at once: a read of 100 items yields up to four.
WRITES_PER_LANE = READ_BATCH_SIZE // WRITE_BATCH_SIZE
#: Batches a lane may hold waiting: parsing pauses when writers fall behind, so memory stays flat.
LANE_QUEUE_DEPTH = 2


@dataclass(slots=True)
class LaneResult:
    counts: RowCounts = field(default_factory=RowCounts)
    stores: dict[str, StoreChange] = field(default_factory=dict)
    error: BaseException | None = None


class Loader:
    """Loads one file's rows; see the module docstring for the rules it follows."""

    def __init__(
        self,
        table: InventoryTable,
        default_threshold: int,
        concurrency: int,
        clock: Callable[[], str],
    ) -> None:
        self._table = table
        self._default_threshold = default_threshold
        self._concurrency = concurrency
        self._clock = clock

    def load(
        self, rows: Iterable[InventoryRow | RowError], source: SourceVersion, report: UploadReport
    ) -> dict[str, StoreChange]:
        """Apply ``rows`` to the table, tallying into ``report``; returns each store's summary change.

        Raises the first table error a lane met (after its retries), once every lane has stopped.
        """
        # Each lane sends a batch's writes together and waits for them before its next
        # batch, so the rows of one item still land in file order.
        writers = ThreadPoolExecutor(self._concurrency * WRITES_PER_LANE, thread_name_prefix="write")
        lanes = [_Lane(self, source, writers) for _ in range(self._concurrency)]
        buffers: list[dict[ItemKey, InventoryRow]] = [{} for _ in lanes]
        for lane in lanes:
            lane.start()
        try:
            for row in rows:
                report.rows.read += 1
                if isinstance(row, RowError):
                    report.reject(row)
                    continue
                report.rows.accepted += 1
                report.saw_store(row.store)
                key = (row.store, row.item)
                index = hash(key) % len(lanes)
                buffer = buffers[index]
                if buffer.pop(key, None) is not None:
                    report.rows.duplicates += 1
                buffer[key] = row
                if len(buffer) == READ_BATCH_SIZE:
                    lanes[index].submit(buffer)
                    buffers[index] = {}
        finally:
            for lane, buffer in zip(lanes, buffers, strict=True):
                if buffer:
                    lane.submit(buffer)
                lane.finish()
            writers.shutdown()
        changes: dict[str, StoreChange] = {}
        for lane in lanes:
            if lane.result.error is not None:
                raise lane.result.error
            report.rows.add(lane.result.counts)
            for store, change in lane.result.stores.items():
                changes.setdefault(store, StoreChange()).add(change)
        return changes

    def apply(
        self, batch: dict[ItemKey, InventoryRow], source: SourceVersion, result: LaneResult, writers: ThreadPoolExecutor
    ) -> None:
        """Compare one batch with the stored items and write the ones that changed."""
        stored = {
            (item.store, item.item): item
            for item in map(from_attributes, self._table.get_many([item_key(*key) for key in batch]))
        }
        now = self._clock()
        writes = []
        for key, row in batch.items():
            before = stored.get(key)
            threshold = row.threshold if row.threshold is not None or before is None else before.threshold
            if before is not None and source.order(before.source) < 0:
                result.counts.stale += 1
                continue
            if before is not None and before.count == row.count and before.threshold == threshold:
                result.counts.unchanged += 1
                continue
            after = StoredItem(row.store, row.item, row.count, threshold, now, source)
            writes.append(to_attributes(after, self._default_threshold))
            result.stores.setdefault(row.store, StoreChange()).record(
                before.status(self._default_threshold) if before else None, after.status(self._default_threshold)
            )
        chunks = [writes[start : start + WRITE_BATCH_SIZE] for start in range(0, len(writes), WRITE_BATCH_SIZE)]
        for _ in writers.map(self._table.put_many, chunks):
            pass  # map re-raises the first failed chunk's error here
        result.counts.written += len(writes)


class _Lane:
    """One writer thread with a short queue of batches."""

    def __init__(self, loader: Loader, source: SourceVersion, writers: ThreadPoolExecutor) -> None:
        self._loader = loader
        self._source = source
        self._writers = writers
        self._queue: queue.Queue[dict[ItemKey, InventoryRow] | None] = queue.Queue(maxsize=LANE_QUEUE_DEPTH)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.result = LaneResult()

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: dict[ItemKey, InventoryRow]) -> None:
        self._queue.put(batch)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self.result.error is not None:
                continue  # keep draining so the parser never blocks on a dead lane
            try:
                self._loader.apply(batch, self._source, self.result, self._writers)
            except Exception as error:  # handed to the caller by Loader.load
                self.result.error = error
