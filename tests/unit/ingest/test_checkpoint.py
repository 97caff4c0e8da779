"""A checkpoint carries the whole report so far: a field added to the report survives a hand-over by itself."""

from __future__ import annotations

import json
import random
import zlib

import pytest
from ingest.models.claim import MAX_CHECKPOINT_BYTES, Checkpoint
from inventory.models import RowError
from inventory.report import RowCounts, UploadReport, UploadSource

from tests.builders import every_field_set

pytestmark = pytest.mark.unit


def test_every_field_of_the_report_survives_a_checkpoint() -> None:
    report = every_field_set(UploadReport)
    checkpoint = Checkpoint(position={"offset": 10, "line": 3}, part=2, report=report)

    again = Checkpoint.from_bytes(checkpoint.to_bytes())

    assert again == checkpoint
    assert again.report == report


def test_a_checkpoint_too_big_for_the_row_lists_fewer_errors_and_says_so_but_keeps_every_count() -> None:
    # Reasons that hardly compress: the errors alone are bigger than a checkpoint may be
    noise = random.Random(7)
    reasons = [noise.randbytes(400).hex() for _ in range(1000)]
    report = UploadReport(UploadSource("b", "k"), rows=RowCounts(read=1000, rejected=1000))
    report.errors = [RowError(line, reason) for line, reason in enumerate(reasons, start=2)]

    body = Checkpoint(report=report).to_bytes()
    again = Checkpoint.from_bytes(body)

    assert len(body) <= MAX_CHECKPOINT_BYTES
    assert again.report is not None
    assert 0 < len(again.report.errors) < 1000
    assert again.report.errors_truncated
    assert again.report.rows == report.rows


def test_a_checkpoint_written_before_checkpoints_held_the_report_still_resumes_its_load() -> None:
    """An upload mid-load while the function is replaced keeps its tallies, errors and stores."""
    old = {
        "position": {"offset": 120, "line": 7},
        "done": False,
        "part": 2,
        "rows": {"read": 6, "accepted": 5, "rejected": 1, "written": 5},
        "errors": [[4, "count must be a whole number"]],
        "stores": ["Berlin", "Karachi"],
        "stores_truncated": False,
        "reason": None,
        "etag": "e",
        "version_id": "v1",
        "uploaded_by": "berlin-manager",
        "principal": "AWS:AIDA",
        "status": "",
        "finished_at": "",
    }

    checkpoint = Checkpoint.from_bytes(zlib.compress(json.dumps(old).encode()))

    assert checkpoint.position == old["position"]
    assert checkpoint.part == 2
    assert checkpoint.report is not None
    assert checkpoint.report.rows == RowCounts(read=6, accepted=5, rejected=1, written=5)
    assert checkpoint.report.errors == [RowError(4, "count must be a whole number")]
    assert not checkpoint.report.errors_truncated
    assert checkpoint.report.stores == ["Berlin", "Karachi"]
    assert (checkpoint.report.source.etag, checkpoint.report.source.version_id) == ("e", "v1")
    assert (checkpoint.report.uploaded_by, checkpoint.report.principal) == ("berlin-manager", "AWS:AIDA")
