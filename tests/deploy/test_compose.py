"""serverless-compose.yml wires the services only through outputs passed as params, and every wire is live."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.builders import REPO
from tests.deploy.conftest import (
    DEPLOYED_APART,
    PLACEHOLDER_OUTPUTS,
    compose_services,
    definition,
    service_dir,
    service_names,
)

pytestmark = pytest.mark.deploy

# ${param:name} or ${param:name, 'fallback'}
PARAM_USE = re.compile(r"\$\{param:([A-Za-z0-9_]+)\s*(?:,[^}]*)?\}")
# ${param:name} alone: no fallback of its own, so a default or compose must give it.
PARAM_WITHOUT_FALLBACK = re.compile(r"\$\{param:([A-Za-z0-9_]+)\}")
OUTPUT_REFERENCE = re.compile(r"^\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}$")


def _params_used(service: str) -> set[str]:
    return set(PARAM_USE.findall((service_dir(service) / "serverless.yml").read_text()))


def _params_with_defaults(service: str) -> set[str]:
    return set(((definition(service).get("params") or {}).get("default") or {}).keys())


def _outputs(service: str) -> set[str]:
    return set(definition(service)["resources"].get("Outputs", {}))


def _wires() -> list[tuple[str, str, str, str]]:
    """(consumer, param, producer, output) for every compose param that is another service's output."""
    wires = []
    for consumer, config in compose_services().items():
        for param, value in (config.get("params") or {}).items():
            match = OUTPUT_REFERENCE.match(str(value))
            assert match, f"{consumer}.{param} = {value!r}: compose passes only other services' outputs"
            wires.append((consumer, param, match.group(1), match.group(2)))
    return wires


def test_compose_deploys_the_three_services_each_from_its_own_folder() -> None:
    services = compose_services()

    assert {"ingest", "alerts", "dashboard-api"} <= set(services)
    for name, config in services.items():
        assert (REPO / config["path"] / "serverless.yml").is_file(), name
        assert set(config) <= {"path", "params", "dependsOn"}, f"{name}: only wiring belongs in compose"


@pytest.mark.parametrize(("consumer", "param", "producer", "output"), _wires(), ids=str)
def test_every_compose_param_is_an_existing_output_consumed_by_its_service(
    consumer: str, param: str, producer: str, output: str
) -> None:
    assert producer in compose_services(), f"{consumer}.{param}: unknown service {producer}"
    assert producer != consumer
    assert output in _outputs(producer), f"{producer} has no output {output} (it has {sorted(_outputs(producer))})"
    assert param in _params_used(consumer), f"{consumer} never reads ${{param:{param}}}"
    # The packaging tests stand in for the producer's stack with this value.
    assert output in PLACEHOLDER_OUTPUTS[producer]


def test_wiring_covers_the_cross_service_values() -> None:
    wired = {(consumer, param): (producer, output) for consumer, param, producer, output in _wires()}

    assert wired[("alerts", "inventoryStreamArn")] == ("ingest", "InventoryStreamArn")
    assert wired[("alerts", "lowStockDefault")] == ("ingest", "LowStockDefault")
    for param, output in {
        "inventoryTableName": "InventoryTableName",
        "inventoryTableArn": "InventoryTableArn",
        "storesTableName": "StoresTableName",
        "storesTableArn": "StoresTableArn",
    }.items():
        assert wired[("alerts", param)] == ("ingest", output)
    for param, output in {
        "inventoryTableName": "InventoryTableName",
        "inventoryTableArn": "InventoryTableArn",
        "storesTableName": "StoresTableName",
        "storesTableArn": "StoresTableArn",
        "uploadBucketName": "UploadBucketName",
    }.items():
        assert wired[("dashboard-api", param)] == ("ingest", output)
    assert wired[("dashboard-api", "historyTableName")] == ("alerts", "HistoryTableName")
    assert wired[("dashboard-api", "historyTableArn")] == ("alerts", "HistoryTableArn")
    assert wired[("dashboard-api", "forecastTableName")] == ("alerts", "ForecastTableName")
    assert wired[("dashboard-api", "forecastTableArn")] == ("alerts", "ForecastTableArn")


