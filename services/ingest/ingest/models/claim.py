"""Ingest's own part of an upload's index row: who holds the upload, and where its load stands.

The uploads index row (``inventory.uploads.UploadEntry``) of an object version doubles as the
claim on that version: one invocation at a time holds a lease on it, renewed at every checkpoint,
and the checkpoint (the parser's position, the tallies and errors so far) lets the next
invocation carry on where the last one stopped, whether it handed over on purpose (a big file)
or died (a timeout, a crash). The dashboard API never reads these attributes.
"""

from __future__ import annotations

import enum
import json
import zlib
from dataclasses import dataclass
from typing import Any

from inventory.report import UploadReport

#: A checkpoint is kept well inside DynamoDB's 400 KB item limit (the row's summary takes some).
MAX_CHECKPOINT_BYTES = 300_000


@dataclass(frozen=True, slots=True)
class Source:
    """The upload a claim is for, as its first event named it; continuations read it from the row."""

    bucket: str
    key: str
    version: str
    version_id: str
    sequencer: str
    event_time: str
    principal: str
    scope: str  # a store name, or inventory.uploads.HEAD_OFFICE
    report_key: str

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Source:
        return cls(**{name: str(value.get(name, "")) for name in cls.__slots__})


@dataclass(slots=True)
class Checkpoint:
    """Where a load stands: every row before ``position`` has landed and is in ``report``.

    ``position`` is the parser's own description of the point to resume from (``None``: the
    start of the file); ``report`` is the upload's report as it stood there (``None``: nothing
    done yet). ``done`` means every row has been loaded and only the report remains to be
    written (the report write failed, say).
    """

    position: dict[str, Any] | None = None
    done: bool = False
    part: int = 1
    report: UploadReport | None = None
    #: Set once the upload is final: its status and end, so the report can be written again from here.
    status: str = ""
    finished_at: str = ""
    #: ``plan`` while the rows before ``position`` were only planned (a dry run, ``ingest.logic.guard``).
    phase: str = ""
    #: The dry run's tally (``PlanTally.to_json``), once the file has one.
    plan: dict[str, Any] | None = None

    def to_bytes(self) -> bytes:
        """Compressed JSON; the report's errors and then its stores are cut (never the tallies) if it would be
        too big."""
        report = self.report.to_json() if self.report else None
        value = {
            "position": self.position,
            "done": self.done,
            "part": self.part,
            "report": report,
            "status": self.status,
            "finished_at": self.finished_at,
            "phase": self.phase,
            "plan": self.plan,
        }
        while True:
            body = zlib.compress(json.dumps(value, ensure_ascii=False).encode())
            if len(body) <= MAX_CHECKPOINT_BYTES or not report or not (report["errors"] or report["stores"]):
                return body
            if report["errors"]:  # rejected rows stay counted; only fewer of them are listed
                report["errors"], report["errors_truncated"] = report["errors"][: len(report["errors"]) // 2], True
            else:
                report["stores"], report["stores_truncated"] = report["stores"][: len(report["stores"]) // 2], True

    @classmethod
    def from_bytes(cls, body: bytes) -> Checkpoint:
        value = json.loads(zlib.decompress(body))
        report = value["report"] if "report" in value else _report_of_old_checkpoint(value)
        return cls(
            position=value.get("position"),
            done=bool(value.get("done")),
            part=int(value.get("part", 1)),
            report=UploadReport.from_json(report) if report else None,
            status=str(value.get("status") or ""),
            finished_at=str(value.get("finished_at") or ""),
            phase=str(value.get("phase") or ""),
            plan=value.get("plan"),
        )


def _report_of_old_checkpoint(value: dict[str, Any]) -> dict[str, Any]:
    """The report, as far as a checkpoint written before checkpoints held the whole report tells it (the
    source's bucket and key, the store and the start come from the claim). Only an upload that was mid-load
    while that version was replaced has one; delete once none can."""
    errors = [{"line": int(line), "reason": str(reason)} for line, reason in value.get("errors", [])]
    rows = value.get("rows", {})
    return {
        "source": {"bucket": "", "key": "", "etag": value.get("etag", ""), "version_id": value.get("version_id", "")},
        "uploaded_by": value.get("uploaded_by"),
        "principal": value.get("principal"),
        "reason": value.get("reason"),
        "rows": rows,
        "errors": errors,
        "errors_truncated": rows.get("rejected", 0) > len(errors),
        "stores": sorted(value.get("stores", [])),
        "stores_truncated": bool(value.get("stores_truncated")),
    }


class ClaimState(enum.Enum):
    CLAIMED = "claimed"  # this invocation holds the upload now (to load it, or to write its final report)
    FINAL = "final"  # the upload has its final report: nothing to do
    HELD = "held"  # another invocation holds an unexpired lease
    UNKNOWN = "unknown"  # a continuation for an upload the index has no row of


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of trying to claim an upload.

    ``attempt`` counts Lambda's tries of the invocation that claimed it (retries of one
    asynchronous invocation keep its request id), so the loader knows whether Lambda will try
    again after a passing failure.
    """

    state: ClaimState
    source: Source
    owner: str = ""
    attempt: int = 1
    lease_until: float = 0.0  # epoch seconds
    started_at: str = ""
    status: str = ""  # the row's status (for FINAL and HELD)
    checkpoint: Checkpoint | None = None
    #: A person's decision on a held upload (``confirm`` or ``discard``), by whom, and the held report's content.
    decision: str = ""
    decided_by: str = ""
    held: Checkpoint | None = None


@dataclass(frozen=True, slots=True)
class Fence:
    """What a write for an upload checks so that it lands only while its invocation holds the upload:
    the index row (``table``, ``key``) still names ``owner``, the token its claim wrote."""

    table: str
    key: dict[str, Any]
    owner: str
