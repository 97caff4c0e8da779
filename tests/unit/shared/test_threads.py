"""``inventory.threads.each_on_threads``: independent calls a few threads at once, results in order."""

from __future__ import annotations

import threading
import time

import pytest
from inventory.threads import each_on_threads

pytestmark = pytest.mark.unit


def test_every_piece_is_done_once_and_the_results_come_in_the_order_given() -> None:
    done: list[int] = []
    lock = threading.Lock()

    def square(piece: int) -> int:
        with lock:
            done.append(piece)
        return piece * piece

    assert each_on_threads(square, list(range(100)), 8) == [piece * piece for piece in range(100)]
    assert sorted(done) == list(range(100))


def test_at_most_the_threads_asked_for_run_at_once_and_they_do_run_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def call(_: int) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)  # a call's wait on the network
        with lock:
            running -= 1

    started = time.perf_counter()
    each_on_threads(call, list(range(32)), 8)
    assert most == 8
    assert time.perf_counter() - started < 0.01 * 32 / 2  # not one after the other


def test_every_piece_is_tried_and_the_first_failure_in_order_is_raised() -> None:
    tried: list[int] = []

    def call(piece: int) -> int:
        tried.append(piece)
        if piece in (3, 7):
            raise ValueError(f"piece {piece}")
        return piece

    with pytest.raises(ValueError, match="piece 3"):
        each_on_threads(call, list(range(10)), 4)
    assert sorted(tried) == list(range(10))


@pytest.mark.parametrize("threads", [0, 1])
def test_one_thread_or_fewer_calls_in_the_callers_thread(threads: int) -> None:
    assert each_on_threads(lambda _: threading.current_thread(), [1, 2], threads) == [threading.main_thread()] * 2
