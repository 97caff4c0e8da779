"""The RunningOut index's key, before and ours: what a daily upload writes to it, and what
``GET /forecast?within_days=N`` reads (the cost model, bench/cost_bench.py, takes the writes per change).

Every item of the forecast backtest's seven patterns (and "no consumption") is one item of one store
that uploads daily for 90 days; only changed counts reach the stream, and each change rewrites the
item's Forecast row with the model's forecast (the alerts service's own functions). For each design,
the index entry before and after each change decides what the index write costs (DynamoDB's rules
for a global secondary index: an entry that appears or goes is one write; one whose key changes is
two, a delete and a put; one whose projected attributes change is one; an entry that stays as it was
is none; every entry here is under 1 KB). The reads are the API's per store: from day 21, after each
day's uploads, the Query of the index (its entries up to the bound the design allows, 4 KB a read
unit, halved for eventually consistent reads), against what the answer holds. The other designs
measured (keys-only projections, a shorter horizon, the run-out day) are settled in bench/page.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from alerts.logic.demand_model import Observation, forecast, update
from inventory.forecast import ForecastRow, ModelState

from bench.forecast_bench import NO_CONSUMPTION, PATTERNS, WARM_UP_DAYS, _iso, items

HORIZON = 30.0
#: A Forecast row's size (docs/benchmarks.md: 271 bytes, median).
ROW_BYTES = 271

Entry = tuple[float, tuple[object, ...]] | None  # (sort key, projected values), None: not in the index


@dataclass(frozen=True)
class Design:
    name: str
    #: The index entry of an item with ``days_left`` of cover at its change at ``at`` (days since the
    #: simulation's start), whose row holds ``row``; ``None`` when not in the index.
    entry: Callable[[float, float, tuple[object, ...]], Entry]
    #: The Query's bound for "within N days" at ``now``, given the item's last upload (the store's).
    bound: Callable[[float, float, float], float]


def _days_left(_at: float, days_left: float, row: tuple[object, ...]) -> Entry:
    return None if days_left > HORIZON else (days_left, row)


def _run_out_week(at: float, days_left: float, row: tuple[object, ...]) -> Entry:
    return None if days_left > HORIZON else (math.floor((at + days_left) / 7), row)


DESIGNS = (
    # The bound of the design before: the cover at the last count.
    Design("today: DaysLeft, ALL, 30 days", _days_left, lambda now, held, within: within + (now - held)),
    Design("run-out week, ALL", _run_out_week, lambda now, _held, within: math.floor((now + within) / 7)),
)


@dataclass
class Tally:
    index_writes: int = 0
    query_units: float = 0.0
    candidates: int = 0
    answered: int = 0


@dataclass
class Item:
    state: ModelState | None = None
    held: float = 0.0  # the last upload (the count holds until then)
    at: float = 0.0  # the last change
    days_left: float | None = None
    entries: dict[str, Entry] = field(default_factory=dict)


def _cost(old: Entry, new: Entry) -> int:
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return 1
    if old[0] != new[0]:
        return 2
    return 1 if old[1] != new[1] else 0


def run(per_pattern: int, within: float, seed: int = 11) -> tuple[dict[str, Tally], int, int, int]:
    """Each design's tally, and the changes, uploads and API queries simulated."""
    runs = [run for pattern in (*PATTERNS, NO_CONSUMPTION) for run in items(pattern, per_pattern, seed)]
    tallies = {design.name: Tally() for design in DESIGNS}
    shelf = [Item() for _ in runs]
    changes = uploads = queries = 0
    days = int(max(upload.at for run in runs for upload in run.uploads)) + 1
    for day in range(days):
        for run, item in zip(runs, shelf, strict=True):
            for upload in (u for u in run.uploads if day <= u.at < day + 1):
                uploads += 1
                item.held = upload.at
                if item.state is not None and upload.count == item.state.count:
                    continue  # unchanged: nothing reaches the stream
                changes += 1
                item.state = update(item.state, Observation(_iso(upload.at), upload.count, str(changes)))
                item.at = upload.at
                projected = forecast(item.state, _iso(upload.at))
                item.days_left = None if projected is None else projected.days_left
                row = ForecastRow("Store", "Item", item.state, projected).to_item()
                values = tuple(sorted((name, str(value)) for name, value in row.items()))
                for design in DESIGNS:
                    new = None if item.days_left is None else design.entry(upload.at, item.days_left, values)
                    tallies[design.name].index_writes += _cost(item.entries.get(design.name), new)
                    item.entries[design.name] = new
        if day < WARM_UP_DAYS:
            continue
        queries += 1
        now = day + 1.0
        held = max(item.held for item in shelf)  # the store's LastUploadAt
        answer = sum(
            1 for item in shelf if item.days_left is not None and max(item.at, held) + item.days_left - now <= within
        )
        for design in DESIGNS:
            tally = tallies[design.name]
            bound = design.bound(now, held, within)
            found = [e for item in shelf if (e := item.entries.get(design.name)) is not None and e[0] <= bound]
            tally.query_units += max(1, math.ceil(len(found) * ROW_BYTES / 4096)) / 2
            tally.candidates += len(found)
            tally.answered += answer
    return tallies, changes, uploads, queries
