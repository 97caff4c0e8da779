"""Reorder backtest: the suggested policy against a static min/max rule.

Each forecast-bench pattern's demand (and its extra deliveries, stocktake corrections and
miscounts) is replayed on a shelf run by each policy instead of the pattern's own reorder rule.
At every upload the policy sees the count (as the dashboard would) and may order; an order
arrives ``lead`` days later. Demand that finds the shelf empty is lost. Scored from day 21 (the
forecast's warm-up) to day 90: days with a lost sale, and the average stock on hand.

- **suggested**: :func:`inventory.reorder.suggest` on the alerts model's forecast, fed the
  changed counts; it orders when stock plus what is on order is at or below the reorder point.
- **min/max**: min = average demand over the lead time, max = min + average demand over the
  order cycle, typed in once from the item's true average (the best a static rule can be set);
  order up to max when stock plus what is on order is at or below min.

Transfers: groups of four stores of one item run the suggested policy (lead time 7 days) with and
without head office's daily transfers (:func:`inventory.reorder.transfers`, arriving the next day).
On day 40 one store's demand halves and it receives a delivery meant for several stores (two
cycles' stock); another's demand doubles.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from statistics import mean

from alerts.logic.demand_model import forecast
from inventory.forecast import parse_time
from inventory.reorder import Demand, Holding, Policy, suggest, transfers

from bench.forecast_bench import HISTORY_DAYS, PATTERNS, SHIFT, WARM_UP_DAYS, ItemRun, Model, Pattern, _iso, items
from bench.report import Section, Target, table

LEAD_TIMES = (2.0, 7.0)
CYCLE_DAYS = 7.0
SUGGESTED, MIN_MAX = "suggested", "min/max"
POLICIES = (SUGGESTED, MIN_MAX)
TRANSFER_DAYS = 1.0


@dataclass
class Shelf:
    """One store's shelf of one item under one policy, and what it scored."""

    stock: int
    orders: list[tuple[float, int]] = field(default_factory=list)  # (arrival, units) on the way
    moves: list[tuple[float, int]] = field(default_factory=list)  # transfers on the way
    stockout_days: set[int] = field(default_factory=set)
    stock_time: float = 0.0  # integral of stock on hand over the scored time (unit-days)
    at: float = 0.0
    model: Model = field(default_factory=Model)
    last_count: int | None = None

    def advance(self, until: float) -> None:
        """Let time pass to ``until``, receiving what arrives meanwhile."""
        for arrival, units in sorted(self.orders + self.moves):
            if arrival <= until:
                self._hold(arrival)
                self.stock += units
        self.orders = [(arrival, units) for arrival, units in self.orders if arrival > until]
        self.moves = [(arrival, units) for arrival, units in self.moves if arrival > until]
        self._hold(until)

    def _hold(self, until: float) -> None:
        start = max(self.at, WARM_UP_DAYS)
        if until > start:
            self.stock_time += self.stock * (until - start)
        self.at = max(self.at, until)

    def sell(self, at: float, units: int) -> None:
        self.advance(at)
        if units > self.stock and at >= WARM_UP_DAYS:
            self.stockout_days.add(int(at))
        self.stock = max(0, self.stock - units)

    def holding(self, store: str, now: float, lead: float) -> Holding:
        """What head office sees: stock here or on its way from another store, until the next order lands."""
        arrives = min((arrival - now for arrival, _ in self.orders), default=lead)
        on_hand = self.stock + sum(units for _, units in self.moves)
        return Holding(store, "item", on_hand, self.demand(now), arrives)

    def demand(self, now: float) -> Demand | None:
        state = self.model.state
        if state is None:
            return None
        projected = forecast(state, _iso(now))
        return None if projected is None else Demand(projected.rate_per_day, projected.daily_sd)


Decide = Callable[[Shelf, float, int], int]  # (shelf, time, count seen) -> units to order now


def suggested(policy: Policy) -> Decide:
    def decide(shelf: Shelf, now: float, count: int) -> int:
        if count != shelf.last_count:  # only changes reach the stream
            shelf.model.observe(now, count)
            shelf.last_count = count
        position = count + sum(units for _, units in shelf.orders + shelf.moves)
        order = suggest(position, shelf.demand(now), _iso(now), policy)
        return order.quantity if order is not None and parse_time(order.order_by) <= parse_time(_iso(now)) else 0

    return decide


def min_max(low: float, high: float) -> Decide:
    def decide(shelf: Shelf, _now: float, count: int) -> int:
        position = count + sum(units for _, units in shelf.orders)
        return max(0, math.ceil(high - position)) if position <= low else 0

    return decide


