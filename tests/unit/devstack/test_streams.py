"""The local DynamoDB stream -> Lambda mapping delivers batches as Lambda does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from devstack.lambdas import FunctionError
from devstack.streams import StreamMapping, StreamPoller, stream_mappings
from tests.builders import count_change

pytestmark = pytest.mark.unit


@dataclass
class FakeFunction:
    name: str = "alerts"
    key: str = "alertsStream"


@dataclass
class FakeRuntime:
    """A function that answers each invocation from a script: a response dict or an exception."""

    script: list[Any] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)
    function: FakeFunction = field(default_factory=FakeFunction)

    def invoke(self, event: dict[str, Any]) -> Any:
        self.batches.append([record["dynamodb"]["SequenceNumber"] for record in event["Records"]])
        answer = self.script.pop(0) if self.script else {"batchItemFailures": []}
        if isinstance(answer, Exception):
            raise answer
        return answer


def mapping(**overrides: Any) -> StreamMapping:
    values: dict[str, Any] = {
        "stream_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1",
        "batch_size": 100,
        "starting_position": "TRIM_HORIZON",
        "report_item_failures": True,
        "max_retries": 3,
        "filter_patterns": (),
    }
    return StreamMapping(**{**values, **overrides})


def records(count: int) -> list[dict[str, Any]]:
    return [count_change("Berlin", f"Item {n}", None, n, sequence=str(100 + n)) for n in range(count)]


def poller(runtime: FakeRuntime, **overrides: Any) -> StreamPoller:
    feeder = StreamPoller(streams=None, runtime=runtime, mapping=mapping(**overrides), region="us-east-1")  # type: ignore[arg-type]
    feeder.retry_delay_s = 0
    return feeder


def failure(sequence: str) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": sequence}]}


def test_batches_hold_at_most_batch_size_records_in_stream_order() -> None:
    runtime = FakeRuntime()
    feeder = poller(runtime, batch_size=2)
    pending = records(5)
    while pending:
        pending = feeder._deliver(pending)
    assert runtime.batches == [["100", "101"], ["102", "103"], ["104"]]


def test_a_reported_item_failure_is_retried_from_that_record_on() -> None:
    # Given a function that reports the third record of its first batch as failed
    runtime = FakeRuntime(script=[failure("102")])
    # When a batch of five is delivered
    rest = poller(runtime)._deliver(records(5))
    # Then the retry starts at the failed record; the two before it are never re-sent
    assert runtime.batches == [["100", "101", "102", "103", "104"], ["102", "103", "104"]]
    assert rest == []


def test_the_first_failed_record_is_the_checkpoint_when_several_fail() -> None:
    runtime = FakeRuntime(script=[{"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "101"}]}])
    poller(runtime)._deliver(records(5))
    assert runtime.batches[1] == ["101", "102", "103", "104"]


def test_a_failed_invocation_retries_the_whole_batch() -> None:
    runtime = FakeRuntime(script=[FunctionError("alerts", {"errorType": "Boom", "errorMessage": "x"})])
    poller(runtime)._deliver(records(3))
    assert runtime.batches == [["100", "101", "102"], ["100", "101", "102"]]


def test_a_batch_that_keeps_failing_is_dropped_after_its_retries_and_the_rest_flows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime = FakeRuntime(script=[failure("100")] * 10)
    feeder = poller(runtime, batch_size=2, max_retries=2)
    rest = feeder._deliver(records(3))
    assert runtime.batches == [["100", "101"]] * 3  # the first try and two retries
    assert [record["dynamodb"]["SequenceNumber"] for record in rest] == ["102"]
    assert "dropping 2 stream record(s)" in capsys.readouterr().out


def test_without_report_batch_item_failures_a_response_is_success() -> None:
    runtime = FakeRuntime(script=[failure("100")])
    poller(runtime, report_item_failures=False)._deliver(records(2))
    assert runtime.batches == [["100", "101"]]


def test_stream_mappings_read_the_serverless_stream_event() -> None:
    events = [
        {"httpApi": {"method": "GET", "path": "/"}},
        {
            "stream": {
                "type": "dynamodb",
                "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1",
                "batchSize": 500,
                "batchWindow": 10,
                "startingPosition": "TRIM_HORIZON",
                "functionResponseType": "ReportBatchItemFailures",
                "maximumRetryAttempts": 5,
                "filterPatterns": [{"eventName": ["INSERT", "MODIFY"]}],
            }
        },
        {"stream": {"arn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2", "enabled": False}},
    ]
    (found,) = stream_mappings(events)
    assert found.batch_size == 500
    assert found.batch_window == 10
    assert found.report_item_failures
    assert found.max_retries == 5
    assert found.filter_patterns == ({"eventName": ["INSERT", "MODIFY"]},)
