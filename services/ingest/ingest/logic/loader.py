"""Load parsed rows into the Inventory table: only what changed, and the newer upload always wins.

Rows are spread over a few writer lanes by item (a stable hash), so every row of one item goes
through the same lane in file order: when a file lists an item twice, the later row wins, as if
the file were applied top to bottom. Each lane collects up to 99 distinct items, compares them with
their stored state, and writes only the items whose count or threshold changed, in one transaction
of conditional updates (see ``ingest.dal.inventory``), fenced by the upload's lease when the caller
gives a fence. The stored state of a store comes from one strongly consistent Query of its items,
made when the load first meets the store and kept up to date with what each of its writes landed
(:class:`_StoreReads`): DynamoDB bills a Query by the total size of what it reads, 6 to 14 of our
items a read unit, where a BatchGetItem costs a unit an item. A store too big to read whole for what
the load names of it, or forgotten to keep memory bounded, is read batch by batch (BatchGetItem). So:

- an unchanged re-upload writes nothing;
- an item set by a newer upload is left alone (stale), whether the read showed it or the write's
  condition caught a newer upload that landed in between (every write is conditional);
- an item this same upload already set from this row or a later one (an earlier attempt, cut
  short) counts as written without being written again, so a resumed load tallies exactly;
- a stored item that cannot be read (a ``Count`` that is text, say) counts as no prior state;
- a threshold cell left empty (or ``null``) puts the item back on the stage default; a file
  without a threshold column leaves every item's threshold as it is;
- a retired item (one a full list omitted, see :mod:`ingest.logic.retirement`) that a row names
  is written even when its count is unchanged: naming it brings it back;
- a full list (``full_list``) also writes the items it lists unchanged, with only its source (and
  the line) new: afterwards every item the file listed carries this upload or a newer one, so the
  ones it omitted are exactly those still set by an older upload. Such a write counts as unchanged.

Reading a store once makes the time between the read and a write longer (the whole load, not one
batch). What the rules above promise stays: every write is conditional, so an upload newer than
this one that lands after the Query still wins (the write is refused, counted stale, and the item
DynamoDB hands back becomes the load's state); a row unchanged from what the Query saw is skipped,
as it was skipped on what the BatchGetItem saw. If an older upload sets that item in between, the
item keeps the older upload's count, exactly as when the older upload lands just after this load
(an unchanged row never stamps its item). A new load (a continuation, Lambda's retry) reads afresh.

Once DynamoDB pushes back on a write (a throttled attempt that botocore retried), writes to one
store go out one transaction at a time for the rest of the load, whichever lane sends them: a
store's items share one partition (about 1,000 write units a second until it splits), and lanes
racing each other for a busy one would only throttle each other until one of them gave up; one
writer per partition waits out a throttle in botocore's first backoff. Reads, and writes to
other stores, still overlap.

While it loads, the objects that existed before (the imported modules and botocore's models, most
of the heap) are left out of the garbage collector's passes (``gc.freeze``): a file's rows make
enough short-lived objects for several full passes, each walking that whole heap, which cost
about 7 µs of CPU per row (bench: "Ingest CPU per row").

Between batches the loader asks its pacer whether to pause. At a pause every lane finishes
what it holds (a barrier): every row read so far has then landed or been counted, the tallies
are in the report, and the caller may save the parser's position as a checkpoint, then go on
(``CHECKPOINT``) or hand the rest of the file to another invocation (``STOP``).
"""

from __future__ import annotations

import contextlib
import copy
import enum
import gc
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from inventory.models import NO_ORDERING, InventoryRow, Ordering, RowError, SourceVersion
from inventory.report import UploadReport
from inventory.table import RETIRED, AttributeMap, StoredItem, item_key, ordering_of, to_attributes

from ingest.dal.inventory import (
    BEFORE_NAMES,
    READ_BATCH_SIZE,
    SOURCE_LINE,
    ItemKey,
    ItemWrite,
    WriteOutcome,
    before_image,
)
from ingest.models.claim import Fence