def replay(run: ItemRun, decide: Decide, lead: float, start: int, seed: str) -> Shelf:
    """Run one item's world under one policy: demand, top-ups and corrections as the pattern had them."""
    rand = random.Random(seed)  # the same miscounts for every policy
    shelf = Shelf(stock=start)
    events = sorted(
        [(t, 1, n) for t, n in run.demand if t <= HISTORY_DAYS]
        + [(t, 2, n) for t, n in run.deliveries]
        + [(t, 3, f) for t, f in run.adjustments]
        + [(upload.at, 0, 0) for upload in run.uploads]
    )
    for at, kind, value in events:
        if kind == 1:
            shelf.sell(at, int(value))
            continue
        shelf.advance(at)
        if kind == 2:
            shelf.stock += int(value)
        elif kind == 3:
            shelf.stock = max(0, round(shelf.stock * value))
        else:
            count = shelf.stock
            if run.miscount and count and rand.random() < run.miscount:
                count = max(0, count + rand.choice((-1, 1)) * rand.randint(1, max(1, round(0.1 * count))))
            quantity = decide(shelf, at, count)
            if quantity > 0:
                shelf.orders.append((at + lead, quantity))
    shelf.advance(HISTORY_DAYS)
    return shelf


@dataclass
class Outcome:
    stockout_days: list[int] = field(default_factory=list)
    average_stock: list[float] = field(default_factory=list)

    def add(self, shelf: Shelf) -> None:
        self.stockout_days.append(len(shelf.stockout_days))
        self.average_stock.append(shelf.stock_time / (HISTORY_DAYS - WARM_UP_DAYS))

    @property
    def days(self) -> float:
        return mean(self.stockout_days)

    @property
    def stock(self) -> float:
        return mean(self.average_stock)


@dataclass
class PatternOutcome:
    pattern: Pattern
    lead: float
    outcomes: dict[str, Outcome]

    @property
    def fewer(self) -> float:
        """How many fewer stockout days the suggested policy has than min/max (share of min/max's)."""
        base = self.outcomes[MIN_MAX].days
        return 1 - self.outcomes[SUGGESTED].days / base if base else 0.0

    @property
    def met(self) -> bool:
        return self.fewer >= 0.3 and self.outcomes[SUGGESTED].stock <= self.outcomes[MIN_MAX].stock


def run_pattern(pattern: Pattern, lead: float, count: int, seed: int, policy: Policy) -> PatternOutcome:
    outcomes = {name: Outcome() for name in POLICIES}
    for n, run in enumerate(items(pattern, count, seed)):
        average = mean(run.daily_rate[: int(HISTORY_DAYS)])
        low = average * lead
        high = low + average * CYCLE_DAYS
        start = math.ceil(high)
        deciders = {SUGGESTED: suggested(policy), MIN_MAX: min_max(low, high)}
        for name, decide in deciders.items():
            outcomes[name].add(replay(run, decide, lead, start, f"{seed}:{pattern.name}:{n}:counts"))
    return PatternOutcome(pattern, lead, outcomes)


# -- transfers between stores ---------------------------------------------------------------

STORES = 4
SHIFT_DAY = 40


def _store_demand(rand: random.Random, rate: float, change: float) -> list[tuple[float, int]]:
    events: list[tuple[float, int]] = []
    for day in range(int(HISTORY_DAYS)):
        today = rate * (change if day >= SHIFT_DAY else 1.0)
        moment = day + rand.expovariate(today)
        while moment < day + 1:
            events.append((moment, 1))
            moment += rand.expovariate(today)
    return events


def run_transfers(groups: int, seed: int, policy: Policy, lead: float = 7.0) -> dict[str, Outcome]:
    """Groups of stores of one item: from day 40 one store sells half as much, one twice as much."""
    outcomes = {"without transfers": Outcome(), "with transfers": Outcome()}
    policy = replace(policy, lead_time_days=lead)
    for n in range(groups):
        rand = random.Random(f"{seed}:transfers:{n}")
        rate = math.exp(rand.uniform(math.log(2.0), math.log(20.0)))
        changes = [0.5, 2.0, *[1.0] * (STORES - 2)]
        demand = [_store_demand(rand, rate, change) for change in changes]
        hours = [rand.uniform(6, 22) / 24 for _ in range(STORES)]
        for name, moving in (("without transfers", False), ("with transfers", True)):
            start = math.ceil(rate * (lead + CYCLE_DAYS))
            shelves = [Shelf(stock=start) for _ in range(STORES)]
            decide = suggested(policy)
            timeline = sorted(
                [(t, 1, s) for s, events in enumerate(demand) for t, _ in events]
                + [(day + hours[s], 0, s) for s in range(STORES) for day in range(int(HISTORY_DAYS))]
                + [(day + 0.99, 2, -1) for day in range(int(HISTORY_DAYS))]
                + [(SHIFT_DAY, 3, 0)]
            )
            for at, kind, store in timeline:
                if kind == 1:
                    shelves[store].sell(at, 1)
                elif kind == 0:
                    shelf = shelves[store]
                    shelf.advance(at)
                    quantity = decide(shelf, at, shelf.stock)
                    if quantity > 0:
                        shelf.orders.append((at + lead, quantity))
                elif kind == 3:  # a delivery meant for several stores lands in one
                    shelves[store].advance(at)
                    shelves[store].stock += 2 * start
                elif moving:
                    _move(shelves, at, policy, lead)
            for shelf in shelves:
                shelf.advance(HISTORY_DAYS)
                outcomes[name].add(shelf)
    return outcomes


