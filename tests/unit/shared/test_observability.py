"""Tracing costs nothing where it is off, and is Powertools' Tracer where it is on (Lambda); counts are
Powertools metrics of unit Count."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from inventory.observability import count, metrics

from tests.builders import REPO

pytestmark = pytest.mark.unit

#: Imports inventory.observability in a fresh interpreter (imports are once per process) and tells
#: what the tracer is, whether the X-Ray SDK was imported and what the handler decorator returns.
PROBE = """
import json, sys
from inventory.observability import tracer
def handler(event, context):
    return event
print(json.dumps({
    "tracer": type(tracer).__name__,
    "xray_imported": any(name.startswith("aws_xray_sdk") for name in sys.modules),
    "handler_unwrapped": tracer.capture_lambda_handler(handler) is handler,
}))
"""


def _observability(**environment: str) -> dict[str, object]:
    base = {name: value for name, value in os.environ.items() if not name.startswith(("POWERTOOLS_", "LAMBDA_"))}
    base |= {"PYTHONPATH": str(REPO / "shared"), "POWERTOOLS_SERVICE_NAME": "probe"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=base | environment, capture_output=True, text=True, check=True
    )
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_outside_lambda_the_tracer_does_nothing_and_the_xray_sdk_is_not_imported() -> None:
    assert _observability() == {"tracer": "Untraced", "xray_imported": False, "handler_unwrapped": True}


def test_tracing_disabled_in_lambda_does_nothing_either() -> None:
    seen = _observability(LAMBDA_TASK_ROOT="/var/task", POWERTOOLS_TRACE_DISABLED="true")

    assert seen == {"tracer": "Untraced", "xray_imported": False, "handler_unwrapped": True}


def test_in_lambda_handlers_are_traced_by_powertools() -> None:
    seen = _observability(LAMBDA_TASK_ROOT="/var/task")

    assert seen == {"tracer": "Tracer", "xray_imported": True, "handler_unwrapped": False}


def test_a_count_is_a_metric_of_unit_count_with_every_value_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "namespace", metrics.namespace or "Inventory")
    metrics.clear_metrics()
    try:
        count("ThingsSeen")
        count("ThingsSeen", 4)
        emf = metrics.serialize_metric_set()
    finally:
        metrics.clear_metrics()

    assert emf["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": "ThingsSeen", "Unit": "Count"}]
    assert emf["ThingsSeen"] == [1.0, 4.0]
