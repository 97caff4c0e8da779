"""`make dev` installs requirements-stack.txt only: it must hold every package the functions import."""

from __future__ import annotations

import re

import pytest

from tests.builders import REPO

pytestmark = pytest.mark.unit

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(?P<version>\S+)")


def pins(path: str) -> dict[str, str]:
    found = {}
    for line in (REPO / path).read_text().splitlines():
        match = _PIN.match(line.strip())
        if match:
            found[match["name"].lower().replace("_", "-")] = match["version"]
    return found


@pytest.mark.parametrize("service", sorted(p.parent.name for p in (REPO / "services").glob("*/requirements.txt")))
def test_the_stack_installs_every_runtime_dependency_of_each_service_at_its_version(service: str) -> None:
    stack = pins("requirements-stack.txt")
    for name, version in pins(f"services/{service}/requirements.txt").items():
        assert stack.get(name) == version, (
            f"{service} needs {name}=={version}; requirements-stack.txt has {stack.get(name)}"
        )


def test_the_test_tools_are_installed_on_top_of_the_stack_not_instead_of_it() -> None:
    dev = (REPO / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements-stack.txt" in dev
    stack = pins("requirements-stack.txt")
    for tool in ("pytest", "playwright", "mypy", "ruff", "cfn-lint", "awscli"):
        assert tool in pins("requirements-dev.txt")
        assert tool not in stack, f"make dev should not install {tool}"