#: Batches a lane may hold waiting: parsing pauses when writers fall behind, so memory stays flat.
LANE_QUEUE_DEPTH = 2
#: Rows between two questions to the pacer.
CHECK_EVERY = 100
#: How long one batch (a read and a write, with their leftovers) may take before the table counts
#: as unavailable; botocore's own retries of one call fit inside it.
BATCH_SECONDS = 60.0
#: Stored items a load keeps of the stores it reads whole (about 300 bytes each, so about 12 MB; see
#: :class:`_StoreReads`); past it, the stores used longest ago are read by key again.
STORE_ITEMS = 40_000
#: Items that one read unit of a Query reads, counting ours at their largest (about 670 bytes with a
#: before-image, long names and every ordering value; 285 without the image): a store is read whole when
#: that costs no more than the reads by key it saves.
ITEMS_A_READ_UNIT = 6


class Pause(enum.Enum):
    NONE = "none"
    CHECKPOINT = "checkpoint"  # land everything read so far, let the caller save, go on
    STOP = "stop"  # land everything read so far and return: another invocation carries on


class Pacer(Protocol):
    def due(self) -> Pause:
        """Whether to pause now (asked between batches; cheap)."""
        ...

    def checkpoint(self) -> None:
        """Everything read so far has landed and is in the report: save it."""
        ...


class ItemTable(Protocol):
    def get_many(self, keys: Sequence[AttributeMap], deadline: float) -> list[AttributeMap]: ...

    def write_many(self, writes: Sequence[ItemWrite], deadline: float, fence: Fence | None = None) -> WriteOutcome: ...


class StoreTable(ItemTable, Protocol):
    def items_up_to(self, store: str, most: int) -> list[AttributeMap] | None:
        """Every item of ``store`` (strongly consistent), or ``None`` if it has more than ``most``."""
        ...


@dataclass(frozen=True, slots=True)
class Prior:
    """What a stored item says about itself, read leniently."""

    source: SourceVersion | None  # None: no readable source, i.e. no prior state
    line: int
    count: int | None  # None: unreadable count, threshold or ordering values
    threshold: int | None
    ordering: Ordering = NO_ORDERING
    retired: bool = False  # a full list omitted it (``Retired``)
    updated_at: str = ""  # when its count was last set (``UpdatedAt``)


@dataclass(slots=True)
class LoadResult:
    finished: bool  # False: stopped at a pause; the rest of the file is another invocation's
    unreadable: int = 0  # stored items that could not be read and counted as no prior state


@dataclass(slots=True)
class _Tally:
    written: int = 0
    unchanged: int = 0
    stale: int = 0
    unreadable: int = 0


