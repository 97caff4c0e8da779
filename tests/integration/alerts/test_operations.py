"""``make recount`` and ``make replay`` against a deployed stage: settings read from the functions' own
configuration (here moto's Lambda), the caller's credentials, the same flows as the functions."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from alerts.operations import main

from tests.integration.alerts.conftest import AlertsWorld
from tests.integration.alerts.test_failed_records import archive, failure_message

pytestmark = pytest.mark.integration

ENVIRONMENT = {
    "alertsStream": (
        "ALERTS_TOPIC_ARN",
        "HISTORY_TABLE",
        "STORES_TABLE",
        "FORECAST_TABLE",
        "LOW_STOCK_DEFAULT",
        "HISTORY_RETENTION_DAYS",
        "SOON_DAYS",
    ),
    "alertsFailureArchive": ("FAILED_RECORDS_TABLE",),
    "alertsRecount": (
        "INVENTORY_TABLE",
        "STORES_TABLE",
        "FAILED_RECORDS_TABLE",
        "RECOUNT_PROGRESS_TABLE",
        "LOW_STOCK_DEFAULT",
    ),
}


def deploy_functions(stage: str) -> None:
    """The stage's three functions as Lambda holds them, each with its environment (moto never runs them)."""
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="alerts", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive_file:
        archive_file.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lambdas = boto3.client("lambda", region_name="us-east-1")
    for function, names in ENVIRONMENT.items():
        lambdas.create_function(
            FunctionName=f"inventory-alerts-{stage}-{function}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
            Environment={"Variables": {name: os.environ[name] for name in names}},
        )


def test_recount_on_a_stage_repairs_drift_with_the_functions_settings(
    world: AlertsWorld, capsys: pytest.CaptureFixture[str]
):
    deploy_functions("prod")
    world.put("Berlin", "Echo Plus", 0)
    world.deliver()
    world.set_totals("Berlin", 9, 0, 0, "2026-11-22T03:00:00.000Z")

    assert main(["recount", "--stage", "prod", "--region", "us-east-1", "--dry-run"]) == 1  # drift found
    assert world.totals("Berlin") == (9, 0, 0)
    assert main(["recount", "--stage", "prod", "--region", "us-east-1"]) == 0
    assert world.totals("Berlin") == (1, 1, 0)
    printed = capsys.readouterr().out
    assert "Berlin" in printed
    assert "repaired" in printed


def test_replay_on_a_stage_lists_then_announces_saved_records_once(
    world: AlertsWorld, capsys: pytest.CaptureFixture[str]
):
    deploy_functions("prod")
    world.put("Berlin", "Echo Plus", 0)
    archive(failure_message(world, world.new_records()))

    assert main(["replay", "--stage", "prod", "--region", "us-east-1", "--list"]) == 0
    assert "1 record(s) wait for replay" in capsys.readouterr().out
    assert main(["replay", "--stage", "prod", "--region", "us-east-1"]) == 0
    assert main(["replay", "--stage", "prod", "--region", "us-east-1"]) == 0
    assert "Berlin: 1 replayed, 0 left" in capsys.readouterr().out
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]
    assert world.totals("Berlin") == (1, 1, 0)


def test_a_stage_that_is_not_deployed_or_a_missing_local_stack_is_a_clear_error(
    world: AlertsWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["recount", "--stage", "nowhere", "--region", "us-east-1"]) == 2
    assert "cannot read function inventory-alerts-nowhere-alertsRecount" in capsys.readouterr().err
    assert main(["replay", "--local", "--stack-json", str(tmp_path / "stack.json")]) == 2
    assert "start the local stack first (make dev)" in capsys.readouterr().err
    (tmp_path / "stack.json").write_text(json.dumps({"endpoint_url": "http://127.0.0.1:9", "region": "us-east-1"}))
    assert main(["replay", "--local", "--stack-json", str(tmp_path / "stack.json")]) == 2
    assert "lists no alerts/handlers/archive.handler function" in capsys.readouterr().err
