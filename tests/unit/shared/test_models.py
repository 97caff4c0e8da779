"""Stock status and upload ordering: the rules alerts and the dashboard depend on."""

from __future__ import annotations

import pytest
from inventory.models import InvalidValue, SourceVersion, StockStatus, clean_store, comparable_sequencer, stock_status

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("count", "threshold", "expected"),
    [
        (0, None, StockStatus.OUT),
        (0, 0, StockStatus.OUT),
        (5, None, StockStatus.LOW),  # at the default threshold
        (6, None, StockStatus.OK),
        (3, 2, StockStatus.OK),  # the item's own threshold overrides the default
        (2, 2, StockStatus.LOW),
        (1, 0, StockStatus.OK),  # threshold 0: never low, only out
    ],
)
def test_stock_status(count: int, threshold: int | None, expected: StockStatus) -> None:
    assert stock_status(count, threshold, default_threshold=5) is expected


def test_uploads_order_by_time_then_key_then_sequencer_of_the_same_key() -> None:
    early, late = SourceVersion("2026-01-01T00:00:00.000Z", "b"), SourceVersion("2026-01-01T00:00:00.001Z", "a")
    first, second = SourceVersion("t", "k", "00A"), SourceVersion("t", "k", "00B")

    assert early.order(late) == -1
    assert late.order(early) == 1
    assert first.order(second) == -1
    assert first.order(first) == 0


@pytest.mark.parametrize("name", ["*", " * ", "*\t"])
def test_head_office_is_never_a_store_name(name: str) -> None:
    with pytest.raises(InvalidValue, match="reserved: head office is a role"):
        clean_store(name)


@pytest.mark.parametrize("name", ["Berlin", "**", "*Outlet", "Shop *", "\uff0a"])  # U+FF0A: another name
def test_names_that_merely_contain_a_star_are_stores(name: str) -> None:
    assert clean_store(name) == name


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("00A1F", "00A2"),  # different lengths: right-padded with zeros, 00A20 > 00A1F
        ("00b0F", "00C0"),  # hexadecimal digits in any case: B < C, though "b" > "C" as text
    ],
)
def test_sequencers_compare_as_s3_says_right_padded_with_zeros(earlier: str, later: str) -> None:
    assert SourceVersion("t", "k", earlier).order(SourceVersion("t", "k", later)) == -1
    assert comparable_sequencer(earlier) < comparable_sequencer(later)  # the stored form compares as text


def test_sequencers_equal_once_padded_are_one_event() -> None:
    assert SourceVersion("t", "k", "00A1").order(SourceVersion("t", "k", "00a100")) == 0
    assert comparable_sequencer("") == ""
