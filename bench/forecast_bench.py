"""Forecast backtest: synthetic stores with known consumption, the model beside two baselines.

Each synthetic item lives 90 days in a store that uploads its inventory (daily, or at irregular
times), sells from a known demand process and reorders when the shelf runs low, as live stores
do; every pattern adds one difficulty. Only changed counts reach the stream (ingest writes
changes only), so each forecaster sees exactly what the alerts service will: the changes.
At every upload from day 21 on, each forecaster's run-out time is compared with the true one:
when the item's known consumption would empty the shelf counted at that upload, had nobody
restocked it. Errors are in days, with both times capped at the index horizon (30 days ahead;
no forecast counts as "beyond 30 days"). Settled choices (settings, a robust line, the cost per
change) are recorded with their numbers in bench/page.md.

Deterministic (fixed seeds) and pure Python: seconds of CPU.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from alerts.logic.demand_model import Observation, forecast, update
from inventory.forecast import ModelState

from bench.report import Section, Target, table

#: Day 0 of every simulation: a Monday, so weekday effects line up with the calendar.
EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
HISTORY_DAYS = 90.0  # the History table's retention: what "all history" can be
WARM_UP_DAYS = 21.0  # forecasts are scored from here on
HORIZON_DAYS = 30.0  # errors are capped here (the Forecast index's horizon)
SIMULATED_DAYS = HISTORY_DAYS + HORIZON_DAYS + 5.0  # demand beyond the history decides the truth
WEEKLY = (0.7, 0.75, 0.8, 0.9, 1.15, 1.7, 1.0)  # Monday .. Sunday, mean 1.0


# -- the synthetic world ---------------------------------------------------------------


@dataclass
class Upload:
    at: float  # days since EPOCH
    count: int  # what the upload says (a miscount included)
    stock: int  # what is really on the shelf


@dataclass
class ItemRun:
    """One item's simulated life: its uploads, its known consumption and the demand as it happened."""

    uploads: list[Upload]
    daily_rate: list[float]  # the known consumption: expected units on each day
    #: What moved the shelf, for a replay under another ordering policy (bench/reorder_bench.py): the demand
    #: (time, units), top-ups (time, units), stock corrections (time, factor), the chance a count is off.
    demand: list[tuple[float, int]]
    deliveries: list[tuple[float, int]] = field(default_factory=list)
    adjustments: list[tuple[float, float]] = field(default_factory=list)
    miscount: float = 0.0
    expected_totals: list[float] = field(init=False)  # expected units before each day

    def __post_init__(self) -> None:
        self.expected_totals = [0.0]
        for rate in self.daily_rate:
            self.expected_totals.append(self.expected_totals[-1] + rate)

    def _expected_by(self, at: float) -> float:
        day = min(int(at), len(self.daily_rate) - 1)
        return self.expected_totals[day] + (at - day) * self.daily_rate[day]

    def expected_runs_out(self, at: float, stock: int) -> float:
        """When the known consumption after ``at`` adds up to ``stock``: the true run-out."""
        goal = self._expected_by(at) + stock
        day = bisect.bisect_left(self.expected_totals, goal) - 1
        if day >= len(self.daily_rate) or self.daily_rate[day] <= 0:
            return math.inf
        return day + (goal - self.expected_totals[day]) / self.daily_rate[day]


@dataclass(frozen=True)
class Pattern:
    name: str
    description: str
    make: Callable[[random.Random], ItemRun]
    forecastable: bool = True


def _poisson_events(
    rand: random.Random, rates: Callable[[int], float], size: Callable[[], int]
) -> list[tuple[float, int]]:
    """Demand events day by day: a Poisson process at ``rates(day)`` events a day, each of ``size()`` units."""
    events: list[tuple[float, int]] = []
    for day in range(int(SIMULATED_DAYS)):
        rate = rates(day)
        if rate <= 0:
            continue
        moment = day + rand.expovariate(rate)
        while moment < day + 1:
            events.append((moment, size()))
            moment += rand.expovariate(rate)
    return events


def _daily_uploads(rand: random.Random) -> list[float]:
    hour = rand.uniform(6, 22) / 24
    return [day + hour + rand.uniform(-1, 1) / 24 for day in range(int(HISTORY_DAYS))]


