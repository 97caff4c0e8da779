"""Reading stream records: what counts as a change, and what is malformed (with the reason)."""

from __future__ import annotations

from typing import Any

import pytest
from alerts.models.change import Level, StockChange
from alerts.models.errors import MalformedRecord

from tests.builders import count_change, inventory_image, stream_record

pytestmark = pytest.mark.unit


def test_a_modify_carries_both_levels_the_change_time_and_the_sequence_number():
    record = count_change("Berlin", "Echo Dot", 12, 4, old_threshold=3, new_threshold=6, sequence="42")
    change = StockChange.from_stream_record(record)
    assert change == StockChange(
        store="Berlin",
        item="Echo Dot",
        old=Level(12, 3),
        new=Level(4, 6),
        time="2026-11-22T03:00:00.000Z",
        sequence="42",
        event_id="event-42",
    )


def test_an_insert_is_a_new_item_without_an_old_level():
    change = StockChange.from_stream_record(count_change("Berlin", "Echo Plus", None, 0))
    assert change is not None
    assert change.old is None
    assert change.count_changed


def test_a_removal_is_not_a_stock_change():
    assert StockChange.from_stream_record(stream_record(None, inventory_image("Berlin", "Echo", 3))) is None


def test_without_updated_at_the_stream_time_is_the_change_time():
    image = inventory_image("Berlin", "Echo", 3)
    del image["UpdatedAt"]
    change = StockChange.from_stream_record(stream_record(image, created=1795316400.5))
    assert change is not None
    assert change.time == "2026-11-22T03:00:00.500Z"


def test_an_updated_at_left_unchanged_by_the_writer_gives_way_to_the_stream_time():
    record = count_change("Berlin", "Echo", 9, 3)
    record["dynamodb"]["NewImage"]["UpdatedAt"] = record["dynamodb"]["OldImage"]["UpdatedAt"]
    change = StockChange.from_stream_record(record)
    assert change is not None
    assert change.time == "2026-11-22T03:00:00.000Z"  # the builder's ApproximateCreationDateTime


def _broken(**edits: Any) -> dict[str, Any]:
    record = count_change("Berlin", "Echo Dot", 12, 4)
    for path, value in edits.items():
        section, _, name = path.partition("__")
        target = record["dynamodb"] if section == "dynamodb" else record["dynamodb"][section]
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return record


@pytest.mark.parametrize(
    ("edits", "reason"),
    [
        ({"dynamodb__NewImage": None}, "MODIFY without NewImage"),
        ({"dynamodb__OldImage": None}, "MODIFY without OldImage"),
        ({"NewImage__Count": {"N": "abc"}}, "NewImage Count is not a whole number of 0 or more: 'abc'"),
        ({"NewImage__Count": {"N": "1.5"}}, "NewImage Count is not a whole number"),
        ({"NewImage__Count": {"N": "-1"}}, "NewImage Count is not a whole number"),
        ({"NewImage__Count": {"S": "4"}}, "NewImage Count is not a whole number"),
        ({"NewImage__Count": None}, "NewImage has no Count"),
        ({"OldImage__Count": {"N": "x"}}, "OldImage Count is not a whole number"),
        ({"NewImage__Threshold": {"N": "high"}}, "NewImage Threshold is not a whole number"),
        ({"NewImage__Store": None}, "NewImage has no text Store"),
        ({"dynamodb__SequenceNumber": None}, "no SequenceNumber"),
        ({"NewImage__UpdatedAt": {"S": "yesterday"}, "dynamodb__ApproximateCreationDateTime": None}, "neither"),
    ],
)
def test_a_malformed_record_is_refused_with_its_reason(edits: dict[str, Any], reason: str):
    with pytest.raises(MalformedRecord, match=reason.replace(".", r"\.").replace("(", r"\(")):
        StockChange.from_stream_record(_broken(**edits))


def test_an_unknown_event_name_is_malformed():
    with pytest.raises(MalformedRecord, match="unknown eventName"):
        StockChange.from_stream_record(stream_record(inventory_image("B", "I", 1), event_name="TRUNCATE"))
