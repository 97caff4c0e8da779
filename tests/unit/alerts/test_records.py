"""Reading stream records (as Powertools' DynamoDBRecord reads them): what counts as a change, what is malformed."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from alerts.models.change import Level, StockChange, StreamChangeRecord
from alerts.models.errors import MalformedRecord
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from tests.builders import count_change, inventory_image, stream_record

pytestmark = pytest.mark.unit


def _outcome(reader: type[DynamoDBRecord], record: dict[str, Any]) -> StockChange | MalformedRecord | None:
    try:
        return StockChange.from_record(reader(copy.deepcopy(record)))
    except MalformedRecord as error:
        return error


def read(record: dict[str, Any]) -> StockChange | None:
    """The record as the batch reads it (:class:`StreamChangeRecord`), which must be exactly what
    Powertools' own :class:`DynamoDBRecord` reads: the same change, or the same reason it is malformed."""
    ours, powertools = _outcome(StreamChangeRecord, record), _outcome(DynamoDBRecord, record)
    if isinstance(ours, MalformedRecord) or isinstance(powertools, MalformedRecord):
        assert str(ours) == str(powertools)
        assert isinstance(ours, MalformedRecord)
        raise ours
    assert ours == powertools
    return ours


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


@pytest.mark.parametrize(
    "value",
    [
        {"S": None},
        {"N": None},
        {"N": ""},
        {"N": "1e400"},
        {"s": "x"},
        {"S": "x", "N": "1"},
        ["S", "x"],
        {},
        {"SS": ["a"]},
    ],
)
def test_any_value_of_another_attribute_reads_as_powertools_reads_it(value: Any):
    record = count_change("Berlin", "Echo Dot", 12, 4)
    record["dynamodb"]["NewImage"]["Extra"] = value
    record["dynamodb"]["OldImage"]["Extra"] = value
    with contextlib.suppress(MalformedRecord):  # read() has compared the reasons
        read(record)


def test_each_image_is_deserialized_once_however_often_it_is_read():
    record = StreamChangeRecord(count_change("Berlin", "Echo Dot", 12, 4))
    first = StockChange.from_record(record)
    record["dynamodb"]["NewImage"]["Count"] = {"N": "99"}  # the images as first read are kept
    assert StockChange.from_record(record) == first
    assert record.dynamodb is record.dynamodb