def _move(shelves: list[Shelf], at: float, policy: Policy, lead: float) -> None:
    """Head office's daily look: every suggested transfer, sent now, arriving the next day."""
    holdings = []
    for s, shelf in enumerate(shelves):
        shelf.advance(at)
        holdings.append(shelf.holding(str(s), at, lead))
    for move in transfers(holdings, policy):
        source, target = shelves[int(move.source)], shelves[int(move.target)]
        quantity = min(move.quantity, source.stock)
        source.stock -= quantity
        target.moves.append((at + TRANSFER_DAYS, quantity))


# -- the suite --------------------------------------------------------------------------------


@dataclass
class ReorderResults:
    items_per_pattern: int
    groups: int
    policy: Policy
    patterns: list[PatternOutcome]
    transfers: dict[str, Outcome]


def run_reorder(
    items_per_pattern: int = 60, groups: int = 40, seed: int = 17, log: Callable[[str], None] = print
) -> ReorderResults:
    policy = Policy(cycle_days=CYCLE_DAYS)
    measured = []
    for pattern in (*PATTERNS, SHIFT):
        for lead in LEAD_TIMES:
            log(f"reorder: {pattern.name}, lead time {lead:g} days, {items_per_pattern} items")
            measured.append(run_pattern(pattern, lead, items_per_pattern, seed, replace(policy, lead_time_days=lead)))
    log(f"reorder: transfers, {groups} groups of {STORES} stores")
    return ReorderResults(items_per_pattern, groups, policy, measured, run_transfers(groups, seed, policy))


def reorder_section(r: ReorderResults) -> Section:
    rows = []
    for result in r.patterns:
        o = result.outcomes
        rows.append(
            [
                result.pattern.name,
                f"{result.lead:g}",
                *(f"{o[name].days:.2f}" for name in POLICIES),
                *(f"{o[name].stock:.1f}" for name in POLICIES),
                f"{result.fewer:.0%}",
                "pass" if result.met else "**miss**",
            ]
        )
    moved = r.transfers
    transfer_rows = [[name, f"{o.days:.2f}", f"{o.stock:.1f}"] for name, o in moved.items()]
    worst = min(r.patterns, key=lambda result: result.fewer)
    over = [result for result in r.patterns if result.outcomes[SUGGESTED].stock > result.outcomes[MIN_MAX].stock]
    without, with_ = moved["without transfers"].days, moved["with transfers"].days
    values = {
        "items": r.items_per_pattern,
        "groups": r.groups,
        "stores": STORES,
        "cycle": f"{r.policy.cycle_days:g}",
        "service": f"{r.policy.service_level:.0%}",
        "main": table(
            [
                "Pattern",
                "Lead time (days)",
                *(f"Stockout days: {name}" for name in POLICIES),
                *(f"Average stock: {name}" for name in POLICIES),
                "Fewer stockout days than min/max",
                "Target",
            ],
            rows,
        ),
        "transfers": table(["Suggested policy", "Stockout days per store", "Average stock"], transfer_rows),
    }
    targets = [
        Target(
            "Reorder: stockout days vs min/max, at no more average stock (8 patterns x 2 lead times)",
            ">= 30% fewer on each",
            f"worst {worst.fewer:.0%} fewer ({worst.pattern.name}, {worst.lead:g} days); "
            f"more stock on {len(over)} of {len(r.patterns)}",
            all(result.met for result in r.patterns),
        ),
        Target(
            "Reorder: transfers between stores cut stockout days",
            "fewer with transfers",
            f"{with_:.2f} vs {without:.2f} per store",
            with_ < without,
        ),
    ]
    return Section("reorder", "Reorder", values, targets)
