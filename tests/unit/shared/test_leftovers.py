"""What a successful call leaves undone is sent again with one backoff, within attempts or a deadline."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from inventory.leftovers import Backoff, until_done

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def backoff(clock: Clock, rand: float = 1.0) -> Backoff:
    return Backoff(sleep=clock.sleep, monotonic=lambda: clock.now, rand=lambda: rand)


def halving(sent: list[int]) -> Callable[[int], int | None]:
    """A call that does half of what it is given (at least one) and leaves the rest."""

    def step(request: int) -> int | None:
        sent.append(request)
        left = request // 2
        return left or None

    return step


def test_leftovers_are_sent_again_until_none_is_left() -> None:
    clock, sent = Clock(), []

    assert until_done(halving(sent), 8, backoff=backoff(clock)) is None
    assert sent == [8, 4, 2, 1]
    assert clock.slept == [0.05, 0.1, 0.2], "exponential from 50 ms"


def test_what_is_left_after_the_last_attempt_is_handed_back() -> None:
    clock, sent = Clock(), []

    assert until_done(halving(sent), 8, attempts=2, backoff=backoff(clock)) == 2
    assert sent == [8, 4]
    assert clock.slept == [0.05], "no wait after the last attempt"


def test_no_call_goes_out_past_the_deadline_and_no_wait_runs_past_it() -> None:
    clock, sent = Clock(), []

    assert until_done(halving(sent), 1024, deadline=0.3, backoff=backoff(clock)) is not None
    assert sent == [1024, 512, 256, 128]  # waits of 0.05, 0.1, then 0.15 (cut at the deadline)
    assert clock.now == pytest.approx(0.3)


def test_waits_are_jittered_and_capped() -> None:
    clock = Clock()
    jittered = backoff(clock, rand=0.5)

    for attempt in (0, 3, 10):
        jittered.wait(attempt)

    assert clock.slept == [0.025, 0.2, 1.0], "random() * min(2 s, 50 ms * 2**attempt)"