class Loader:
    """Loads one file's rows; see the module docstring for the rules it follows."""

    def __init__(
        self,
        table: StoreTable,
        default_threshold: int,
        concurrency: int,
        clock: Callable[[], str],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        batch_seconds: float = BATCH_SECONDS,
        store_items: int = STORE_ITEMS,
    ) -> None:
        self._table = table
        self._seen_through: Callable[[ItemTable], ItemTable] = lambda table: table
        self._store_items = store_items
        self._default_threshold = default_threshold
        self._concurrency = concurrency
        self._clock = clock
        self._monotonic = monotonic
        self._batch_seconds = batch_seconds

    def over(self, seen_through: Callable[[ItemTable], ItemTable]) -> Loader:
        """This loader, reading and writing its table through what ``seen_through`` makes of it (a dry
        run's table, say, which writes nothing); the stores it reads whole it reads under that."""
        other = copy.copy(self)
        other._seen_through = seen_through
        return other

    def load(
        self,
        rows: Iterable[InventoryRow | RowError],
        source: SourceVersion,
        report: UploadReport,
        pacer: Pacer,
        on_store: Callable[[str], None] = lambda _: None,
        *,
        fence: Fence | None = None,
        full_list: bool = False,
    ) -> LoadResult:
        """Apply ``rows`` to the table, tallying into ``report``; ``on_store`` hears each store named.
        A ``full_list`` writes the items it lists unchanged too (see the module docstring).

        Every write is made under ``fence`` (the upload's lease): once it fails, the load stops
        with ``LeaseLost`` and nothing more is written.

        Raises the first error a lane met (after the table's retries) once every lane has
        stopped; the tallies of every batch that landed are in ``report`` by then.
        """
        with _older_objects_frozen():
            return self._load(rows, source, report, pacer, on_store=on_store, fence=fence, full_list=full_list)

    def _load(
        self,
        rows: Iterable[InventoryRow | RowError],
        source: SourceVersion,
        report: UploadReport,
        pacer: Pacer,
        *,
        on_store: Callable[[str], None],
        fence: Fence | None,
        full_list: bool,
    ) -> LoadResult:
        gates = _StoreGates()  # this load's: another load of the same store is another writer, as on Lambda
        reads = _StoreReads(self._table, self._store_items)
        named = reads.named  # rows read so far, by store: who to tell of a store, and what its Query may cost
        table = self._seen_through(reads)  # one for every lane (a dry run's tally is the load's)
        lanes = [_Lane(self, table, source, gates, fence=fence, full_list=full_list) for _ in range(self._concurrency)]
        buffers: list[dict[ItemKey, InventoryRow]] = [{} for _ in lanes]
        result = LoadResult(finished=False)
        for lane in lanes:
            lane.start()
        try:
            seen = 0
            for row in rows:
                report.rows.read += 1
                seen += 1
                if isinstance(row, RowError):
                    report.reject(row)
                else:
                    report.rows.accepted += 1
                    named[row.store] = count = named.get(row.store, 0) + 1
                    if count == 1:
                        report.saw_store(row.store)
                        on_store(row.store)
                    key = (row.store, row.item)
                    index = zlib.crc32(f"{row.store}\x1f{row.item}".encode()) % len(lanes)
                    buffer = buffers[index]
                    if buffer.pop(key, None) is not None:
                        report.rows.duplicates += 1
                    buffer[key] = row
                    if len(buffer) == READ_BATCH_SIZE:
                        lanes[index].submit(buffer)
                        buffers[index] = {}
                if seen % CHECK_EVERY:
                    continue
                if any(lane.error for lane in lanes):
                    break  # the error is raised by the barrier, once what the other lanes hold has landed
                pause = pacer.due()
                if pause is Pause.NONE:
                    continue
                self._barrier(lanes, buffers, report, result)
                if pause is Pause.STOP:
                    return result
                pacer.checkpoint()
                if len(named) > 10_000:  # a bound on memory; a store seen again is only heard twice
                    named.clear()  # (and its rows counted afresh: it may be read by key sooner)
            else:
                result.finished = True
            self._barrier(lanes, buffers, report, result)
            return result
        except BaseException:
            # The rows read so far still land and are counted; the failure that stopped the load
            # (a broken stream, say) is the one the caller hears, even if a lane failed as well.
            with contextlib.suppress(Exception):  # its tallies are merged before it raises
                self._barrier(lanes, buffers, report, result)
            raise
        finally:
            for lane in lanes:
                lane.close()

    def _barrier(
        self, lanes: list[_Lane], buffers: list[dict[ItemKey, InventoryRow]], report: UploadReport, result: LoadResult
    ) -> None:
        """Let every lane finish what it holds, add its tallies to the report, and raise its error."""
        for index, (lane, buffer) in enumerate(zip(lanes, buffers, strict=True)):
            if buffer:
                lane.submit(buffer)
                buffers[index] = {}
        for lane in lanes:
            lane.wait_idle()
        lanes[0].gates.forget()  # every lane is idle: no gate is held
        for lane in lanes:
            tally, lane.tally = lane.tally, _Tally()
            report.rows.written += tally.written
            report.rows.unchanged += tally.unchanged
            report.rows.stale += tally.stale
            result.unreadable += tally.unreadable
        failed = next((lane.error for lane in lanes if lane.error is not None), None)
        if failed is not None:
            raise failed

    def apply(
        self,
        table: ItemTable,
        batch: Mapping[ItemKey, InventoryRow],
        source: SourceVersion,
        tally: _Tally,
        gates: _StoreGates,
        *,
        fence: Fence | None = None,
        full_list: bool = False,
    ) -> None:
        """Compare one batch with the stored items (read through ``table``, this load's) and write the
        ones that changed (a ``full_list``: every one it lists)."""
        deadline = self._monotonic() + self._batch_seconds
        stored = {
            (attributes["Store"]["S"], attributes["Item"]["S"]): attributes
            for attributes in table.get_many([item_key(*key) for key in batch], deadline)
        }
        now = self._clock()
        writes: list[ItemWrite] = []
        listed: set[ItemKey] = set()  # unchanged items a full list writes only to say it listed them
        for key, row in batch.items():
            prior = read_prior(stored.get(key))
            if prior is not None and prior.source is not None:
                order = source.order(prior.source)
                if order < 0:
                    tally.stale += 1
                    continue
                if order == 0 and prior.line >= row.line:
                    tally.written += 1  # landed in an earlier attempt of this upload
                    continue
            readable = prior is not None and prior.source is not None and prior.count is not None
            if prior is not None and not readable:
                tally.unreadable += 1  # no prior state, as far as the comparison goes
            threshold, ordering = row.threshold, row.ordering
            if readable and prior is not None:
                if threshold is None and not row.clears_threshold:
                    threshold = prior.threshold
                ordering = ordering.over(prior.ordering)
            unchanged = (
                readable
                and prior is not None
                and not prior.retired
                and (prior.count, prior.threshold, prior.ordering) == (row.count, threshold, ordering)
            )
            if unchanged and not full_list:
                tally.unchanged += 1
                continue
            updated_at = prior.updated_at if unchanged and prior is not None and prior.updated_at else now
            after = StoredItem(row.store, row.item, row.count, threshold, updated_at, source, ordering)
            attributes = to_attributes(after, self._default_threshold)
            writes.append(ItemWrite(key, attributes, source, row.line, before=_before(stored.get(key), prior, source)))
            if unchanged:
                listed.add(key)
        if not writes:
            return
        with gates.holding({write.key[0] for write in writes}):
            outcome = table.write_many(writes, deadline, fence)
        if outcome.pushed_back:
            gates.engage()
        relisted = sum(key in listed for key in outcome.written)
        tally.unchanged += relisted
        tally.written += len(outcome.written) - relisted
        for holder in outcome.lost.values():
            # Lost to a newer upload that landed between the read and the write, or (the same
            # upload) to a later row of this file that another attempt landed meanwhile.
            prior = read_prior(holder)
            if prior is not None and prior.source is not None and source.order(prior.source) == 0:
                tally.written += 1
            else:
                tally.stale += 1