def _live(
    rand: random.Random,
    demand: list[tuple[float, int]],
    uploads: list[float],
    daily_rate: Callable[[int], float],
    *,
    restock: bool = True,
    deliveries: Iterable[tuple[float, int]] = (),
    adjustments: Iterable[tuple[float, float]] = (),
    miscount: float = 0.0,
    start: int | None = None,
) -> ItemRun:
    """Run the shelf: demand takes what is there, the store reorders when low, uploads count it.

    ``deliveries`` are extra top-ups (time, units); ``adjustments`` one-off stock corrections
    (time, factor applied to the stock); ``miscount`` the chance an upload's count is off.
    """
    mean_rate = sum(daily_rate(day) for day in range(7)) / 7
    cover = rand.uniform(14, 28)  # the store orders up to this many days of demand
    level = max(3, round(mean_rate * cover))
    reorder = max(1, round(mean_rate * rand.uniform(3, 6)))
    stock = level if start is None else start
    timeline = sorted(
        [(t, 0, units) for t, units in demand if t <= HISTORY_DAYS]
        + [(t, 1, units) for t, units in deliveries]
        + [(t, 2, factor) for t, factor in adjustments]
    )
    pending: tuple[float, int] | None = None  # (arrival, units) of the order on its way
    made: list[Upload] = []
    position = 0
    for upload_at in uploads:
        while True:
            next_event = timeline[position][0] if position < len(timeline) else math.inf
            arrival = pending[0] if pending else math.inf
            if min(next_event, arrival) > upload_at:
                break
            if pending and arrival <= next_event:
                stock += pending[1]
                pending = None
                continue
            _, kind, value = timeline[position]
            position += 1
            if kind == 0:
                stock = max(0, stock - int(value))
            elif kind == 1:
                stock += int(value)
            else:
                stock = max(0, round(stock * value))
        count = stock
        if miscount and stock and rand.random() < miscount:
            count = max(0, stock + rand.choice((-1, 1)) * rand.randint(1, max(1, round(0.1 * stock))))
        made.append(Upload(upload_at, count, stock))
        if restock and stock <= reorder and pending is None:
            pending = (upload_at + rand.uniform(1, 3), level - stock)
    rates = [daily_rate(day) for day in range(int(SIMULATED_DAYS))]
    return ItemRun(made, rates, demand, list(deliveries), list(adjustments), miscount)


def _rate(rand: random.Random) -> float:
    return math.exp(rand.uniform(math.log(1.0), math.log(20.0)))  # 1 to 20 units a day, log-uniform


def _constant(rate: float) -> Callable[[int], float]:
    return lambda _: rate


def steady(rand: random.Random) -> ItemRun:
    rate = _constant(_rate(rand))
    return _live(rand, _poisson_events(rand, rate, lambda: 1), _daily_uploads(rand), rate)


def weekly(rand: random.Random) -> ItemRun:
    mean = _rate(rand)

    def rate(day: int) -> float:
        return mean * WEEKLY[day % 7]

    return _live(rand, _poisson_events(rand, rate, lambda: 1), _daily_uploads(rand), rate)


def noisy(rand: random.Random) -> ItemRun:
    rate = _rate(rand)
    busy = [rand.gammavariate(2.0, 0.5) for _ in range(int(SIMULATED_DAYS))]  # day-to-day swings, CV 0.7
    events = _poisson_events(rand, lambda day: rate * busy[day], lambda: 1)
    return _live(rand, events, _daily_uploads(rand), _constant(rate), miscount=0.3)


def intermittent(rand: random.Random) -> ItemRun:
    sales_per_day = rand.uniform(0.1, 0.5)
    mean_size = rand.uniform(2, 8)

    def size() -> int:
        return 1 + int(math.log(1 - rand.random()) / math.log(1 - 1 / mean_size))  # geometric, mean mean_size

    events = _poisson_events(rand, _constant(sales_per_day), size)
    return _live(rand, events, _daily_uploads(rand), _constant(sales_per_day * mean_size))


def restocks(rand: random.Random) -> ItemRun:
    rate = _constant(_rate(rand))
    deliveries, moment = [], rand.expovariate(1 / 3)
    while moment < HISTORY_DAYS:
        deliveries.append((moment, max(1, round(rate(0) * rand.uniform(1, 4)))))
        moment += rand.expovariate(1 / 3)
    events = _poisson_events(rand, rate, lambda: 1)
    return _live(rand, events, _daily_uploads(rand), rate, deliveries=deliveries)


def corrections(rand: random.Random) -> ItemRun:
    rate = _constant(_rate(rand))
    adjustments, moment = [], rand.expovariate(1 / 15)
    while moment < HISTORY_DAYS:
        factor = rand.uniform(0.5, 0.8) if rand.random() < 0.7 else rand.uniform(1.1, 1.3)
        adjustments.append((moment, factor))
        moment += rand.expovariate(1 / 15)
    events = _poisson_events(rand, rate, lambda: 1)
    return _live(rand, events, _daily_uploads(rand), rate, adjustments=adjustments)


