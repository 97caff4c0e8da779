"""The RunningOut index's key and projection, side by side: what a daily upload writes to it, and what
``GET /forecast?within_days=N`` reads, for each design.

    .venv/bin/python -m bench.index_options [--items N] [--within DAYS]

Every item of the forecast backtest's seven patterns (and "no consumption") is one item of one store
that uploads daily for 90 days; only changed counts reach the stream, and each change rewrites the
item's Forecast row with the model's forecast (the alerts service's own functions). For each design,
the index entry before and after each change decides what the index write costs (DynamoDB's rules
for a global secondary index: an entry that appears or goes is one write; one whose key changes is
two, a delete and a put; one whose projected attributes change is one; an entry that stays as it was
is none; every entry here is under 1 KB). The reads are the API's per store: from day 21, after each
day's uploads, the Query of the index (its entries up to the bound the design allows, 4 KB a read
unit, halved for eventually consistent reads) plus, for a keys-only index, a BatchGetItem of every
row it returned (half a unit each), against what the answer holds.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from alerts.logic.demand_model import Observation, forecast, update
from inventory.forecast import ForecastRow, ModelState

from bench.forecast_bench import NO_CONSUMPTION, PATTERNS, WARM_UP_DAYS, _iso, items

HORIZON = 30.0
#: A Forecast row's size (docs/benchmarks.md: 271 bytes, median) and a keys-only entry's: the store,
#: the item and the key, with their names.
ROW_BYTES = 271
KEYS_BYTES = 60

Entry = tuple[float, tuple[object, ...]] | None  # (sort key, projected values), None: not in the index
Place = Callable[[float, float, tuple[object, ...]], Entry]


@dataclass(frozen=True)
class Design:
    name: str
    #: The index entry of an item with ``days_left`` of cover at its change at ``at`` (days since the
    #: simulation's start), whose row holds ``row``; ``None`` when not in the index.
    entry: Callable[[float, float, tuple[object, ...]], Entry]
    #: The Query's bound for "within N days" at ``now``, given the item's last upload (the store's).
    bound: Callable[[float, float, float], float]
    keys_only: bool


def _relative(horizon: float, keys_only: bool, step: float = 0.0) -> Place:
    def entry(_at: float, days_left: float, row: tuple[object, ...]) -> Entry:
        if days_left > horizon:
            return None
        key = math.floor(days_left / step) * step if step else days_left
        return key, () if keys_only else row

    return entry


def _absolute(bucket: float, keys_only: bool) -> Place:
    def entry(at: float, days_left: float, row: tuple[object, ...]) -> Entry:
        if days_left > HORIZON:
            return None
        return math.floor((at + days_left) / bucket), () if keys_only else row

    return entry


def _relative_bound(now: float, held: float, within: float) -> float:
    return within + (now - held)  # the API's bound today: the cover at the last count


def _absolute_bound(bucket: float) -> Callable[[float, float, float], float]:
    return lambda now, _held, within: math.floor((now + within) / bucket)


DESIGNS = (
    Design("today: DaysLeft, ALL, 30 days", _relative(HORIZON, False), _relative_bound, False),
    Design("DaysLeft, KEYS_ONLY, 30 days", _relative(HORIZON, True), _relative_bound, True),
    Design("DaysLeft rounded down to the hour, ALL", _relative(HORIZON, False, 1 / 24), _relative_bound, False),
    Design("DaysLeft, ALL, 7-day horizon", _relative(7.0, False), _relative_bound, False),
    Design("run-out day, ALL", _absolute(1.0, False), _absolute_bound(1.0), False),
    Design("run-out day, KEYS_ONLY", _absolute(1.0, True), _absolute_bound(1.0), True),
    Design("run-out week, ALL", _absolute(7.0, False), _absolute_bound(7.0), False),
    Design("run-out week, KEYS_ONLY", _absolute(7.0, True), _absolute_bound(7.0), True),
)


@dataclass
class Tally:
    index_writes: int = 0
    query_units: float = 0.0
    get_units: float = 0.0
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
            size = len(found) * (KEYS_BYTES if design.keys_only else ROW_BYTES)
            tally.query_units += max(1, math.ceil(size / 4096)) / 2
            tally.get_units += len(found) / 2 if design.keys_only else 0.0
            tally.candidates += len(found)
            tally.answered += answer
    return tallies, changes, uploads, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=60, help="items per pattern (8 patterns, one store)")
    parser.add_argument("--within", type=float, default=7.0, help="the API's within_days")
    args = parser.parse_args()
    tallies, changes, uploads, queries = run(args.items, args.within)
    print(f"{changes:,} changes in {uploads:,} daily uploads of {args.items * 8} items; {queries} API queries")
    print("| Design | Index WRU per change | per upload | RRU per query | rows read per query | answer |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, t in tallies.items():
        print(
            f"| {name} | {t.index_writes / changes:.2f} | {t.index_writes / uploads:.3f} | "
            f"{(t.query_units + t.get_units) / queries:.1f} | {t.candidates / queries:.0f} | "
            f"{t.answered / queries:.0f} |"
        )


if __name__ == "__main__":
    main()
