"""Which count changes raise which alert: every old/new combination, thresholds at the boundary."""

from __future__ import annotations

import pytest
from alerts.logic.transitions import transition
from alerts.models.change import Alert, Level

pytestmark = pytest.mark.unit

OUT, LOW, RESTOCKED = Alert.OUT, Alert.LOW, Alert.RESTOCKED

# With the default threshold 5: 0 is out, 1..5 low (5 is the boundary), 6 and above ok.
# old -> {new: expected alert}; None as old is a new item.
EXPECTED: dict[int | None, dict[int, Alert | None]] = {
    None: {0: OUT, 1: LOW, 5: LOW, 6: None, 100: None},
    0: {0: None, 1: RESTOCKED, 5: RESTOCKED, 6: RESTOCKED, 100: RESTOCKED},
    1: {0: OUT, 1: None, 5: None, 6: None, 100: None},
    5: {0: OUT, 1: None, 5: None, 6: None, 100: None},
    6: {0: OUT, 1: LOW, 5: LOW, 6: None, 100: None},
    100: {0: OUT, 1: LOW, 5: LOW, 6: None, 100: None},
}
CASES = [(old, new, alert) for old, row in EXPECTED.items() for new, alert in row.items()]


@pytest.mark.parametrize(("old", "new", "expected"), CASES, ids=[f"{o}->{n}" for o, n, _ in CASES])
def test_every_old_and_new_count_under_the_default_threshold(old: int | None, new: int, expected: Alert | None):
    before = None if old is None else Level(old, None)
    assert transition(before, Level(new, None), default_threshold=5) is expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (11, 10, LOW),  # falls onto the item's own threshold
        (11, 11, None),
        (10, 11, None),  # recovers from low: nobody has to act
        (10, 9, None),  # still low: announced once, when it crossed
        (11, 6, LOW),  # the item's threshold, not the default (5), decides
        (6, 0, OUT),
        (0, 10, RESTOCKED),  # back, though still low
        (0, 11, RESTOCKED),
    ],
)
def test_the_items_own_threshold_replaces_the_default(old: int, new: int, expected: Alert | None):
    assert transition(Level(old, 10), Level(new, 10), default_threshold=5) is expected


def test_a_threshold_of_zero_means_the_item_is_never_low():
    assert transition(Level(3, 0), Level(1, 0), default_threshold=5) is None
    assert transition(Level(1, 0), Level(0, 0), default_threshold=5) is OUT
    assert transition(None, Level(1, 0), default_threshold=5) is None


@pytest.mark.parametrize(
    ("default", "old", "new", "expected"),
    [(2, 3, 2, LOW), (2, 5, 3, None), (0, 1, 0, OUT), (0, 9, 1, None), (50, 51, 50, LOW), (50, 50, 49, None)],
)
def test_the_stage_default_threshold_is_a_boundary_too(default: int, old: int, new: int, expected: Alert | None):
    assert transition(Level(old, None), Level(new, None), default_threshold=default) is expected


def test_raising_an_items_threshold_above_its_count_makes_it_low():
    assert transition(Level(7, None), Level(7, 10), default_threshold=5) is LOW
    assert transition(Level(7, 10), Level(7, None), default_threshold=5) is None  # low -> ok


def test_severity_orders_out_above_low_above_restocked():
    assert OUT.rank > LOW.rank > RESTOCKED.rank
