"""The console: one short line per log record of a function; everything, whole, in the function's log file."""

from __future__ import annotations

import io
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devstack.emulator import console
from devstack.lambdas import CONSOLE_WIDTH, FunctionLog

pytestmark = pytest.mark.unit

RECORD = {
    "level": "INFO",
    "location": "handler:82",
    "message": "Upload ingested",
    "timestamp": "2026-12-01 14:36:48,962+0000",
    "service": "ingest",
    "cold_start": True,
    "function_name": "inventory-ingest-local-ingestUpload",
    "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:inventory-ingest-local-ingestUpload",
    "function_request_id": "b8e55083-a954-48be-851b-5d9b2542788b",
    "correlation_id": "uploads/inventory-berlin.csv",
    "key": "uploads/inventory-berlin.csv",
    "status": "ok",
}


def pumped(output: str, tmp_path: Path) -> tuple[list[str], str]:
    lines: list[str] = []
    log = FunctionLog("ingestUpload", tmp_path / "logs" / "ingestUpload.log", lines.append)
    log.pump(io.StringIO(output))
    return lines, (tmp_path / "logs" / "ingestUpload.log").read_text()


def test_a_development_format_record_becomes_one_short_line_and_stays_whole_in_the_file(tmp_path: Path) -> None:
    pretty = json.dumps(RECORD, indent=4) + "\n"  # Powertools' development format (POWERTOOLS_DEV)

    lines, file = pumped(pretty + json.dumps(RECORD) + "\n", tmp_path)

    assert lines == ["[ingestUpload] INFO Upload ingested key=uploads/inventory-berlin.csv status=ok"] * 2
    assert file == pretty + json.dumps(RECORD) + "\n"


def test_long_values_and_lines_are_cut_and_an_error_shows_its_first_line_only(tmp_path: Path) -> None:
    long = {**RECORD, "level": "ERROR", "errors": [{"line": n, "reason": "x" * 50} for n in range(100)]}
    failure = "[ERROR] ValueError: bad file\n    Traceback (most recent call last):\n      File ...\n"

    lines, file = pumped(json.dumps(long, indent=4) + "\n" + failure + "printed by the handler\n", tmp_path)

    assert len(lines) == 3
    assert lines[0].startswith(
        "[ingestUpload] ERROR Upload ingested key=uploads/inventory-berlin.csv status=ok errors="
    )
    assert len(lines[0]) <= CONSOLE_WIDTH
    assert lines[1:] == ["[ingestUpload] [ERROR] ValueError: bad file", "[ingestUpload] printed by the handler"]
    assert "Traceback" in file


def test_a_long_key_is_cut_in_the_middle_so_its_file_name_stays(tmp_path: Path) -> None:
    key = "uploads/stores/Berlin/20261208T014837Z-da7d3e254ef84d2a/berlin-monday-counts.csv"
    lines, _ = pumped(json.dumps({**RECORD, "key": key}) + "\n", tmp_path)

    assert "key=uploads/stores/Berlin/202612...4d2a/berlin-monday-counts.csv status=ok" in lines[0]


def test_a_metric_set_powertools_prints_despite_development_mode_reaches_neither_console_nor_file(
    tmp_path: Path,
) -> None:
    # Powertools flushes a metric set once a metric holds 100 values, development mode or not
    metric_set = {
        "_aws": {
            "Timestamp": 1796142529870,
            "CloudWatchMetrics": [{"Namespace": "Inventory", "Dimensions": [["service"]], "Metrics": []}],
        },
        "service": "alerts",
        "RecordsProcessed": [1.0] * 100,
    }
    printed = json.dumps(RECORD) + "\n" + json.dumps(metric_set) + "\n" + json.dumps({"_aws": "mine"}) + "\n"

    lines, file = pumped(printed, tmp_path)

    assert lines == [
        "[ingestUpload] INFO Upload ingested key=uploads/inventory-berlin.csv status=ok",
        '[ingestUpload] {"_aws":"mine"}',  # the function's own JSON that only looks alike stays
    ]
    assert "CloudWatchMetrics" not in file
    assert file == json.dumps(RECORD) + "\n" + json.dumps({"_aws": "mine"}) + "\n"


class SlowTerminal(io.StringIO):
    """A console that takes its time with each write, so another thread may write in between."""

    def write(self, text: str) -> int:
        time.sleep(0.0002)
        return super().write(text)


def test_lines_written_at_once_from_many_threads_never_run_into_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    # Function output, API request lines and stream pollers all write to the console from their own threads
    terminal = SlowTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    lines = [f"[function{n}] INFO line {i} of {n}" for n in range(8) for i in range(40)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(console, lines))

    assert sorted(terminal.getvalue().splitlines()) == sorted(lines)