def test_nothing_compose_deploys_waits_on_the_dashboard_site() -> None:
    """A new account cannot create CloudFront distributions until AWS verifies it: the site is deployed
    apart (`make site`), and no service needs one of its outputs."""
    assert "dashboard-site" not in compose_services()
    assert not [wire for wire in _wires() if wire[2] == "dashboard-site"]
    assert "dashboard-site" in DEPLOYED_APART


def test_the_api_and_the_upload_bucket_take_the_dashboard_origin_from_one_place() -> None:
    """Both read the stage's dashboardOrigin from serverless.common.yml: DASHBOARD_ORIGIN, which
    `make deploy` sets from the site stack's output, or the local dashboard's origin without a site."""
    defaults = {
        service: ((definition(service).get("params") or {}).get("default") or {}).get("dashboardOrigin")
        for service in ("ingest", "dashboard-api")
    }
    common = yaml.safe_load((REPO / "services" / "serverless.common.yml").read_text())

    assert defaults["ingest"] == defaults["dashboard-api"] == "${file(../serverless.common.yml):dashboardOrigin}"
    assert common["dashboardOrigin"] == "${env:DASHBOARD_ORIGIN, 'http://localhost:8000'}"


@pytest.mark.parametrize("service", service_names())
def test_a_compose_deploy_resolves_every_param_a_service_reads(service: str) -> None:
    provided = set(compose_services().get(service, {}).get("params") or {})
    used = set(PARAM_WITHOUT_FALLBACK.findall((service_dir(service) / "serverless.yml").read_text()))
    unresolved = used - _params_with_defaults(service) - provided

    assert not unresolved, f"{service} reads params nobody passes: {sorted(unresolved)}"


def test_osls_compose_accepts_the_file_and_deploys_producers_first() -> None:
    node = shutil.which("node")
    assert node, "node is required (the deploy tooling runs on it)"

    result = subprocess.run(
        [node, str(REPO / "tests" / "deploy" / "compose_order.cjs"), str(REPO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    order = graph["deployOrder"]
    for consumer, _param, producer, _output in _wires():
        assert producer in graph["dependencies"][consumer]
        assert order.index(producer) < order.index(consumer)
    assert graph["dependencies"]["ingest"] == []


def _deploy_commands(guide: str, path: str) -> list[str]:
    """Each command in the guide that deploys the service at ``path`` alone, with its continuation lines."""
    commands = []
    for start in (m.start() for m in re.finditer(re.escape(f"cd {path} && npx serverless deploy --stage"), guide)):
        lines = [guide[start:].split("\n", 1)[0]]
        rest = guide[start + len(lines[0]) + 1 :].split("\n")
        while lines[-1].rstrip().endswith("\\") and rest:
            lines.append(rest.pop(0))
        commands.append("\n".join(lines))
    return commands


@pytest.mark.parametrize("service", service_names())
def test_the_deploy_guide_shows_how_to_deploy_each_service_alone_with_its_params(service: str) -> None:
    guide = (REPO / "docs" / "deploy.md").read_text()
    params = compose_services().get(service, {}).get("params") or {}

    commands = _deploy_commands(guide, service_dir(service).relative_to(REPO).as_posix())

    assert commands, f"docs/deploy.md shows no command that deploys {service} alone"
    # One command passes every param compose would wire (another service's command does not count).
    missing = min(([p for p in params if f"--param {p}=" not in command] for command in commands), key=len)
    assert not missing, f"docs/deploy.md: {service} alone needs --param {', '.join(missing)}"


def test_make_deploy_gives_compose_the_region_in_the_environment_not_as_an_option() -> None:
    """osls compose refuses `--region` ("an osls-specific option that is not supported in osls compose");
    the services read AWS_REGION instead."""
    result = subprocess.run(
        ["make", "-n", "deploy", "STAGE=prod", "REGION=eu-central-1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if "serverless deploy" in line]
    assert "AWS_REGION=eu-central-1 npx serverless deploy --stage prod" in line
    assert "--region" not in line.split("serverless deploy", 1)[1]
    common = (REPO / "services" / "serverless.common.yml").read_text()
    assert "region: ${opt:region, env:AWS_REGION, 'us-east-1'}" in common