@contextlib.contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """The objects that exist now are left out of garbage collection until the block ends (see the module
    docstring); a load running beside this one may end it sooner, which only costs it the saving."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _before(stored: AttributeMap | None, prior: Prior | None, source: SourceVersion) -> AttributeMap | None:
    """The before-image a write from ``source`` records (see ``ingest.dal.inventory.BEFORE``): none for a
    new item, the stored item's when another upload set it, the one it has when ``source`` set it."""
    if stored is None:
        return {}
    if prior is not None and prior.source is not None and source.order(prior.source) == 0:
        return None
    return before_image(stored)


def read_prior(attributes: Mapping[str, Any] | None) -> Prior | None:
    """A stored item's source, line, count and threshold; ``None`` fields where it cannot be read."""
    if attributes is None:
        return None
    time_value = attributes.get("SourceTime", {})
    source = None
    if isinstance(time_value, Mapping) and isinstance(time_value.get("S"), str):
        source = SourceVersion(
            time=time_value["S"],
            key=_text(attributes, "SourceKey"),
            sequencer=_text(attributes, "SourceSeq"),
        )
    count = _number(attributes.get("Count"))
    threshold_value = attributes.get("Threshold")
    threshold = _number(threshold_value) if threshold_value is not None else None
    if threshold_value is not None and threshold is None:
        count = None  # an unreadable threshold makes the stored state unreadable as a whole
    try:
        ordering = ordering_of(attributes)
    except (KeyError, TypeError, ValueError):
        ordering, count = NO_ORDERING, None  # so does an unreadable ordering value
    line = _number(attributes.get(SOURCE_LINE)) or 0
    return Prior(
        source=source,
        line=line,
        count=count,
        threshold=threshold,
        ordering=ordering,
        retired=RETIRED in attributes,
        updated_at=_text(attributes, "UpdatedAt"),
    )


def _text(attributes: Mapping[str, Any], name: str) -> str:
    value = attributes.get(name, {})
    text = value.get("S", "") if isinstance(value, Mapping) else ""
    return text if isinstance(text, str) else ""


def _number(value: Any) -> int | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("N"), str):
        return None
    try:
        return int(value["N"])
    except ValueError:
        return None


#: The attributes a kept item holds (those a comparison and a before-image read), each with its type.
_TEXT = frozenset({"Supplier", "SourceTime", "SourceKey", "SourceSeq", "UpdatedAt", RETIRED})
_KEPT = tuple((name, "S" if name in _TEXT else "N") for name in BEFORE_NAMES)
#: Of those, the ones many items share (one upload's source and times): kept once.
_SHARED = frozenset({"SourceTime", "SourceKey", "SourceSeq", "UpdatedAt", RETIRED})
#: Distinct shared values kept at once (a bound on memory; the same text kept twice only costs its size).
_SHARED_MOST = 10_000

