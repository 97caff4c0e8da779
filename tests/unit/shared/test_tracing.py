"""The X-Ray tracer records no function's response: answers hold temporary passwords and personal data.

Every handler's ``capture_lambda_handler`` (and any ``capture_method``) is checked in the source, so a new
handler cannot forget it; tests/integration/api/test_traces.py runs the API through a recording tracer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.builders import REPO

TRACER_DECORATORS = {"capture_lambda_handler", "capture_method"}


def _tracer_decorators() -> list[tuple[str, ast.expr]]:
    found = []
    for path in sorted((REPO / "services").rglob("*.py")) + sorted((REPO / "shared").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if isinstance(target, ast.Attribute) and target.attr in TRACER_DECORATORS:
                        found.append((f"{Path(path).relative_to(REPO)}:{node.name}", decorator))
    return found


def test_every_service_handler_is_traced() -> None:
    names = {where.split(":")[0] for where, _ in _tracer_decorators()}
    assert {
        "services/ingest/ingest/handlers/upload.py",
        "services/dashboard-api/dashboard_api/handlers/api.py",
        "services/alerts/alerts/handlers/stream.py",
        "services/alerts/alerts/handlers/recount.py",
        "services/alerts/alerts/handlers/archive.py",
    } <= names


@pytest.mark.parametrize(("where", "decorator"), [pytest.param(*found, id=found[0]) for found in _tracer_decorators()])
def test_no_tracer_decorator_captures_the_response(where: str, decorator: ast.expr) -> None:
    assert isinstance(decorator, ast.Call), f"{where}: the tracer captures the response unless told not to"
    keywords = {keyword.arg: keyword.value for keyword in decorator.keywords}
    value = keywords.get("capture_response")
    assert isinstance(value, ast.Constant), f"{where}: capture_response=False is missing"
    assert value.value is False, f"{where}: capture_response=False is missing"
