"""Stockout forecasts from an item's count changes: consumption rate, days of cover, run-out time.

The method: a time-weighted consumption rate, kept as two running sums over the intervals
between consecutive counts, each weighted by how recent it is (exponential decay in time):

    rate = consumed / elapsed      (units per day)
    days_left = count / rate       (days of cover at the last count)

- An interval counts by its length, however the counts are spaced (hourly, daily, irregular,
  seconds apart): its weight is the integral of the decay over it.
- A rise is a delivery, not consumption: what sold meanwhile is hidden, so the interval counts
  at the current rate (the rate stays as it was; the memory keeps its weight). An interval that
  starts at 0 is the same: nothing could sell from an empty shelf.
- A drop larger than ``clip`` times the typical drop (or the expected consumption over the
  interval, if larger) counts as that much: a one-off write-off or recount cannot swing the
  rate; the count itself is taken as given. A drop to 0 counts at least the expected
  consumption (the shelf may have emptied before the count).
- A change less than ``min_interval_days`` (an hour) after the interval's start judges nothing
  yet: its count is taken as given and the interval waits for a later change, which is judged
  from the count before (a store re-uploading a corrected file, 12 -> 0 -> 5 within 90 seconds,
  is a correction, not 12 sold in 45 seconds and a delivery). A rise over either count is a
  delivery, as above. Stores upload daily or a few times a day: an hour apart is a re-upload.
- No forecast until ``min_evidence_days`` (6 hours) of intervals have been seen: an hour's
  drop says little of a day's use (12 gone in an hour would be 288 a day).
- The half-life is at least ``half_life_days``, stretched to the time the item takes for
  ``drops`` drops (at most ``max_half_life_days``): an item sold every day remembers about a
  week, one sold every five days about a month, so slow and lumpy items are not judged on one
  sale.
- Between changes the count holds: only changed counts reach the stream (ingest writes
  changes only), so no change means the shelf still holds ``count``. ``days_left`` therefore
  stays valid until the next change, and the run-out time is projected from when the count was
  last known to hold.

Chosen by the backtest in ``bench/forecast_bench.py`` (``make bench``, docs/benchmarks.md):
synthetic items living 90 days in stores that reorder when low, 150 per pattern; at every upload
from day 21, the error of the predicted run-out in days (capped at 30) against the one the known
consumption gives; every forecaster holds the count the same way, only the rate differs. Error
relative to the better of two baselines (the slope of the last two changes; a least-squares line
through all history), with the settings below:

    steady 0.22, weekly seasonality 0.23, noisy 0.27, intermittent demand 0.47,
    restocks 0.21, one-off corrections 0.28, irregular upload spacing 0.20;
    beside them, demand shift (sales halve or double) 0.49, and 1.31 on a shelf that is
    never restocked, the line's best case (one straight run down).

Alternatives on other items of the same patterns (worst of the seven; demand shift): this rule
0.45, 0.48; a fixed 7-day half-life 0.56 (intermittent demand: too few sales in a week); a
fixed 28-day one 0.42 but 0.67 on a demand shift (a doubling takes a month to show); no
clipping 0.44, but one-off corrections 0.37 instead of 0.30; the run-out counted from the
last change instead of holding the count, 0.59 (intermittent demand); a Theil-Sen line over the
changes since the last rise, 0.85 (it restarts at every delivery, and needs its window in the
state). Intermittent demand is the tightest pattern and is short of information, not method:
a sale every few days gives few points in any memory short enough to follow a change.

Pure and deterministic: time comes in with each observation; nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta

from inventory.forecast import Forecast, ModelState, days_between, parse_time
from inventory.models import StockStatus, iso_utc

LN2 = math.log(2)


@dataclass(frozen=True, slots=True)
class Observation:
    """An item's count at a moment: one change on the Inventory stream."""

    at: str  # ISO 8601 UTC
    count: int
    sequence: str = ""  # stream sequence number; "" when unknown (then never taken for a replay)


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The model's constants; the defaults are the ones the backtest chose."""

    half_life_days: float = 5.0
    #: The half-life stretches to the time of this many drops, up to ``max_half_life_days``.
    drops: float = 6.0
    max_half_life_days: float = 42.0
    #: A drop larger than this many typical drops (or expected consumptions) counts as that many.
    clip: float = 3.0
    #: Longer cover than this is no forecast: the item is not being used up.
    max_days: float = 3650.0
    #: A change less than this long after the last interval's end starts no interval of its own:
    #: the next change judges the whole span (a re-uploaded file is a correction, not use).
    min_interval_days: float = 1.0 / 24.0
    #: No forecast until intervals this long in all have been seen (see :func:`weight`).
    min_evidence_days: float = 0.25


