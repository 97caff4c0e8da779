"""What the stream handler answers Lambda for a batch, in each case. The event source mapping reports
batch item failures (``functionResponseType: ReportBatchItemFailures``, checked on the template in
tests/deploy); AWS's "Configuring partial batch response with DynamoDB and Lambda" says what Lambda does
with the answer: an empty ``batchItemFailures`` list is a complete success, a list of sequence numbers
makes Lambda resend the batch from the lowest of them, and a failed invocation (bisecting on) is split
in two and each half retried."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alerts.handlers.stream import BatchFailed, process_stream_batch
from alerts.models.errors import PublishFailed

from tests.builders import LambdaContext, count_change, stream_event
from tests.fakes.alerts import FakeForecastTable
from tests.unit.alerts.conftest import AlertsWorld, counted

pytestmark = pytest.mark.unit


def answer(world: AlertsWorld, *records: dict[str, Any]) -> Any:
    """The handler's answer for a batch, as the JSON Lambda reads."""
    response = process_stream_batch(stream_event(*records), world.service(), LambdaContext())
    return json.loads(json.dumps(response))


def test_a_batch_without_failures_answers_an_empty_list_which_lambda_takes_as_a_complete_success(
    world: AlertsWorld,
):
    records = [count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Dot", 9, 4)]

    assert answer(world, *records) == {"batchItemFailures": []}
    assert counted("RecordsProcessed") == 2
    assert counted("RecordsFailed") == counted("RecordsLeftForRetry") == 0


def test_failed_records_are_named_by_their_sequence_numbers_in_batch_order_so_lambda_resends_from_the_first(
    world: AlertsWorld,
):
    first = count_change("Berlin", "Echo Plus", 3, 0)
    failing = count_change("Berlin", "Echo Dot", 9, 4)
    later = [count_change("Paris", "Tap", None, 0), count_change("Berlin", "Echo Show", 20, 18)]
    world.changes.rows_per_transaction = 1  # a transaction boundary between every two records
    world.changes.fail_changes = {("Echo Dot", 4)}

    assert answer(world, first, failing, *later) == {
        "batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]} for record in (failing, *later)]
    }
    assert counted("RecordsProcessed") == 1
    assert counted("RecordsFailed") == 1  # the cause
    assert counted("RecordsLeftForRetry") == 2  # the records behind it


def test_a_batch_whose_every_record_failed_fails_the_invocation_so_lambda_bisects_it(world: AlertsWorld):
    records = [count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Dot", 9, 4)]
    world.topic.fail_stores = {"Berlin"}

    with pytest.raises(BatchFailed) as raised:
        answer(world, *records)

    message = str(raised.value)
    assert message.startswith(f"all 2 records failed, from the first ({records[0]['dynamodb']['SequenceNumber']}): ")
    assert "PublishFailed: SNS publish for 'Berlin' failed" in message  # what Lambda logs as the error
    assert isinstance(raised.value.__cause__, PublishFailed)
    assert counted("RecordsFailed") == 2
    assert counted("RecordsProcessed") == 0


def test_an_unexpected_error_of_the_flow_fails_the_invocation_as_it_is(world: AlertsWorld):
    """Not a verdict on records: the error itself reaches Lambda (which retries the batch, bisecting it)."""

    class Broken(FakeForecastTable):
        def read(self, keys: Any) -> Any:
            raise KeyError("a bug in reading the Forecast rows")

    world.forecasts = Broken()

    with pytest.raises(KeyError, match="a bug in reading the Forecast rows"):
        answer(world, count_change("Berlin", "Echo Plus", 3, 0))
    assert world.changes.attempts == []
    assert counted("RecordsProcessed") == counted("RecordsFailed") == 0
