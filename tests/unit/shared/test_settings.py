"""Each stage parameter's default has one home, its service's serverless.yml.

Every variable a function's settings read is set by that function's ``environment:``, and a missing
one is an error naming it at cold start: a settings field keeps a default only for a value the
function runs without (empty), never a copy of a parameter's default, which would disagree silently
once the parameter's default changes and a variable goes missing.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import pytest
from alerts.settings import AlertSettings, ArchiveSettings, RecountSettings
from dashboard_api.settings import PeopleSettings
from dashboard_api.settings import Settings as ApiSettings
from ingest.settings import Settings as IngestSettings
from inventory.settings import EnvSettings, MissingSetting

from devstack.definitions import service_definition
from tests.builders import function_environment

pytestmark = pytest.mark.unit

#: Each settings class and the functions (service, function in its serverless.yml) that read it.
READERS: dict[type[Any], list[tuple[str, str]]] = {
    AlertSettings: [("alerts", "alertsStream")],
    ArchiveSettings: [("alerts", "alertsFailureArchive")],
    RecountSettings: [("alerts", "alertsRecount")],
    ApiSettings: [("dashboard-api", "api")],
    PeopleSettings: [("dashboard-api", "api"), ("dashboard-api", "sweepSubscriptions")],
    IngestSettings: [("ingest", "ingestUpload")],
}
CASES = [(cls, service, function) for cls, readers in READERS.items() for service, function in readers]


def _environment(service: str, function: str) -> dict[str, str]:
    """The function's environment with each parameter at its plain default, and any other value
    (a resource's name, a parameter built from others) as a stand-in text."""
    declared = service_definition(service)["functions"][function].get("environment") or {}
    return dict.fromkeys(declared, "stand-in") | function_environment(service, function)


def _missing(cls: type[Any], environment: dict[str, str], field: dataclasses.Field[Any]) -> Any:
    """The field's value with its variable missing, or the error's text."""
    name = field.metadata["variable"]
    try:
        return getattr(cls.from_env({key: value for key, value in environment.items() if key != name}), field.name)
    except MissingSetting as missing:
        return str(missing)


def test_every_settings_class_of_the_services_is_checked_against_its_functions():
    modules = ("alerts.settings", "dashboard_api.settings", "ingest.settings")
    declared = {
        value
        for module in map(importlib.import_module, modules)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, EnvSettings) and value.__module__ == module.__name__
    }
    assert declared == set(READERS)


@pytest.mark.parametrize(("cls", "service", "function"), CASES, ids=[f"{c[0].__name__}-{c[2]}" for c in CASES])
def test_each_setting_is_set_by_the_function_and_has_no_default_of_its_own(
    cls: type[Any], service: str, function: str
) -> None:
    environment = _environment(service, function)
    variables = [field.metadata["variable"] for field in dataclasses.fields(cls)]

    assert not [name for name in variables if name not in environment]  # a fixed value is a constant instead
    cls.from_env(environment)  # the parameters' defaults are settings the class accepts
    for field, name in zip(dataclasses.fields(cls), variables, strict=True):
        # Missing: an error naming it, or empty where the function runs without it (a comment says why).
        assert _missing(cls, environment, field) in {f"{name} is not set", ""}, f"{name} has a default of its own"