_Kept = tuple[str | None, ...] | AttributeMap  # an item's values in the order of _KEPT; a map if one is odd


class _Store:
    """A store this load reads whole: ``ready`` once read; ``items`` by item, ``None`` once read by key."""

    __slots__ = ("items", "ready")

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.items: dict[str, _Kept] | None = None


class _StoreReads:
    """An :class:`ItemTable` for one load: it reads each store the load names whole, once, with a
    strongly consistent Query, and answers every batch of that store from what it read, kept up to date
    with what each batch's write landed (the attributes written; the stored item DynamoDB handed back
    for a write it refused). A store too big for it is read by key (BatchGetItem), batch by batch.

    - A store is read whole when the Query costs no more than the reads by key it saves: when a lane
      first meets it, the load has read ``n`` rows of it (the parser runs ahead of the lanes: in a
      small file, all of them), each a read unit by key, and a Query reads at least
      :data:`ITEMS_A_READ_UNIT` items a read unit. So the Query asks for ``n`` times that many items
      at the most (nor more than ``budget``), and a store with more is read by key for the rest of
      the load: the Query it gave up on cost no more than the reads by key of those ``n`` rows.
    - Lanes that meet a store at once wait for the first one's Query: a store is read once a load.
    - At most ``budget`` items are kept, compactly (a tuple of texts an item, the shared ones once);
      past it the stores used longest ago are forgotten and read by key from then on. So is a store
      whose write failed (what landed is not known) or whose refused write came back without an item.
    """

    def __init__(self, table: StoreTable, budget: int) -> None:
        self._table = table
        self._budget = budget
        #: Rows of each store the load has read so far (the parser's thread counts them, ahead of the lanes).
        self.named: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stores: dict[str, _Store] = {}  # the stores kept (or being read), used longest ago first
        self._by_key: set[str] = set()
        self._kept = 0
        self._shared: dict[str, str] = {}

    def get_many(self, keys: Sequence[AttributeMap], deadline: float) -> list[AttributeMap]:
        by_store: dict[str, list[AttributeMap]] = {}
        for key in keys:
            by_store.setdefault(key["Store"]["S"], []).append(key)
        found: list[AttributeMap] = []
        unknown: list[AttributeMap] = []
        for store, store_keys in by_store.items():
            items = self._items(store, len(store_keys))
            if items is None:
                unknown += store_keys
                continue
            for key in store_keys:
                item = key["Item"]["S"]
                kept = items.get(item)
                if kept is not None:
                    found.append(_expand(store, item, kept))
        if unknown:
            found += self._table.get_many(unknown, deadline)
        return found

    def write_many(self, writes: Sequence[ItemWrite], deadline: float, fence: Fence | None = None) -> WriteOutcome:
        try:
            outcome = self._table.write_many(writes, deadline, fence)
        except BaseException:
            with self._lock:
                for write in writes:
                    self._forget(write.key[0])
            raise
        written = set(outcome.written)
        with self._lock:
            for write in writes:
                store, item = write.key
                entry = self._stores.get(store)
                if entry is None or entry.items is None:
                    continue
                if write.key in written and not (write.retired_at or write.undo):
                    landed: AttributeMap | None = {**write.attributes, SOURCE_LINE: {"N": str(write.line)}}
                else:
                    landed = outcome.lost.get(write.key)
                if landed is None:
                    self._forget(store)
                    continue
                self._kept += item not in entry.items
                entry.items[item] = self._compact(landed)
            if self._kept > self._budget:
                self._make_room()
        return outcome

    def _items(self, store: str, in_batch: int) -> dict[str, _Kept] | None:
        """The items kept of ``store`` (read now if it is new to this load); ``None``: read it by key."""
        with self._lock:
            if store in self._by_key:
                return None
            entry = self._stores.pop(store, None)
            first = entry is None
            entry = self._stores[store] = entry or _Store()  # now the one used last
        if first:
            rows = max(in_batch, self.named.get(store, 0))
            self._read(store, entry, min(self._budget, rows * ITEMS_A_READ_UNIT))
        else:
            entry.ready.wait()
        return entry.items

    def _read(self, store: str, entry: _Store, most: int) -> None:
        """Read ``store`` whole into ``entry`` (or leave it to be read by key); the lanes waiting go on either way."""
        items: dict[str, _Kept] | None = None
        try:
            found = self._table.items_up_to(store, most) if most > 0 else None
            if found is not None:
                with self._lock:
                    items = {attributes["Item"]["S"]: self._compact(attributes) for attributes in found}
        finally:  # a Query that failed leaves the store to be read by key (and the read's error to the lane)
            with self._lock:
                if items is None or self._stores.get(store) is not entry:
                    self._forget(store)
                else:
                    entry.items = items
                    self._kept += len(items)
                    self._make_room()
            entry.ready.set()

    def _make_room(self) -> None:
        """Forget the stores used longest ago until the items kept fit the budget (the lock held)."""
        for store in list(self._stores):
            if self._kept <= self._budget:
                return
            if self._stores[store].items is not None:  # not one being read
                self._forget(store)

    def _forget(self, store: str) -> None:
        """Read ``store`` by key from now on (the lock held)."""
        entry = self._stores.pop(store, None)
        self._by_key.add(store)
        if entry is not None and entry.items is not None:
            self._kept -= len(entry.items)
            entry.items = None

    def _compact(self, attributes: Mapping[str, Any]) -> _Kept:
        """What an item keeps of its attributes (the lock held)."""
        values: list[str | None] = []
        for name, kind in _KEPT:
            value = attributes.get(name)
            if value is None:
                values.append(None)
                continue
            text = value.get(kind) if isinstance(value, Mapping) and len(value) == 1 else None
            if not isinstance(text, str):  # not as ingest writes it: kept as it is, to be read as it is
                return {name: attributes[name] for name in BEFORE_NAMES if name in attributes}
            if name in _SHARED:
                if len(self._shared) >= _SHARED_MOST:
                    self._shared.clear()
                text = self._shared.setdefault(text, text)
            values.append(text)
        return tuple(values)


