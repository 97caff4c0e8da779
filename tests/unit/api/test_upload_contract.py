"""The API serves ingest's upload contract as it is: the shared models are the response schema, field for field."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import fields
from typing import Any

import pytest
from dashboard_api.models.api import UploadsPage
from inventory.report import UploadReport
from inventory.uploads import UploadEntry

from tests.builders import every_field_set

pytestmark = pytest.mark.unit


def served(model: type[Any]) -> set[str]:
    """The fields of a shared model the API shows: all of them but those marked not served."""
    return {item.name for item in fields(model) if not item.metadata.get("exclude")}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return UploadsPage.model_json_schema(mode="serialization")["$defs"]


def test_a_report_is_served_as_ingest_wrote_it_but_for_the_principal() -> None:
    report = every_field_set(UploadReport)

    body = json.loads(UploadsPage(uploads=[], next_cursor=None, report=report).model_dump_json())

    written = json.loads(json.dumps(report.to_json()))
    assert body["report"] == {name: value for name, value in written.items() if name in served(UploadReport)}
    assert "principal" not in body["report"]  # names the API's role for a dashboard upload
    assert UploadReport.from_json(body["report"]) == dataclasses.replace(report, principal=None)


def test_an_index_row_is_served_with_every_field_but_its_storage_ones() -> None:
    entry = every_field_set(UploadEntry)

    (body,) = json.loads(UploadsPage(uploads=[entry], next_cursor=None, report=None).model_dump_json())["uploads"]

    assert set(body) == served(UploadEntry)
    assert not {"bucket", "report_key"} & set(body)
    assert body["file_name"] == entry.key.rsplit("/", 1)[-1]
    assert body["status"] == entry.status.value
    assert body["errors"] == [{"line": error.line, "reason": error.reason} for error in entry.errors]


@pytest.mark.parametrize("model", [UploadReport, UploadEntry])
def test_the_documented_schema_is_the_models_every_served_field_required_and_described(
    schemas: dict[str, Any], model: type[Any]
) -> None:
    """A field added to the shared model is in the OpenAPI document by itself; the API restates none."""
    schema = schemas[model.__name__]

    assert set(schema["properties"]) == served(model)
    assert set(schema["required"]) == served(model)
    assert schema["description"]
    for name in ("status", "errors", "stores", "rows"):
        assert name in schema["properties"]
    assert schemas["ReportStatus"]["enum"] == [
        "loading", "retrying", "ok", "partial", "failed", "needs_confirmation", "discarded", "undone",
    ]  # fmt: skip
    assert schemas["RowError"]["properties"]["line"]["description"]
