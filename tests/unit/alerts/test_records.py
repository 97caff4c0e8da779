"""Reading stream records: what counts as a change, what is malformed; attribute values read as
Powertools' (and boto3's) deserializers read them."""

from __future__ import annotations

from typing import Any

import pytest
from alerts.models.change import Level, StockChange, StreamChangeRecord, attribute_values
from alerts.models.errors import MalformedRecord
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import StreamRecord

from tests.builders import count_change, inventory_image, stream_record

pytestmark = pytest.mark.unit


def read(record: dict[str, Any]) -> StockChange | None:
    """The record as the batch reads it."""
    return StreamChangeRecord(record).change()


def test_a_modify_carries_both_levels_their_times_and_the_sequence_number():
    record = count_change("Berlin", "Echo Dot", 12, 4, old_threshold=3, new_threshold=6, sequence="42")
    assert read(record) == StockChange(
        store="Berlin",
        item="Echo Dot",
        old=Level(12, 3),
        new=Level(4, 6),
        time="2026-11-22T03:00:00.000Z",
        sequence="42",
        event_id="event-42",
        old_at="2026-11-15T03:00:00.000Z",  # when the old count was set: where a forecast can start
    )


def test_an_old_image_without_a_readable_updated_at_has_no_old_time():
    record = count_change("Berlin", "Echo Dot", 12, 4)
    record["dynamodb"]["OldImage"]["UpdatedAt"] = {"S": "last tuesday"}
    change = read(record)
    assert change is not None
    assert (change.old, change.old_at) == (Level(12, None), None)


def test_an_insert_is_a_new_item_without_an_old_level():
    change = read(count_change("Berlin", "Echo Plus", None, 0))
    assert change is not None
    assert change.old is None
    assert change.old_known
    assert change.count_changed


def test_a_removal_is_not_a_stock_change():
    assert read(stream_record(None, inventory_image("Berlin", "Echo", 3))) is None


def test_without_updated_at_the_stream_time_in_whole_seconds_is_the_change_time():
    image = inventory_image("Berlin", "Echo", 3)
    del image["UpdatedAt"]
    change = read(stream_record(image, created=1795316400))
    assert change is not None
    assert change.time == "2026-11-22T03:00:00.000Z"


def test_an_updated_at_left_unchanged_by_the_writer_gives_way_to_the_stream_time():
    record = count_change("Berlin", "Echo", 9, 3)
    record["dynamodb"]["NewImage"]["UpdatedAt"] = {"S": "2026-11-22T01:00:00.000Z"}
    record["dynamodb"]["OldImage"]["UpdatedAt"] = {"S": "2026-11-22T01:00:00.000Z"}
    record["dynamodb"]["ApproximateCreationDateTime"] = 1795316405
    change = read(record)
    assert change is not None
    assert change.time == "2026-11-22T03:00:05.000Z"


def test_store_and_item_come_from_the_records_keys():
    record = count_change("Berlin", "Echo Dot", 12, 4)
    del record["dynamodb"]["NewImage"]["Store"]
    change = read(record)
    assert change is not None
    assert (change.store, change.item) == ("Berlin", "Echo Dot")


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
        ({"NewImage__Count": {"N": "abc"}}, "NewImage cannot be read: InvalidOperation"),
        ({"NewImage__Count": {"N": "1.5"}}, "NewImage Count is not a whole number of 0 or more: '1.5'"),
        ({"NewImage__Count": {"N": "-1"}}, "NewImage Count is not a whole number of 0 or more: '-1'"),
        ({"NewImage__Count": {"S": "4"}}, "NewImage Count is not a whole number of 0 or more: '4'"),
        ({"NewImage__Count": None}, "NewImage has no Count"),
        ({"NewImage__Threshold": {"N": "high"}}, "NewImage cannot be read"),
        ({"NewImage__Threshold": {"BOOL": True}}, "NewImage Threshold is not a whole number"),
        ({"NewImage__Extra": {"XX": "?"}}, "NewImage cannot be read: TypeError"),
        ({"dynamodb__Keys": {}}, "Keys have no text Store and Item"),
        ({"dynamodb__SequenceNumber": None}, "no SequenceNumber"),
        ({"NewImage__UpdatedAt": {"S": "yesterday"}, "dynamodb__ApproximateCreationDateTime": None}, "neither"),
    ],
)
def test_a_record_whose_new_state_cannot_be_read_is_malformed_with_its_reason(edits: dict[str, Any], reason: str):
    with pytest.raises(MalformedRecord, match=reason.replace(".", r"\.").replace("(", r"\(")):
        read(_broken(**edits))


@pytest.mark.parametrize(
    ("edits", "reason"),
    [
        ({"dynamodb__OldImage": None}, "MODIFY without OldImage"),
        ({"OldImage__Count": {"N": "x"}}, "OldImage cannot be read"),
        ({"OldImage__Count": {"S": "12"}}, "OldImage Count is not a whole number"),
        ({"OldImage__Threshold": {"N": "-2"}}, "OldImage Threshold is not a whole number"),
    ],
)
def test_an_unreadable_old_image_is_an_unknown_previous_state_not_an_error(edits: dict[str, Any], reason: str):
    change = read(_broken(**edits))
    assert change is not None
    assert change.old is None
    assert not change.old_known
    assert reason in change.old_problem
    assert change.new == Level(4, None)


def test_an_unknown_event_name_is_malformed():
    with pytest.raises(MalformedRecord, match="unknown eventName"):
        read(stream_record(inventory_image("B", "I", 1), event_name="TRUNCATE"))


def _outcome(read_image: Any, image: dict[str, Any]) -> Any:
    try:
        return read_image(image)
    except Exception as error:  # what failed, and how, is the outcome compared
        return type(error), str(error)


@pytest.mark.parametrize(
    "value",
    [
        {"S": None},
        {"N": None},
        {"N": ""},
        {"N": "."},
        {"N": "abc"},
        {"N": "1e400"},
        {"N": "1" + "0" * 45},
        {"N": "1" * 40},
        {"s": "x"},
        {"S": "x", "N": "1"},
        ["S", "x"],
        {},
        {"XX": "?"},
        {"SS": ["a"]},
        {"NS": ["1", "2.50"]},
        {"BS": ["AAE="]},
        {"B": "AAE="},
        {"NULL": True},
        {"BOOL": False},
        {"L": [{"N": "1"}, {"S": "a"}]},
        {"M": {"a": {"N": "2"}, "b": {"L": []}}},
    ],
)
def test_any_attribute_value_reads_as_powertools_reads_it(value: Any) -> None:
    image = count_change("Berlin", "Echo Dot", 12, 4)["dynamodb"]["NewImage"] | {"Extra": value}

    ours = _outcome(attribute_values, image)

    assert ours == _outcome(lambda raw: StreamRecord({"NewImage": raw}).new_image, image)


def test_a_record_is_read_once_however_often_its_change_is_asked() -> None:
    raw = count_change("Berlin", "Echo Dot", 12, 4)
    record = StreamChangeRecord(raw)
    first = record.change()
    raw["dynamodb"]["NewImage"]["Count"] = {"N": "99"}  # the change as first read is kept

    assert record.change() is first
    assert StockChange.read(record) != first  # read afresh, it sees the edit
