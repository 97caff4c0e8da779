"""DynamoDB stream -> Lambda event source mappings, locally.

For each function with a ``stream`` event, a poller reads the table's stream and invokes the function with
Lambda-shaped batches: at most ``batchSize`` records, dropped when they match none of the ``filterPatterns``
(EventBridge patterns, matched by moto's implementation), and with ``functionResponseType:
ReportBatchItemFailures`` the batch is retried from the first failed record (the checkpoint Lambda keeps).
A batch that keeps failing is retried ``maximumRetryAttempts`` times (Lambda retries until the records
expire; locally a default of 3 keeps a broken handler from looping forever).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.events.models import EventPattern

from devstack.emulator import say
from devstack.lambdas import FunctionError, FunctionPool, Functions

LOCAL_DEFAULT_RETRIES = 3
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class StreamMapping:
    stream_arn: str
    batch_size: int
    starting_position: str
    report_item_failures: bool
    max_retries: int
    filter_patterns: tuple[dict[str, Any], ...]
    batch_window: float = 0.0  # seconds to gather records before invoking (MaximumBatchingWindowInSeconds)

    def matches(self, record: dict[str, Any]) -> bool:
        """Lambda's filter criteria: no patterns, or one that matches (moto's EventBridge pattern matching)."""
        patterns = self.filter_patterns
        return not patterns or any(EventPattern(None, pattern).matches_event(record) for pattern in patterns)  # type: ignore[arg-type]


def stream_mappings(events: list[dict[str, Any]]) -> list[StreamMapping]:
    """The DynamoDB stream event source mappings a function's ``events`` declare."""
    mappings = []
    for event in events:
        spec = event.get("stream")
        if spec is None:
            continue
        if isinstance(spec, str):
            spec = {"arn": spec, "type": "dynamodb"}
        if spec.get("enabled") is False or ":dynamodb:" not in str(spec.get("arn", "")):
            continue
        retries = spec.get("maximumRetryAttempts")
        mappings.append(
            StreamMapping(
                stream_arn=str(spec["arn"]),
                batch_size=int(spec.get("batchSize") or 100),
                starting_position=str(spec.get("startingPosition") or "TRIM_HORIZON"),
                report_item_failures=spec.get("functionResponseType") == "ReportBatchItemFailures",
                max_retries=LOCAL_DEFAULT_RETRIES if retries in (None, -1) else int(retries),
                filter_patterns=tuple(
                    json.loads(p) if isinstance(p, str) else p for p in spec.get("filterPatterns") or []
                ),
                batch_window=float(spec.get("batchWindow") or 0),
            )
        )
    return mappings


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A stream record from GetRecords in the form Lambda delivers it."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return _json_ready(
        {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": dynamodb,
            "eventSourceARN": stream_arn,
        }
    )


def _json_ready(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, set):
        return [_json_ready(item) for item in sorted(value)]
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


class StreamPoller:
    """Feeds one function from one stream, one batch at a time, in order."""

    #: First retry delay; it doubles with each retry of the same batch (at most 5 s).
    retry_delay_s = 0.25

    def __init__(self, streams: Any, runtime: FunctionPool, mapping: StreamMapping, region: str) -> None:
        self._streams = streams
        self._runtime = runtime
        self._mapping = mapping
        self._region = region
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{runtime.function.key}", daemon=True)
        self._busy = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    def _run(self) -> None:
        try:
            iterators = self._open_shards()
        except Exception as error:
            say(f"cannot read stream {self._mapping.stream_arn}: {error}")
            return
        pending: list[dict[str, Any]] = []
        while not self._stop.is_set():
            try:
                if not pending:
                    pending = self._read(iterators)
                if not pending:
                    self._busy.clear()
                    self._stop.wait(POLL_SECONDS)
                    continue
                self._busy.set()
                pending += self._gather(iterators, len(pending))
                pending = self._deliver(pending)
            except Exception as error:
                if not self._stop.is_set():
                    say(f"stream poller for {self._runtime.function.name}: {error}")
                    self._stop.wait(1)

    def _open_shards(self) -> dict[str, str]:
        description = self._streams.describe_stream(StreamArn=self._mapping.stream_arn)["StreamDescription"]
        position = "LATEST" if self._mapping.starting_position == "LATEST" else "TRIM_HORIZON"
        return {
            shard["ShardId"]: self._streams.get_shard_iterator(
                StreamArn=self._mapping.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=position
            )["ShardIterator"]
            for shard in description["Shards"]
        }

    def _read(self, iterators: dict[str, str]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard, iterator in list(iterators.items()):
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            iterators[shard] = response.get("NextShardIterator") or iterator
            records += [lambda_record(r, self._mapping.stream_arn, self._region) for r in response["Records"]]
        return [record for record in records if self._mapping.matches(record)]

    def _gather(self, iterators: dict[str, str], have: int) -> list[dict[str, Any]]:
        """Like Lambda's batching window: keep reading until the batch is full or the window has passed."""
        more: list[dict[str, Any]] = []
        deadline = time.monotonic() + self._mapping.batch_window
        while have + len(more) < self._mapping.batch_size and time.monotonic() < deadline:
            if self._stop.wait(min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))):
                break
            more += self._read(iterators)
        return more

    def _deliver(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Invoke with the next batch until it succeeds or its retries run out; returns what remains."""
        batch = pending[: self._mapping.batch_size]
        rest = pending[self._mapping.batch_size :]
        failures = 0
        while batch and not self._stop.is_set():
            try:
                response = self._runtime.invoke({"Records": batch})
                retry_from = self._first_failure(batch, response)
            except FunctionError as error:
                say(f"{self._runtime.function.name} failed on a batch of {len(batch)}: {error}")
                retry_from = 0
            if retry_from is None:
                return rest
            failures += 1
            if failures > self._mapping.max_retries:
                say(
                    f"{self._runtime.function.name}: dropping {len(batch) - retry_from} stream record(s) "
                    f"after {self._mapping.max_retries} retries"
                )
                return rest
            batch = batch[retry_from:]
            self._stop.wait(min(5.0, self.retry_delay_s * 2**failures))
        return rest

    def _first_failure(self, batch: list[dict[str, Any]], response: Any) -> int | None:
        """Index to retry from (the first failed record), or None if the batch succeeded."""
        if not self._mapping.report_item_failures or not isinstance(response, dict):
            return None
        failed = {
            str(item.get("itemIdentifier"))
            for item in response.get("batchItemFailures") or []
            if isinstance(item, dict)
        }
        if not failed:
            return None
        for index, record in enumerate(batch):
            if record["dynamodb"].get("SequenceNumber") in failed:
                return index
        # An identifier that names no record of the batch: Lambda treats the whole batch as failed.
        return 0


class StreamPollers:
    def __init__(self, streams: Any, functions: Functions, region: str) -> None:
        self.pollers: list[StreamPoller] = []
        for runtime in functions.runtimes:
            for mapping in stream_mappings(runtime.function.events):
                self.pollers.append(StreamPoller(streams, runtime, mapping, region))

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(poller.busy for poller in self.pollers):
                return True
            time.sleep(POLL_SECONDS)
        return False
