"""Undoing an applied upload: the items it set go back to what they were, as new changes.

Every write of a row or a retirement records what the item was when another upload had set it
(its before-image, ``ingest.models.writes.BEFORE``; none on an item the upload created), in the same
conditional write, so the image is the one the write replaced. Undoing an upload finds the items of
its stores still set by it and writes each one's before-image back (count, threshold, ordering, the
source that had set it, retired or not), stamped ``UpdatedAt`` now so the alerts announce it like any
change; an item the upload created is retired. Each write lands only while the item is still set by
the undone upload (``ingest.dal.inventory.still_from``): an item a newer upload set since keeps the
newer upload's values, whatever order the undo and that upload arrive in.

An undo is idempotent: an item it restored is set by an older source, and one it retired carries no
before-image; a second undo (or a retry of one cut short) finds them done and writes nothing again.
An item an undo put back gets an empty before-image (what it was before is not known), so undoing the
upload whose values it put back leaves the item as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from inventory.models import SourceVersion, StockStatus, stock_status
from inventory.table import RETIRED, AttributeMap

from ingest.logic.loader import BATCH_SECONDS, read_prior
from ingest.logic.retirement import RETIREMENT_LINE, StoreItems
from ingest.models.claim import Fence
from ingest.models.writes import BEFORE, READ_BATCH_SIZE, SOURCE_LINE, ItemWrite


@dataclass(slots=True)
class Undone:
    """What an undo did: items put back to what they were, items the upload created retired, and
    items a newer upload set before the undo could reach them (left as that upload set them)."""

    restored: int = 0
    retired: int = 0
    stale: int = 0


class Undoer:
    """Undoes an applied upload, store by store (see the module docstring)."""

    def __init__(
        self,
        table: StoreItems,
        clock: Callable[[], str],
        default_threshold: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        batch_seconds: float = BATCH_SECONDS,
    ) -> None:
        self._table = table
        self._clock = clock
        self._default_threshold = default_threshold
        self._monotonic = monotonic
        self._batch_seconds = batch_seconds

    def undo(self, stores: Iterable[str], source: SourceVersion, fence: Fence | None = None) -> Undone:
        """Put back every item of ``stores`` that ``source`` set and no upload has set since; raises
        ``LeaseLost`` once the fence fails, ``TableUnavailable`` when the table does not take the writes."""
        tally = Undone()
        for store in stores:
            batch: list[ItemWrite] = []
            for attributes in self._table.items_of(store):
                write = self._undoing(attributes, source)
                if write is None:
                    continue
                batch.append(write)
                if len(batch) == READ_BATCH_SIZE:
                    self._write(batch, fence, tally)
                    batch = []
            if batch:
                self._write(batch, fence, tally)
        return tally

    def _undoing(self, attributes: AttributeMap, source: SourceVersion) -> ItemWrite | None:
        """The write that undoes ``source`` on one stored item; ``None`` if it has nothing to undo."""
        prior = read_prior(attributes)
        if prior is None or prior.source is None or source.order(prior.source) != 0:
            return None  # set by another upload (a newer one since, or an undo put it back)
        key = (attributes["Store"]["S"], attributes["Item"]["S"])
        named = {"Store": attributes["Store"], "Item": attributes["Item"]}
        before = attributes.get(BEFORE, {}).get("M")
        if before == {}:
            return None  # an undo put it back to this upload's values: what it was before is not known
        if before is None:
            if prior.retired:
                return None  # created by the upload and retired already (by this undo, or its own full list)
            return ItemWrite(key, named, source, RETIREMENT_LINE, self._clock(), undo=True)
        restored = {**named, **before, "UpdatedAt": {"S": self._clock()}}
        status = _status(restored, self._default_threshold)
        if status is not StockStatus.OK and RETIRED not in restored:
            restored["AlertStatus"] = {"S": status.value}
        line = int(before.get(SOURCE_LINE, {}).get("N", "0"))
        return ItemWrite(key, restored, source, line, undo=True)

    def _write(self, writes: list[ItemWrite], fence: Fence | None, tally: Undone) -> None:
        outcome = self._table.write_many(writes, self._monotonic() + self._batch_seconds, fence)
        retiring = {write.key for write in writes if write.retired_at}
        tally.retired += sum(key in retiring for key in outcome.written)
        tally.restored += sum(key not in retiring for key in outcome.written)
        tally.stale += len(outcome.lost)


def _status(attributes: AttributeMap, default_threshold: int) -> StockStatus:
    restored = read_prior(attributes)
    if restored is None or restored.count is None:  # an unreadable item's image: nothing to say of its stock
        return StockStatus.OK
    return stock_status(restored.count, restored.threshold, default_threshold)
