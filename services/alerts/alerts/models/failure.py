"""Stream records that failed every retry: Lambda's pointer to them, and the saved records.

For a DynamoDB stream, Lambda's on-failure destination receives only where the records are,
in this documented form (other fields omitted)::

    {"requestContext": {"condition": "RetryAttemptsExhausted", ...},
     "timestamp": "2026-11-22T03:25:13.120Z",
     "DDBStreamBatchInfo": {"shardId": "shardId-...", "startSequenceNumber": "...",
                            "endSequenceNumber": "...", "batchSize": 2, "streamArn": "arn:...:stream/..."}}

The stream keeps records 24 hours, so the archiver reads them at once and saves their bodies.
Only the fields used here are required: a message without ``responseContext`` (a record that
aged out before an invocation) is still read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Stream sequence numbers are 21 to 40 digits; padded, they sort as text in stream order.
SEQUENCE_DIGITS = 40


class UnreadableFailure(ValueError):
    """A failure-queue message that is not Lambda's stream failure record; the message says why."""


@dataclass(frozen=True, slots=True)
class FailedBatch:
    """Where the records of a batch that finally failed are: one shard, a sequence number range."""

    stream_arn: str
    shard_id: str
    start_sequence: str
    end_sequence: str
    condition: str = ""
    failed_at: str = ""
    batch_size: int = 0

    @classmethod
    def from_message(cls, body: str | Mapping[str, Any]) -> FailedBatch:
        """Read the on-failure record; raises :class:`UnreadableFailure`."""
        try:
            message = json.loads(body) if isinstance(body, str) else body
        except ValueError as error:
            raise UnreadableFailure(f"not JSON: {error}") from error
        info = message.get("DDBStreamBatchInfo") if isinstance(message, Mapping) else None
        if not isinstance(info, Mapping):
            raise UnreadableFailure("no DDBStreamBatchInfo: not a DynamoDB stream failure record")
        fields = {}
        for name in ("streamArn", "shardId", "startSequenceNumber", "endSequenceNumber"):
            value = info.get(name)
            if not isinstance(value, str) or not value:
                raise UnreadableFailure(f"DDBStreamBatchInfo has no {name}")
            fields[name] = value
        for name in ("startSequenceNumber", "endSequenceNumber"):
            if not fields[name].isdigit():
                raise UnreadableFailure(f"DDBStreamBatchInfo {name} is not a sequence number")
        context = message.get("requestContext")
        size = info.get("batchSize")
        return cls(
            stream_arn=fields["streamArn"],
            shard_id=fields["shardId"],
            start_sequence=fields["startSequenceNumber"],
            end_sequence=fields["endSequenceNumber"],
            condition=str(context.get("condition", "")) if isinstance(context, Mapping) else "",
            failed_at=str(message.get("timestamp", "")),
            batch_size=size if isinstance(size, int) else 0,
        )

    def holds(self, sequence: str) -> bool:
        """Whether a record's sequence number lies in this batch's range."""
        return int(self.start_sequence) <= int(sequence) <= int(self.end_sequence)

    def is_past(self, sequence: str) -> bool:
        return int(sequence) > int(self.end_sequence)


def sequence_key(sequence: str) -> str:
    """A sequence number padded to sort as text in stream order."""
    return sequence.zfill(SEQUENCE_DIGITS)


@dataclass(frozen=True, slots=True)
class ArchivedRecord:
    """A failed stream record saved with its body (Lambda's record shape), until it is replayed."""

    store: str
    sequence: str
    record: dict[str, Any]
    archived_at: str
    failure: str = ""  # why Lambda gave up (its condition), for the operator
    replayed_at: str | None = None
