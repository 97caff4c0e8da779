"""Uploads that cannot do damage: a dry run before a file is applied, and a hold on a file that
would empty a store, until a person confirms or discards it.

A *dry run* loads the file through the ordinary loader (the same parsing, the same comparison with
the stored items, the same lanes and checkpoints) over a :class:`PlanningTable`, which reads the
real items but writes nothing: it counts what each write would have done instead (a
:class:`PlanTally`). From the tally comes the report's ``plan`` (items changed, newly out of stock,
retired) and the decision:

- a dry-run file (the dashboard's upload dialog asks for one: ``x-amz-meta-mode: dry-run``) is
  always held, so the page shows its plan before anything is applied;
- any other planned file is held only if it would put more than ``out_of_stock_share`` of one
  store's items out of stock, or retire more than ``retired_share`` of them (a store's items: its
  ``Items`` total in the Stores table, plus the items the file adds);
- a file that is not held is then loaded for real, from its first row.

A held file's index row and report say ``needs_confirmation``; its uploader or head office confirm
it (it is loaded, the dry run's plan kept on the report) or discard it (``discarded``: nothing
loaded). Dashboard files are always planned; files from scripts (no signed uploader) only when
the stage says so (``scripts``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from inventory.report import Plan
from inventory.table import AttributeMap

from ingest.logic.loader import ItemTable, read_prior
from ingest.models.claim import Fence
from ingest.models.writes import ItemKey, ItemWrite, WriteOutcome

#: How a held file's reason ends (the reason is in the uploads index's listings; the plan is not).
HELD = "nothing was loaded. Confirm the file to load it, or discard it."


class StoreSizes(Protocol):
    def item_counts(self, stores: Sequence[str]) -> dict[str, int]:
        """Each store's item total (0 for a store with none yet)."""
        ...


@dataclass(frozen=True, slots=True)
class Guard:
    """When a file is planned and when it is held (the stage's settings)."""

    sizes: StoreSizes
    out_of_stock_share: float
    retired_share: float
    scripts: bool  # plan (and hold) files from scripts too, not only the dashboard's

    def planned(self, *, dry_run: bool, signed: bool) -> bool:
        """Whether a file is planned before it is applied."""
        return dry_run or signed or self.scripts

    def hold_reason(self, tally: PlanTally, *, dry_run: bool) -> str | None:
        """Why the planned file is held (``None``: apply it)."""
        risks = self._risks(tally)
        if not (dry_run or risks):
            return None
        plan = tally.plan()
        summary = (
            f"it would change {plan.changed:,} {'item' if plan.changed == 1 else 'items'}"
            f" ({plan.out_of_stock:,} newly out of stock, {plan.retired:,} retired); {HELD}"
        )
        return " ".join([f"Dry run: {summary}" if dry_run else summary[:1].upper() + summary[1:], *risks])

    def _risks(self, tally: PlanTally) -> list[str]:
        stores = sorted(tally.stores)
        if not stores:
            return []
        sizes = self.sizes.item_counts(stores)
        risks = []
        for store in stores:
            counts = tally.stores[store]
            items = sizes.get(store, 0) + counts.added
            if not items:
                continue
            if counts.out_of_stock / items > self.out_of_stock_share:
                risks.append(
                    f"It would put {counts.out_of_stock:,} of {store}'s {items:,} items out of stock"
                    f" (more than {self.out_of_stock_share:.0%})."
                )
            if counts.retired / items > self.retired_share:
                risks.append(
                    f"It would retire {counts.retired:,} of {store}'s {items:,} items"
                    f" (more than {self.retired_share:.0%})."
                )
            if len(risks) >= 3:
                break
        return risks


@dataclass(slots=True)
class StoreTally:
    out_of_stock: int = 0
    retired: int = 0
    added: int = 0  # items the file adds (no stored item before)
    #: Live (not retired) items the file names; an item named in two batches of a lane counts twice, so a
    #: full list's retirements (the store's live items less these) are never overcounted.
    named: int = 0


@dataclass(slots=True)
class PlanTally:
    """What a dry run found so far; thread-safe additions (the loader's lanes share it)."""

    changed: int = 0
    out_of_stock: int = 0
    retired: int = 0
    stores: dict[str, StoreTally] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, store: str, *, out_of_stock: bool, added: bool) -> None:
        with self._lock:
            self.changed += 1
            counts = self.stores.setdefault(store, StoreTally())
            if out_of_stock:
                self.out_of_stock += 1
                counts.out_of_stock += 1
            if added:
                counts.added += 1

    def name(self, store: str, live: int) -> None:
        with self._lock:
            self.stores.setdefault(store, StoreTally()).named += live

    def retire(self, store: str, live_items: int) -> None:
        """A full list would retire the store's live items it does not name."""
        counts = self.stores.setdefault(store, StoreTally())
        counts.retired = max(0, live_items - counts.named)
        self.retired = sum(tally.retired for tally in self.stores.values())

    def plan(self) -> Plan:
        return Plan(changed=self.changed, out_of_stock=self.out_of_stock, retired=self.retired)

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan().to_json(),
            "stores": {name: [s.out_of_stock, s.retired, s.added, s.named] for name, s in self.stores.items()},
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> PlanTally:
        plan = value.get("plan") or {}
        return cls(
            changed=int(plan.get("changed", 0)),
            out_of_stock=int(plan.get("out_of_stock", 0)),
            retired=int(plan.get("retired", 0)),
            stores={str(name): StoreTally(*(int(n) for n in counts)) for name, counts in value["stores"].items()},
        )


class PlanningTable:
    """An :class:`ItemTable` for a dry run: reads the real table, writes nothing, and tallies what each
    write would have done. A lane reads a batch and then writes it, in one thread: the priors of the
    batch it read last are kept per thread."""

    def __init__(self, table: ItemTable, tally: PlanTally) -> None:
        self._table = table
        self._tally = tally
        self._local = threading.local()

    def get_many(self, keys: Sequence[AttributeMap], deadline: float) -> list[AttributeMap]:
        found = self._table.get_many(keys, deadline)
        self._local.priors = {_key_of(item): item for item in found}
        live: dict[str, int] = {}
        for item in found:
            prior = read_prior(item)
            if prior is not None and not prior.retired:
                live[item["Store"]["S"]] = live.get(item["Store"]["S"], 0) + 1
        for store, count in live.items():
            self._tally.name(store, count)
        return found

    def write_many(
        self,
        writes: Sequence[ItemWrite],
        deadline: float,  # noqa: ARG002 - nothing is sent
        fence: Fence | None = None,  # noqa: ARG002 - nothing is written
    ) -> WriteOutcome:
        priors: dict[ItemKey, AttributeMap] = getattr(self._local, "priors", {})
        for write in writes:
            prior = read_prior(priors.get(write.key))
            before = None if prior is None else prior.count
            after = _count(write.attributes)
            if prior is not None and not prior.retired and (before, prior.threshold) == (after, _threshold(write)):
                continue  # a full list stamps the items it names unchanged: not a change
            self._tally.add(write.key[0], out_of_stock=after == 0 and before != 0, added=prior is None)
        return WriteOutcome(written=[write.key for write in writes])


def _key_of(item: AttributeMap) -> ItemKey:
    return (item["Store"]["S"], item["Item"]["S"])


def _threshold(write: ItemWrite) -> int | None:
    value = write.attributes.get("Threshold")
    return None if value is None else _count({"Count": value})


def _count(attributes: AttributeMap) -> int | None:
    try:
        return int(attributes["Count"]["N"])
    except (KeyError, TypeError, ValueError):
        return None
