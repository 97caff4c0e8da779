"""Retiring the items a full list omits.

A file changes the items it names. A file that says it is its store's full list (the object's
``full-list`` metadata, see ``ingest.dal.objects``; or any file under the folder of a store whose Stores
row has ``FullList``, see ``inventory.stores``) also retires the items of that store it does not
name: they leave the store's totals, ``/alerts`` and the forecasts, and stay in history. A later
file that names an item brings it back.

The loader writes every item a full list names, changed or not (see ``ingest.logic.loader``), so once
the file is loaded, the items it omitted are exactly the ones still set by an older upload. Each is
retired by a conditional update under the same rule as any write (``ingest.dal.inventory.newer_wins``),
fenced by the upload's lease: an item a newer upload set in between is left alone, and an invocation
that lost the upload changes nothing. A retirement is written as line 0 of the file, so it never
undoes a row of the same file; it sets the item's source to the retiring upload, so an older upload
cannot bring the item back and a newer one does. It records what the item was (its before-image,
``ingest.models.writes.BEFORE``), so undoing the full list brings the item back.

Nothing is retired when the file had any rejected row (a row that could not be read would retire its
item), when it broke off, or when a head-office file named more stores than its report lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from inventory.models import SourceVersion
from inventory.table import AttributeMap

from ingest.logic.loader import BATCH_SECONDS, read_prior
from ingest.models.claim import Fence
from ingest.models.writes import READ_BATCH_SIZE, ItemWrite, WriteOutcome, before_image

#: The line a retirement is written as: before every row, so it never undoes one of the same file.
RETIREMENT_LINE = 0


class StoreItems(Protocol):
    def items_of(self, store: str) -> Iterator[AttributeMap]: ...

    def write_many(self, writes: Sequence[ItemWrite], deadline: float, fence: Fence | None = None) -> WriteOutcome: ...


@dataclass(slots=True)
class Retired:
    """What a full list retired: items retired, and items a newer upload set before they could be."""

    retired: int = 0
    stale: int = 0


def omitted(items: Iterable[AttributeMap], source: SourceVersion, tally: Retired) -> Iterator[AttributeMap]:
    """The items ``source`` (a full list, loaded) did not name: set by an older upload (or
    with no readable source) and not retired. Items an earlier attempt of this upload retired are
    counted in ``tally``, not given again."""
    for attributes in items:
        prior = read_prior(attributes)
        if prior is None:
            continue
        order = 1 if prior.source is None else source.order(prior.source)
        if prior.retired:
            tally.retired += order == 0  # retired by this upload, in an attempt cut short
            continue
        if order > 0:  # else this upload named it, or a newer upload set it
            yield attributes


class Retirer:
    """Retires what a loaded full list omitted, store by store (see the module docstring)."""

    def __init__(
        self,
        table: StoreItems,
        clock: Callable[[], str],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        batch_seconds: float = BATCH_SECONDS,
    ) -> None:
        self._table = table
        self._clock = clock
        self._monotonic = monotonic
        self._batch_seconds = batch_seconds

    def live_items(self, store: str) -> int:
        """How many items of ``store`` are not retired (what a dry run of a full list compares with)."""
        live = 0
        for attributes in self._table.items_of(store):
            prior = read_prior(attributes)
            live += prior is not None and not prior.retired
        return live

    def retire_omitted(self, store: str, source: SourceVersion, fence: Fence | None = None) -> Retired:
        """Retire the items of ``store`` that the full list ``source`` omitted; raises ``LeaseLost``
        once the fence fails, ``TableUnavailable`` when the table does not take the writes."""
        tally = Retired()
        batch: list[AttributeMap] = []
        for attributes in omitted(self._table.items_of(store), source, tally):
            batch.append(attributes)
            if len(batch) == READ_BATCH_SIZE:
                self._retire(batch, source, fence, tally)
                batch = []
        if batch:
            self._retire(batch, source, fence, tally)
        return tally

    def _retire(self, items: list[AttributeMap], source: SourceVersion, fence: Fence | None, tally: Retired) -> None:
        at = self._clock()
        writes = [
            ItemWrite(
                (attributes["Store"]["S"], attributes["Item"]["S"]),
                {"Store": attributes["Store"], "Item": attributes["Item"]},
                source,
                RETIREMENT_LINE,
                at,
                before=before_image(attributes),
            )
            for attributes in items
        ]
        outcome = self._table.write_many(writes, self._monotonic() + self._batch_seconds, fence)
        tally.retired += len(outcome.written)
        tally.stale += len(outcome.lost)
