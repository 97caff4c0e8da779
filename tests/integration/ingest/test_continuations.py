"""Files of any size: before Lambda's time runs out the load hands over to a new invocation, which carries on
from the saved position, and one honest report covers the whole file.

Lambda's clock is simulated: a context whose remaining time drops each time the function asks.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from ingest.models.errors import RetryLater

from tests.builders import LambdaContext
from tests.integration.ingest.conftest import BUCKET, UPLOADS, IngestWorld
from tests.integration.ingest.test_faults import count_calls

pytestmark = pytest.mark.integration

KEY = "uploads/head-office.csv"


def simulated_time(budget_s: float = 900, step_s: float = 200) -> Callable[[], LambdaContext]:
    """Contexts whose clock moves ``step_s`` each time the function asks (once as it starts reading,
    then every 100 rows): with the 100 s stop margin, an invocation loads 400 rows, then hands over."""

    def context() -> LambdaContext:
        asked = itertools.count(1)
        return LambdaContext(lambda: int(max(0.0, budget_s - step_s * next(asked)) * 1000))

    return context


def head_office_file(rows: int, bad_lines: tuple[int, ...] = ()) -> bytes:
    """``rows`` data rows over stores of 300 items; the lines in ``bad_lines`` have an unreadable count."""
    lines = ["store,item,count"]
    for n in range(rows):
        line = n + 2
        count = "lots" if line in bad_lines else str(n % 50)
        lines.append(f"Store {n // 300},Item {n % 300},{count}")
    return ("\n".join(lines) + "\n").encode()


def ranges(world: IngestWorld) -> list[str | None]:
    """Start recording the Range of every GetObject the function makes."""
    seen: list[str | None] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(params.get("Range"))

    world.hook("before-parameter-build.s3.GetObject", record)
    return seen


def table_size(world: IngestWorld, stores: int) -> int:
    return sum(len(world.counts(f"Store {n}")) for n in range(stores))


def test_a_file_bigger_than_one_invocation_is_loaded_in_parts_under_one_exact_report(world: IngestWorld) -> None:
    # Given a 1,050-row file and a function that may load 400 rows before its time runs short
    read_from = ranges(world)
    context = simulated_time()
    delivered = world.put(KEY, head_office_file(1_050))

    # When S3's event arrives
    world.deliver(delivered, context=context())

    # Then the first part landed, the report says "loading" with true tallies so far,
    report = world.report(KEY)
    assert report["status"] == "loading"
    assert report["rows"]["read"] == report["rows"]["written"] == 400
    assert table_size(world, 4) == 400
    # the index row holds the checkpoint, and the function asked for its own continuation
    row = world.index_row(KEY)
    assert row["Status"] == {"S": "loading"}
    assert "Checkpoint" in row
    ((function_arn, event),) = world.invoker.events
    assert function_arn == LambdaContext.invoked_function_arn
    # handing it the lease (the row's owner token), which no other delivery can take meanwhile
    holder = row["Owner"]["S"]
    assert event == {
        "continuation": {"bucket": BUCKET, "key": KEY, "version": delivered.version, "part": 2, "holder": holder}
    }

    # When Lambda runs the continuations (each asks for the next)
    assert world.carry_on(context) == 2

    # Then one report covers the whole file, exactly, and the table matches the file
    report = world.report(KEY)
    assert report["status"] == "ok"
    assert report["rows"] == {
        "read": 1050, "accepted": 1050, "rejected": 0, "written": 1050, "unchanged": 0, "stale": 0, "duplicates": 0,
        "retired": 0,
    }  # fmt: skip
    assert table_size(world, 4) == 1_050
    assert world.counts("Store 3") == {f"Item {n % 300}": n % 50 for n in range(900, 1_050)}
    world.assert_consistent(KEY)
    # and each continuation opened the object where the previous part stopped
    assert read_from[0] is None
    offsets = [int(value.removeprefix("bytes=").rstrip("-")) for value in read_from[1:] if value]
    assert len(offsets) == 2
    assert 0 < offsets[0] < offsets[1] < len(head_office_file(1_050))


def test_rejected_rows_keep_their_line_numbers_across_parts(world: IngestWorld) -> None:
    context = simulated_time()
    world.deliver(world.put(KEY, head_office_file(1_200, bad_lines=(10, 700, 1_150))), context=context())

    world.carry_on(context)

    report = world.report(KEY)
    assert report["status"] == "partial"
    assert [error["line"] for error in report["errors"]] == [10, 700, 1_150]
    assert report["rows"]["rejected"] == 3
    assert report["rows"]["written"] == 1_197
    world.assert_consistent(KEY)


def test_a_load_handed_over_by_the_previous_version_of_the_function_carries_on_exactly(world: IngestWorld) -> None:
    """A deploy mid-load: the continuation finds a checkpoint written before checkpoints held the whole report."""
    context = simulated_time()
    world.deliver(world.put(KEY, head_office_file(1_200, bad_lines=(10, 700, 1_150))), context=context())
    # Given the row's checkpoint in the older format (the report's parts at its top level)
    row = world.index_row(KEY)
    saved = json.loads(zlib.decompress(row["Checkpoint"]["B"]))
    report = saved.pop("report")
    kept = ("rows", "stores", "stores_truncated", "reason", "uploaded_by", "principal")
    old = saved | {name: report[name] for name in kept} | {"etag": report["source"]["etag"]}
    old |= {"version_id": report["source"]["version_id"]}
    old["errors"] = [[error["line"], error["reason"]] for error in report["errors"]]
    world.dynamodb.update_item(
        TableName=UPLOADS,
        Key={"Key": row["Key"], "Version": row["Version"]},
        UpdateExpression="SET #c = :c",
        ExpressionAttributeNames={"#c": "Checkpoint"},
        ExpressionAttributeValues={":c": {"B": zlib.compress(json.dumps(old).encode())}},
    )

    # When the continuations run
    world.carry_on(context)

    # Then the one report is as exact as without the change of version
    final = world.report(KEY)
    assert final["status"] == "partial"
    assert [error["line"] for error in final["errors"]] == [10, 700, 1_150]
    assert final["rows"]["rejected"] == 3
    assert final["rows"]["written"] == 1_197
    assert final["source"] == report["source"] | {"etag": final["source"]["etag"]}
    assert (final["uploaded_by"], final["principal"], final["started_at"]) == (
        report["uploaded_by"],
        report["principal"],
        report["started_at"],
    )
    world.assert_consistent(KEY)


def test_every_store_a_head_office_file_names_gets_its_last_upload_time_whatever_the_part(world: IngestWorld) -> None:
    context = simulated_time()
    delivered = world.put(KEY, head_office_file(1_050))

    world.deliver(delivered, context=context())
    world.carry_on(context)

    assert [world.last_upload_at(f"Store {n}") for n in range(4)] == [delivered.event_time] * 4


def test_a_continuation_that_cannot_be_started_is_retried_from_where_the_part_stopped(world: IngestWorld) -> None:
    # Given the self-invocation is refused once
    read_from = ranges(world)
    context = simulated_time()
    delivered = world.put(KEY, head_office_file(1_050))
    world.invoker.fail = 1

    # When the first part ends, the report says Lambda will try again
    with pytest.raises(RetryLater):
        world.deliver(delivered, context=context())
    report = world.report(KEY)
    assert report["status"] == "retrying"
    assert "could not invoke" in report["reason"]
    assert "Lambda will try again" in report["reason"]
    assert report["rows"]["written"] == 400

    # And Lambda's retry of the same event carries on from the saved position, not from the start
    world.deliver(delivered, context=context())
    world.carry_on(context)

    assert read_from[1] is not None
    assert read_from[1].startswith("bytes=")
    assert world.report(KEY)["rows"]["written"] == 1_050
    assert world.report(KEY)["status"] == "ok"
    world.assert_consistent(KEY)


def test_a_duplicate_event_between_two_parts_stands_down_and_the_continuation_carries_on(
    world: IngestWorld,
) -> None:
    context = simulated_time()
    delivered = world.put(KEY, head_office_file(1_050))
    world.deliver(delivered, context=context())
    reads = count_calls(world, "s3.GetObject", lambda params: params["Key"] == KEY)

    # S3 delivers the same event again (at least once): the part that handed over kept its lease
    # for the continuation, so the duplicate stands down without reading a byte
    result = world.deliver(delivered, context=LambdaContext(request_id="another-request"))
    assert result == {"files": [{"key": KEY, "skipped": "another invocation is loading it"}]}
    assert reads == []

    # and the continuation asked for earlier takes the lease it was handed and finishes the file
    world.carry_on(context)
    report = world.assert_consistent(KEY)
    assert (report.status, report.rows.written) == ("ok", 1_050)
