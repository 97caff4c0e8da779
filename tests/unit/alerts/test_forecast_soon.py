"""The ``soon`` rule: announced once on entering, not while it stays, never for an item out or low."""

from __future__ import annotations

import pytest
from alerts.logic.demand_model import SoonStep, leave_days, soon_step
from inventory.forecast import Forecast
from inventory.models import StockStatus

pytestmark = pytest.mark.unit

SOON_DAYS = 3.0
OK, LOW, OUT = StockStatus.OK, StockStatus.LOW, StockStatus.OUT


def cover(days: float, count: int = 30) -> Forecast:
    return Forecast(count=count, rate_per_day=count / days, days_left=days, runs_out_at="2026-11-30T00:00:00.000Z")


def walk(steps: list[tuple[StockStatus, Forecast | None]]) -> list[bool]:
    """Apply a run of changes (sequence numbers 1, 2, ...); which of them announce."""
    since: str | None = None
    announced = []
    for n, (status, projected) in enumerate(steps, 1):
        step = soon_step(since, str(n), status, projected, SOON_DAYS)
        since = step.since
        announced.append(step.announce)
    return announced


def test_an_item_entering_the_soon_state_is_announced_once_while_it_stays() -> None:
    assert walk([(OK, cover(6)), (OK, cover(2.5)), (OK, cover(2)), (OK, cover(1))]) == [False, True, False, False]


def test_leaving_and_entering_again_announces_again() -> None:
    steps = [(OK, cover(2)), (OK, cover(9)), (OK, cover(2.9))]  # in, restocked out of it, in again

    assert walk(steps) == [True, False, True]


def test_exactly_soon_days_of_cover_is_soon() -> None:
    assert soon_step(None, "7", OK, cover(SOON_DAYS), SOON_DAYS) == SoonStep("7", True)


@pytest.mark.parametrize("status", [LOW, OUT])
def test_an_item_out_or_low_is_never_also_soon(status: StockStatus) -> None:
    assert soon_step(None, "7", status, cover(0.5), SOON_DAYS) == SoonStep(None, False)
    assert soon_step("3", "7", status, cover(0.5), SOON_DAYS) == SoonStep(None, False)  # and it leaves the state


def test_an_item_back_to_ok_from_low_is_announced_soon_again() -> None:
    assert walk([(OK, cover(2)), (LOW, cover(1)), (OK, cover(2.5))]) == [True, False, True]


def test_an_item_with_no_forecast_is_not_soon() -> None:
    assert soon_step("3", "7", OK, None, SOON_DAYS) == SoonStep(None, False)


def test_a_replay_of_the_change_that_entered_announces_again_and_no_other_does() -> None:
    # the History row of that change decides whether it was sent already
    assert soon_step("7", "7", OK, cover(2), SOON_DAYS) == SoonStep("7", True)
    assert soon_step("7", "8", OK, cover(2), SOON_DAYS) == SoonStep("7", False)


def test_once_soon_an_item_stays_until_its_cover_rises_clearly_above_the_line() -> None:
    # soonDays 3: in at <= 3 days, out only above 4 (a day more: a quarter of 3 is less).
    wobble = [(OK, cover(3)), (OK, cover(3.6)), (OK, cover(2.8)), (OK, cover(4)), (OK, cover(2.9))]
    assert walk(wobble) == [True, False, False, False, False]
    assert walk([(OK, cover(3)), (OK, cover(4.1)), (OK, cover(3))]) == [True, False, True]


def test_an_item_not_yet_soon_enters_only_at_soon_days() -> None:
    assert walk([(OK, cover(3.5)), (OK, cover(3.1)), (OK, cover(3.0))]) == [False, False, True]


@pytest.mark.parametrize(("soon_days", "leave"), [(3, 4), (1, 2), (4, 5), (8, 10), (20, 25)])
def test_the_margin_is_a_day_or_a_quarter_of_soon_days_whichever_is_more(soon_days: float, leave: float) -> None:
    assert leave_days(soon_days) == leave
