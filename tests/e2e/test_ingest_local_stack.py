"""Ingest on the local stack, as stores and head office use it: store folders, files as stores save them,
hostile files, and the uploads index beside every report.

What the local stack cannot show is proven elsewhere: that only ingest may write reports (the
bucket policy's condition; the emulator ignores conditions, so tests/deploy checks the document),
and continuations of a file bigger than one invocation (tests/integration/ingest, with a short
simulated time budget, and ``make bench`` with 5,000,000 rows).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from inventory.uploads import UPLOADS_BY_SCOPE, UploadEntry, store_prefix

from tests.e2e.conftest import LocalStackProcess, wait_for_report

pytestmark = pytest.mark.e2e

#: A hostile file must cost seconds of the function's time, never most of its 900 (the load's own clock,
#: from the report, so a busy machine's queueing does not count).
LOADED_WITHIN_S = 90


def put(stack: LocalStackProcess, key: str, body: bytes, **extra: Any) -> str:
    """Upload ``body`` at ``key``; returns the new object version."""
    return str(stack.client("s3").put_object(Bucket=stack.info["bucket"], Key=key, Body=body, **extra)["VersionId"])


def load_seconds(report: dict[str, Any]) -> float:
    """How long the load took by its report's own clock."""
    started, finished = (datetime.fromisoformat(report[name]) for name in ("started_at", "finished_at"))
    return (finished - started).total_seconds()


def counts(stack: LocalStackProcess, store: str) -> dict[str, int]:
    response = stack.client("dynamodb").query(
        TableName=stack.info["table"],
        KeyConditionExpression="#store = :s",
        ExpressionAttributeNames={"#store": "Store"},
        ExpressionAttributeValues={":s": {"S": store}},
    )
    return {item["Item"]["S"]: int(item["Count"]["N"]) for item in response["Items"]}


def test_a_store_file_as_excel_saves_it_changes_that_store_only(local_stack_process: LocalStackProcess) -> None:
    # Given a German Excel export for Berlin (semicolons, an upper-case extension) that names another store
    run = uuid.uuid4().hex[:8]
    store, other = f"Berlin {run}", f"Karachi {run}"
    key = store_prefix(store) + f"{run}/Bestand.CSV"
    body = f"Store;Item;Count\n{store};Echo Dot;4\n{other};Echo Dot;0\n{store};Echo Show;2\n".encode()

    # When it is uploaded as a dashboard grant would (signed uploader metadata)
    version = put(local_stack_process, key, body, Metadata={"uploaded-by": "berlin-manager"})

    # Then Berlin's rows land, the other store's row is rejected with its line, and nothing changes there
    report = wait_for_report(local_stack_process, key, version)
    assert report["status"] == "partial"
    assert report["store"] == store
    assert report["uploaded_by"] == "berlin-manager"
    assert [error["line"] for error in report["errors"]] == [3]
    assert counts(local_stack_process, store) == {"Echo Dot": 4, "Echo Show": 2}
    assert counts(local_stack_process, other) == {}
    # and the store's uploads list it, from the index, with the report's summary
    listed = local_stack_process.client("dynamodb").query(
        TableName=local_stack_process.info["uploads_table"],
        IndexName=UPLOADS_BY_SCOPE,
        KeyConditionExpression="#scope = :store",
        ExpressionAttributeNames={"#scope": "Scope"},
        ExpressionAttributeValues={":store": {"S": store}},
    )["Items"]
    (entry,) = [UploadEntry.from_item(item) for item in listed]
    assert (entry.key, entry.status, entry.rows.written) == (key, "partial", 2)


HOSTILE = {
    "a count of 5,001 digits": ("digits.csv", "store,item,count\n{store},Echo Dot,{digits}\n{store},Echo Show,3\n"),
    "JSON nested 100,000 deep": ("nested.json", "[" * 100_000),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_gets_its_report_in_seconds_and_normal_files_still_load(
    local_stack_process: LocalStackProcess, case: str
) -> None:
    run = uuid.uuid4().hex[:8]
    store = f"Hostile {run}"
    name, template = HOSTILE[case]
    key = f"uploads/{run}/{name}"

    version = put(local_stack_process, key, template.format(store=store, digits="9" * 5_001).encode())

    report = wait_for_report(local_stack_process, key, version)
    assert load_seconds(report) < LOADED_WITHIN_S, report
    assert report["status"] in ("partial", "failed")
    assert report["reason"] or report["errors"]
    if name.endswith(".csv"):  # the row is refused, the rest of the file still lands
        assert report["errors"][0]["line"] == 2
        assert counts(local_stack_process, store) == {"Echo Show": 3}

    normal = f"uploads/{run}/after.csv"
    version = put(local_stack_process, normal, f"store,item,count\n{store},Echo Plus,7\n".encode())
    assert wait_for_report(local_stack_process, normal, version)["status"] == "ok"
    assert counts(local_stack_process, store)["Echo Plus"] == 7


def test_the_decoy_sheet_workbook_gets_a_failed_report_and_workbooks_still_load(
    local_stack_process: LocalStackProcess,
) -> None:
    # Given issue 17's workbook of 1.9 KB, whose reader would take a decoy sheet with a cell in
    # XFD1048576 for the first and abort the function asking for 512 GiB
    from tests.unit.ingest.test_parser_xlsx import FAR_CELL, SHEET_END, SHEET_START, raw_workbook, two_sheet_workbook

    run = uuid.uuid4().hex[:8]
    store = f"Workbook {run}"
    decoy = two_sheet_workbook(
        '<o:sheet xmlns:o="urn:decoy" name="Inventory" r:id="rId2"/><sheet name="Inventory" sheetId="1" r:id="rId1"/>',
        FAR_CELL,
    )
    key = f"uploads/{run}/decoy.xlsx"

    report = wait_for_report(local_stack_process, key, put(local_stack_process, key, decoy))

    # Then it fails with the reason, in seconds, and the next workbook is read (in the reader's own process)
    assert report["status"] == "failed"
    assert load_seconds(report) < LOADED_WITHIN_S, report
    assert "another XML namespace" in report["reason"]
    row = f'<row r="2"><c r="A2" t="inlineStr"><is><t>{store}</t></is></c><c r="B2" t="inlineStr"><is><t>Echo Dot</t>'
    row += '</is></c><c r="C2"><v>6</v></c></row>'
    normal = f"uploads/{run}/after.xlsx"
    body = raw_workbook(SHEET_START + row.encode() + SHEET_END)
    assert wait_for_report(local_stack_process, normal, put(local_stack_process, normal, body))["status"] == "ok"
    assert counts(local_stack_process, store) == {"Echo Dot": 6}