def _expand(store: str, item: str, kept: _Kept) -> AttributeMap:
    """A kept item as a read would answer it (the attributes a comparison reads)."""
    attributes: AttributeMap = {"Store": {"S": store}, "Item": {"S": item}}
    if isinstance(kept, dict):
        attributes.update(kept)
        return attributes
    for (name, kind), text in zip(_KEPT, kept, strict=True):
        if text is not None:
            attributes[name] = {kind: text}
    return attributes


class _StoreGates:
    """One lock per store, held while a transaction writing that store's items is in flight, once
    :meth:`engage` has been called (DynamoDB pushed back); until then writes pass freely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[str, threading.Lock] = {}
        self._engaged = False

    def engage(self) -> None:
        self._engaged = True

    @contextlib.contextmanager
    def holding(self, stores: set[str]) -> Iterator[None]:
        if not self._engaged:
            yield
            return
        with self._lock:
            gates = [self._gates.setdefault(store, threading.Lock()) for store in sorted(stores)]
        with contextlib.ExitStack() as held:
            for gate in gates:  # always in the same (sorted) order, so two lanes never deadlock
                held.enter_context(gate)
            yield

    def forget(self) -> None:
        with self._lock:
            self._gates.clear()


class _Lane:
    """One writer thread with a short queue of batches; its tally is read only at barriers."""

    def __init__(
        self,
        loader: Loader,
        table: ItemTable,
        source: SourceVersion,
        gates: _StoreGates,
        *,
        fence: Fence | None,
        full_list: bool,
    ) -> None:
        self._loader = loader
        self._table = table
        self._source = source
        self._fence = fence
        self._full_list = full_list
        self.gates = gates
        self._queue: queue.Queue[dict[ItemKey, InventoryRow] | None] = queue.Queue(maxsize=LANE_QUEUE_DEPTH)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.tally = _Tally()
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: dict[ItemKey, InventoryRow]) -> None:
        self._queue.put(batch)

    def wait_idle(self) -> None:
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                if self.error is None:  # after a failure, keep draining so the parser never blocks
                    self._loader.apply(
                        self._table,
                        batch,
                        self._source,
                        self.tally,
                        self.gates,
                        fence=self._fence,
                        full_list=self._full_list,
                    )
            except Exception as error:  # handed to the caller at the next barrier
                self.error = error
            finally:
                self._queue.task_done()