def irregular(rand: random.Random) -> ItemRun:
    rate = _constant(_rate(rand))
    uploads, moment = [], rand.uniform(0, 1)
    while moment < HISTORY_DAYS:
        uploads.append(moment)
        if rand.random() < 0.1:  # the same shelf counted again seconds later
            uploads.append(moment + rand.uniform(5, 60) / 86_400)
        moment += rand.lognormvariate(math.log(0.5), 1.2)  # median 12 hours, some gaps of days
    return _live(rand, _poisson_events(rand, rate, lambda: 1), uploads, rate)


def shift(rand: random.Random) -> ItemRun:
    before = _rate(rand)
    after = before * rand.choice((0.5, 2.0))
    change = rand.randint(30, 75)

    def rate(day: int) -> float:
        return before if day < change else after

    return _live(rand, _poisson_events(rand, rate, lambda: 1), _daily_uploads(rand), rate)


def unused(rand: random.Random) -> ItemRun:
    """Nothing sold; the occasional delivery."""
    deliveries = [(rand.uniform(0, HISTORY_DAYS), rand.randint(1, 20)) for _ in range(3)]
    start = rand.randint(0, 50)
    return _live(rand, [], _daily_uploads(rand), _constant(0.0), restock=False, deliveries=deliveries, start=start)


PATTERNS = (
    Pattern("steady", "Poisson demand at 1-20 units a day, one upload a day", steady),
    Pattern("weekly seasonality", "as steady, Friday to Sunday busier (Saturday 1.7x, Monday 0.7x)", weekly),
    Pattern("noisy", "busy and quiet days (CV 0.7), and 3 in 10 counts off by up to 10%", noisy),
    Pattern("intermittent demand", "a sale every 2-10 days, 2-8 units at a time", intermittent),
    Pattern("restocks", "as steady, plus a top-up delivery every 3 days on average", restocks),
    Pattern("one-off corrections", "as steady, plus a stocktake every ~15 days: -20..50% or +10..30%", corrections),
    Pattern("irregular upload spacing", "as steady, uploads minutes to days apart, some seconds apart", irregular),
)
#: Not a forecast target: the reorder backtest runs it beside the seven.
SHIFT = Pattern("demand shift", "as steady, demand halves or doubles on a day between 30 and 75", shift)
NO_CONSUMPTION = Pattern("no consumption", "nothing sold, a few deliveries", unused, forecastable=False)


# -- the forecasters -----------------------------------------------------------------------


class Forecaster(Protocol):
    def observe(self, at: float, count: int) -> None: ...

    def runs_out(self, now: float) -> float | None:
        """The predicted run-out time (days since EPOCH), or None for no forecast."""
        ...


class LastTwo:
    """Baseline: the slope between the last two changes, from the last count (held until ``now``)."""

    def __init__(self) -> None:
        self.points: list[tuple[float, int]] = []

    def observe(self, at: float, count: int) -> None:
        self.points = [*self.points[-1:], (at, count)]

    def runs_out(self, now: float) -> float | None:
        if len(self.points) < 2:
            return None
        (t0, c0), (t1, c1) = self.points
        if c1 >= c0:
            return None
        start = max(now, t1)
        if t1 <= t0:
            return start
        return start + c1 * (t1 - t0) / (c0 - c1)


class WholeLine:
    """Baseline: a least-squares line through every change in the history, its slope from the last count."""

    def __init__(self) -> None:
        self.n = 0
        self.st = self.sc = self.stt = self.stc = 0.0
        self.last: tuple[float, int] = (0.0, 0)

    def observe(self, at: float, count: int) -> None:
        self.n += 1
        self.st += at
        self.sc += count
        self.stt += at * at
        self.stc += at * count
        self.last = (at, count)

    def runs_out(self, now: float) -> float | None:
        spread = self.n * self.stt - self.st * self.st
        if self.n < 2 or spread <= 0:
            return None
        slope = (self.n * self.stc - self.st * self.sc) / spread
        if slope >= 0:
            return None
        at, count = self.last
        return max(now, at) + count / -slope


def _iso(days: float) -> str:
    return (EPOCH + timedelta(days=days)).isoformat(timespec="milliseconds")


def _days(iso: str) -> float:
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - EPOCH).total_seconds() / 86_400


class Model:
    """The alerts service's model, fed the same changes through its public functions."""

    def __init__(self) -> None:
        self.state: ModelState | None = None
        self.sequence = 0

    def observe(self, at: float, count: int) -> None:
        self.sequence += 1
        self.state = update(self.state, Observation(_iso(at), count, str(self.sequence)))

    def runs_out(self, now: float) -> float | None:
        if self.state is None:
            return None
        projected = forecast(self.state, _iso(now))
        return None if projected is None else _days(projected.runs_out_at)


