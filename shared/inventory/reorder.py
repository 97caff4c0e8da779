"""Reorder and transfer suggestions from an item's forecast: how many to order, by when, and from where.

The policy (periodic order cycle, continuous look at the counts): with demand at ``rate`` units a
day whose daily standard deviation is ``sd``, an order placed now arrives after the lead time
``L`` and must last until the next order arrives, ``R`` (the order cycle) later:

    reorder point   s = rate * L       + z * sd * sqrt(L)        order when stock is down to it
    order-up-to     S = rate * (L + R) + z * sd * sqrt(L + R)    what stock plus the order reach

``z`` is the standard normal quantile of the service level (the chance a cycle sees no
stockout). The quantity is ``S`` minus the stock when the order is placed (now when stock is
already at or below ``s``, else ``s`` on the order-by date), rounded up to whole packs. Demand's
variance is taken as at least the rate (Poisson demand: units sell one by one at random), so a
short or lucky history cannot promise a steadiness it has not shown.

Measured against a static min/max rule by ``bench/reorder_bench.py`` (``make bench``, docs/benchmarks.md).
Pure: every number comes in as an argument; nothing here reads a clock or a table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist

from inventory.forecast import parse_time
from inventory.models import iso_utc


@dataclass(frozen=True, slots=True)
class Policy:
    """The stage's defaults: lead time and order cycle in days, service level in (0, 1)."""

    lead_time_days: float = 3.0
    cycle_days: float = 7.0
    service_level: float = 0.95

    def __post_init__(self) -> None:
        if self.lead_time_days < 0 or self.cycle_days <= 0:
            raise ValueError("lead time must be 0 or more days, the order cycle more than 0")
        if not 0.5 <= self.service_level < 1:
            raise ValueError("the service level must be from 0.5 up to (not including) 1")

    @property
    def z(self) -> float:
        """Safety factor: the standard normal quantile of the service level."""
        return NormalDist().inv_cdf(self.service_level)


@dataclass(frozen=True, slots=True)
class Demand:
    """What the forecast says of an item: units a day and the standard deviation of one day's demand."""

    rate: float
    daily_sd: float

    @property
    def sd(self) -> float:
        """The daily standard deviation used: at least Poisson's (the square root of the rate)."""
        return math.sqrt(max(self.daily_sd**2, self.rate))

    def need(self, days: float, z: float) -> float:
        """Expected demand over ``days`` plus safety stock for the safety factor ``z``."""
        return self.rate * days + z * self.sd * math.sqrt(max(days, 0.0))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An order to place: ``quantity`` units (whole packs) by ``order_by`` (ISO 8601 UTC)."""

    quantity: int
    order_by: str
    reorder_point: float
    order_up_to: float
    why: str


def suggest(
    on_hand: float,
    demand: Demand | None,
    now: str,
    policy: Policy,
    *,
    lead_time_days: float | None = None,
    pack: int = 1,
) -> Suggestion | None:
    """The order an item needs, or ``None`` when there is no forecast (nothing is being used up).

    ``on_hand`` is the stock expected at ``now``; ``lead_time_days`` the item's own lead time
    (``None``: the policy's); ``pack`` the pack size orders come in.
    """
    if demand is None or demand.rate <= 0:
        return None
    lead = policy.lead_time_days if lead_time_days is None else lead_time_days
    z, cycle, pack = policy.z, policy.cycle_days, max(1, pack)
    point = demand.need(lead, z)
    up_to = demand.need(lead + cycle, z)
    if on_hand <= point:
        days, stock = 0.0, max(0.0, on_hand)
        when = f"stock ({on_hand:,.0f}) is at or below the reorder point ({point:,.0f})"
    else:
        days, stock = (on_hand - point) / demand.rate, point
        when = f"stock ({on_hand:,.0f}) reaches the reorder point ({point:,.0f}) in {days:.1f} days"
    quantity = max(0, math.ceil((up_to - stock) / pack - 1e-9)) * pack
    packs = f" in packs of {pack}" if pack > 1 else ""
    why = (
        f"{when}: {demand.rate:,.1f} a day (sd {demand.sd:,.1f}) over {lead:g} days' lead time plus "
        f"{cycle:g} days to the next order, with safety stock for {policy.service_level:.0%} of cycles "
        f"without a stockout, is {up_to:,.0f}; order {quantity:,}{packs}"
    )
    order_by = iso_utc(parse_time(now) + timedelta(days=days))
    return Suggestion(quantity, order_by, point, up_to, why)


@dataclass(frozen=True, slots=True)
class Holding:
    """One store's stock of one item and its demand (``None``: no forecast, nothing sells there).

    ``lead_time_days``: days until more stock could arrive there (an order on its way, or the
    item's lead time); ``None``: the policy's lead time.
    """

    store: str
    item: str
    on_hand: float
    demand: Demand | None
    lead_time_days: float | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move ``quantity`` of ``item`` from ``source`` to ``target``, which runs out in ``runs_out_in_days``."""

    item: str
    source: str
    target: str
    quantity: int
    runs_out_in_days: float


def transfers(holdings: Iterable[Holding], policy: Policy) -> list[Transfer]:
    """Stock to move between stores, most urgent first.

    A store needs stock when it runs out before an order could arrive (cover below its lead
    time): it asks for what covers the lead time with safety stock. A store can give what it holds
    beyond its own order-up-to level (all of it, where the item does not sell). The neediest store
    is served first, from the store with the largest surplus.
    """
    z = policy.z
    by_item: dict[str, list[Holding]] = {}
    for holding in holdings:
        by_item.setdefault(holding.item, []).append(holding)
    needs: list[tuple[float, Holding, int]] = []
    surplus: dict[str, dict[str, int]] = {}  # item -> store -> units it can give
    for item, stores in by_item.items():
        for holding in stores:
            lead = policy.lead_time_days if holding.lead_time_days is None else holding.lead_time_days
            if holding.demand is None or holding.demand.rate <= 0:
                surplus.setdefault(item, {})[holding.store] = math.floor(holding.on_hand)
                continue
            cover = max(0.0, holding.on_hand) / holding.demand.rate
            if cover < lead:
                short = math.ceil(holding.demand.need(lead, z) - max(0.0, holding.on_hand))
                needs.append((cover, holding, short))
            else:
                spare = math.floor(holding.on_hand - holding.demand.need(lead + policy.cycle_days, z))
                if spare > 0:
                    surplus.setdefault(item, {})[holding.store] = spare
    moves: list[Transfer] = []
    for cover, holding, short in sorted(needs, key=lambda need: (need[0], need[1].item, need[1].store)):
        spares, wanted = surplus.get(holding.item, {}), short
        while wanted > 0 and any(spare > 0 for spare in spares.values()):
            store = min(spares, key=lambda name: (-spares[name], name))
            quantity = min(spares[store], wanted)
            moves.append(Transfer(holding.item, store, holding.store, quantity, cover))
            spares[store] -= quantity
            wanted -= quantity
    return moves