DEFAULT = ModelSettings()


def newer(sequence: str, than: str) -> bool:
    """Whether stream sequence number ``sequence`` comes after ``than`` (decimal text of any length)."""
    if sequence.isdigit() and than.isdigit():
        return int(sequence) > int(than)
    return (len(sequence), sequence) > (len(than), than)


def later(first: str, second: str) -> str:
    """The later of two ISO 8601 times (``first`` when they are the same moment)."""
    return second if days_between(first, second) > 0 else first


def interval_weight(days: float, half_life: float) -> float:
    """An interval's weight: the integral of the decay over it, about ``days`` when short.

    Adjacent intervals weigh together what one interval over their span weighs (at one half-life;
    more when the half-life stretches).
    """
    return -math.expm1(-days * LN2 / half_life) * half_life / LN2


def update(state: ModelState | None, observation: Observation, settings: ModelSettings = DEFAULT) -> ModelState:
    """The state after one more observation, in constant time from the state alone.

    The first observation only sets the count. An observation whose sequence number is not newer
    than the state's (a replayed stream record) changes nothing. Observations apply in the order
    given (the stream's order for the item); one timed earlier than the state counts as no time
    passing, and the state keeps the later time.
    """
    if state is None:
        return ModelState(count=observation.count, at=observation.at, sequence=observation.sequence)
    if observation.sequence and state.sequence and not newer(observation.sequence, state.sequence):
        return state
    start_count = state.count if state.base_count is None else state.base_count
    start_at = state.base_at or state.at
    days = max(0.0, days_between(start_at, observation.at))
    if days < settings.min_interval_days:
        # Too soon after the interval's start to say anything of use (a store re-uploading a
        # corrected file): the count is taken as given, the interval waits for a later change.
        return replace(
            state,
            count=observation.count,
            at=later(state.at, observation.at),
            sequence=observation.sequence or state.sequence,
            base_count=start_count,
            base_at=start_at,
        )
    rate = state.consumed / state.elapsed if state.elapsed > 0 else 0.0
    variance = state.spread / state.elapsed if state.elapsed > 0 else 0.0
    typical = state.step / state.steps if state.steps > 0 else 0.0
    half_life = settings.half_life_days
    if state.steps > 0:
        between_drops = state.elapsed / state.steps
        half_life = min(max(half_life, settings.drops * between_drops), settings.max_half_life_days)
    decay = 2.0 ** (-days / half_life)
    weight = interval_weight(days, half_life)
    consumed, elapsed = state.consumed * decay, state.elapsed * decay
    step, steps = state.step * decay, state.steps * decay
    spread = state.spread * decay
    drop = start_count - observation.count

    if start_count == 0 or observation.count > min(start_count, state.count):
        # A delivery (since the interval's start or its last count), or a shelf that was empty:
        # what sold meanwhile is unknown. The interval counts at the current rate: the rate is
        # unchanged and the memory keeps its weight.
        consumed += rate * weight
        spread += variance * weight
    else:
        used = float(drop)
        if drop > 0 and typical > 0:
            used = min(used, settings.clip * max(typical, rate * days))
        if observation.count == 0:
            used = max(used, rate * days)  # emptied somewhere in the interval: at least this much
        share = weight / days if days > 0 else 1.0
        consumed += used * share
        # Demand's variance per day: an interval of d days that used u against an expected r * d
        # adds (u - r * d)**2 / d, weighted like its consumption. The first interval (no rate yet)
        # takes the variance of Poisson demand, u / d, rather than judging u against nothing.
        spread += (used if state.elapsed <= 0 else (used - rate * days) ** 2) * share
        if drop > 0:
            step += used
            steps += 1.0
    return ModelState(
        count=observation.count,
        at=later(state.at, observation.at),
        sequence=observation.sequence or state.sequence,
        consumed=consumed,
        elapsed=elapsed + weight,
        step=step,
        steps=steps,
        spread=spread,
    )