# -- scoring ---------------------------------------------------------------------------------


@dataclass
class Score:
    errors: list[float] = field(default_factory=list)  # against the known consumption
    forecasts: int = 0  # moments with a forecast

    @property
    def mae(self) -> float:
        return sum(self.errors) / len(self.errors) if self.errors else 0.0


def _capped(days: float | None) -> float:
    return HORIZON_DAYS if days is None else min(max(days, 0.0), HORIZON_DAYS)


def score(runs: list[ItemRun], contenders: dict[str, Callable[[], Forecaster]]) -> dict[str, Score]:
    """Feed each item's changes to a fresh forecaster per contender; score it at every upload."""
    scores = {name: Score() for name in contenders}
    for run in runs:
        forecasters = {name: make() for name, make in contenders.items()}
        last: int | None = None
        for upload in run.uploads:
            if upload.count != last:  # only changes reach the stream
                for forecaster in forecasters.values():
                    forecaster.observe(upload.at, upload.count)
                last = upload.count
            if upload.at < WARM_UP_DAYS or upload.count == 0 or upload.stock == 0:
                continue
            truth = _capped(run.expected_runs_out(upload.at, upload.stock) - upload.at)
            for name, forecaster in forecasters.items():
                predicted = forecaster.runs_out(upload.at)
                if predicted is not None:
                    scores[name].forecasts += 1
                guess = _capped(None if predicted is None else predicted - upload.at)
                scores[name].errors.append(abs(guess - truth))
    return scores


def items(pattern: Pattern, count: int, seed: int) -> list[ItemRun]:
    return [pattern.make(random.Random(f"{seed}:{pattern.name}:{n}")) for n in range(count)]


MODEL = "model"
BASELINES: dict[str, Callable[[], Forecaster]] = {"last two changes": LastTwo, "line over all history": WholeLine}


@dataclass
class PatternResult:
    pattern: Pattern
    scores: dict[str, Score]

    @property
    def moments(self) -> int:
        return len(self.scores[MODEL].errors)

    def ratio(self, name: str = MODEL) -> float:
        better = min(self.scores[baseline].mae for baseline in BASELINES)
        return self.scores[name].mae / better if better else math.inf


@dataclass
class ForecastResults:
    items_per_pattern: int
    patterns: list[PatternResult]
    no_consumption: PatternResult


def run_forecast(items_per_pattern: int = 150, seed: int = 11, log: Callable[[str], None] = print) -> ForecastResults:
    contenders: dict[str, Callable[[], Forecaster]] = {MODEL: Model, **BASELINES}
    measured: list[PatternResult] = []
    for pattern in (*PATTERNS, NO_CONSUMPTION):
        log(f"forecast: {pattern.name}, {items_per_pattern} items")
        measured.append(PatternResult(pattern, score(items(pattern, items_per_pattern, seed), contenders)))
    return ForecastResults(items_per_pattern, measured[:-1], measured[-1])


def forecast_section(r: ForecastResults) -> Section:
    names = [MODEL, *BASELINES]
    main_rows = [
        [
            result.pattern.name,
            f"{result.moments:,}",
            *(f"{result.scores[name].mae:.2f}" for name in names),
            f"{result.ratio():.2f}x",
            "pass" if result.ratio() <= 0.5 else "**over**",
        ]
        for result in r.patterns
    ]
    unused = r.no_consumption
    worst = max(r.patterns, key=lambda result: result.ratio())
    values = {
        "items": r.items_per_pattern,
        "patterns": "\n".join(f"- **{p.name}**: {p.description}." for p in (*PATTERNS, NO_CONSUMPTION)),
        "main": table(
            ["Pattern", "Moments scored", "Model", *BASELINES, "Model / better baseline", "Target <= 0.5x"],
            main_rows,
        ),
        "unused_moments": f"{unused.moments:,}",
        "unused": table(
            ["Forecaster", "Forecasts (should be 0)"], [[n, f"{unused.scores[n].forecasts:,}"] for n in names]
        ),
    }
    targets = [
        Target(
            "Forecast: run-out error vs the better baseline (7 patterns)",
            "<= 0.5x on each",
            f"worst {worst.ratio():.2f}x ({worst.pattern.name})",
            all(result.ratio() <= 0.5 for result in r.patterns),
        ),
        Target(
            "Forecast: items not being used up",
            "no forecast",
            f"{unused.scores[MODEL].forecasts} forecasts in {unused.moments:,} moments",
            unused.scores[MODEL].forecasts == 0,
        ),
    ]
    return Section("forecast", "Forecast", values, targets)