def forecast(state: ModelState | None, now: str, settings: ModelSettings = DEFAULT) -> Forecast | None:
    """The forecast at ``now`` (ISO 8601), or ``None`` when the item is not being used up.

    The count is taken to hold until ``now`` (no change seen since), so ``days_left`` is the cover
    at that count and the run-out time counts from ``now`` (from the last change if later).
    """
    # The least weight ``min_evidence_days`` of intervals have, less a float rounding's worth.
    evidence = interval_weight(settings.min_evidence_days, settings.half_life_days) * (1 - 1e-9)
    if state is None or state.elapsed < evidence or state.consumed <= 0:
        return None
    rate = state.consumed / state.elapsed
    cover = state.count / rate
    if not math.isfinite(cover) or cover > settings.max_days:
        return None
    start = now if days_between(state.at, now) > 0 else state.at
    return Forecast(
        count=state.count,
        rate_per_day=rate,
        days_left=cover,
        runs_out_at=iso_utc(parse_time(start) + timedelta(days=cover)),
        daily_sd=math.sqrt(max(0.0, state.spread) / state.elapsed),
    )


#: Once ``soon``, an item leaves the state only when its cover rises clearly above ``soon_days``:
#: by a day, or by a quarter of ``soon_days`` when that is more (see :func:`leave_days`).
LEAVE_MARGIN_DAYS = 1.0
LEAVE_MARGIN_SHARE = 0.25


def leave_days(soon_days: float) -> float:
    """The cover above which a ``soon`` item leaves the state: ``soon_days`` plus the margin.

    Without it, cover that wobbles around the line (a sale, then a small delivery, then a sale)
    would leave and enter the state at every change, and be announced each time.
    """
    return soon_days + max(LEAVE_MARGIN_DAYS, LEAVE_MARGIN_SHARE * soon_days)


@dataclass(frozen=True, slots=True)
class SoonStep:
    """The ``soon`` state after a change, and whether that change is the one to announce."""

    since: str | None  # sequence number of the change that entered the state; None: not soon
    announce: bool


def soon_step(
    since: str | None, sequence: str, status: StockStatus, projected: Forecast | None, soon_days: float
) -> SoonStep:
    """Whether an item is ``soon`` after a change, and whether to announce it.

    ``since`` is the item's current ``soon`` state (the sequence number of the change that
    entered it, or ``None``), ``sequence`` the change's, ``status`` the item's status after it.
    An item enters the state when it is neither out nor low and its cover is at most
    ``soon_days``; it stays while it is neither out nor low and its cover is at most
    :func:`leave_days` (hysteresis). It is announced when it enters the state, not while it
    stays, again after it has left; an item out or low is never soon, and one with no forecast
    (not being used up) leaves the state. The change that entered the state announces again
    when it is replayed (its History row decides whether it was already sent).
    """
    limit = soon_days if since is None else leave_days(soon_days)
    due = status is StockStatus.OK and projected is not None and projected.days_left <= limit
    if not due:
        return SoonStep(None, False)
    if since is None:
        return SoonStep(sequence, True)
    return SoonStep(since, since == sequence)
