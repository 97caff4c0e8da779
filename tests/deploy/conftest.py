"""Packages every service once per test session with the real tooling (osls, serverless-python-requirements).

Nothing here may skip: without node/npx the packaging fixture fails, and so does every deploy test.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.definitions import service_definition
from tests.builders import REPO

STAGE = "ci"
REGION = "us-east-1"
# moto's default account: the rehearsal deploys the packaged templates there.
ACCOUNT = "123456789012"
SERVICES_DIR = REPO / "services"
COMPOSE_FILE = REPO / "serverless-compose.yml"
PACKAGE_TIMEOUT_SECONDS = 240

# What the upstream stacks of stage `ci` would output, used in place of the real values when a
# service is packaged alone: exactly what compose would pass, with the names the stacks would get.
PLACEHOLDER_OUTPUTS: dict[str, dict[str, str]] = {
    "ingest": {
        "InventoryTableName": f"inventory-ingest-{STAGE}-inventory",
        "InventoryTableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory-ingest-{STAGE}-inventory",
        "InventoryStreamArn": (
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory-ingest-{STAGE}-inventory/stream/2026-01-01T00:00:00.000"
        ),
        "AlertsIndexName": "AlertsByStore",
        "StoresTableName": f"inventory-ingest-{STAGE}-stores",
        "StoresTableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory-ingest-{STAGE}-stores",
        "UploadsTableName": f"inventory-ingest-{STAGE}-uploads",
        "UploadsTableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory-ingest-{STAGE}-uploads",
        "UploadBucketName": f"inventory-ingest-{STAGE}-{REGION}-uploads",
        "UploadPrefix": "uploads/",
        "ReportsPrefix": "reports/",
        "LowStockDefault": "7",
    },
    "alerts": {
        "AlertsTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:inventory-alerts-{STAGE}-no-stock",
        "HistoryTableName": f"inventory-alerts-{STAGE}-history",
        "HistoryTableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory-alerts-{STAGE}-history",
        "ForecastTableName": f"inventory-alerts-{STAGE}-forecast",
        "ForecastTableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/inventory-alerts-{STAGE}-forecast",
    },
    "dashboard-site": {
        "DashboardOrigin": "https://d111111abcdef8.cloudfront.net",
        "DashboardUrl": "https://d111111abcdef8.cloudfront.net/",
        "SiteBucketName": f"inventory-dashboard-site-{STAGE}-sitebucket-placeholder",
        "DistributionId": "E2PLACEHOLDER",
    },
    "dashboard-api": {
        "ApiUrl": "https://abcdef1234.execute-api.us-east-1.amazonaws.com",
        "UserPoolId": f"{REGION}_Placeholder",
        "UserPoolClientId": "placeholderclientid0000000",
        "Region": REGION,
    },
}


#: Services deployed apart from compose (`make site`: CloudFront waits for AWS to verify a new account),
#: packaged and checked like the others.
DEPLOYED_APART = {"dashboard-site": {"path": "services/dashboard-site"}}


def compose_services() -> dict[str, dict[str, Any]]:
    """The services of serverless-compose.yml, by name."""
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def service_names() -> list[str]:
    """Every service compose deploys, in the order the file lists them, then those deployed apart."""
    return list(compose_services()) + list(DEPLOYED_APART)


def service_dir(service: str) -> Path:
    return REPO / (compose_services() | DEPLOYED_APART)[service]["path"]


def compose_params(service: str, outputs: dict[str, dict[str, str]]) -> dict[str, str]:
    """The --param values compose passes to a service, given the upstream stacks' outputs."""
    params = {}
    for name, value in (compose_services().get(service, {}).get("params") or {}).items():
        text = str(value)
        if text.startswith("${") and text.endswith("}"):
            producer, output = text[2:-1].split(".", 1)
            params[name] = outputs[producer][output]
        else:
            params[name] = text
    return params


@dataclass
class PackagedService:
    """One service's `serverless package` output directory."""

    name: str
    directory: Path
    params: dict[str, str]
    seconds: float
    template_path: Path = field(init=False)
    template: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.template_path = self.directory / "cloudformation-template-update-stack.json"
        self.template = json.loads(self.template_path.read_text())

    @property
    def zips(self) -> list[Path]:
        return sorted(self.directory.glob("*.zip"))

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.template["Resources"].items() if value["Type"] == resource_type}

    def zip_for(self, function_resource: str) -> Path:
        """The artifact a Lambda function resource deploys."""
        key = self.template["Resources"][function_resource]["Properties"]["Code"]["S3Key"]
        return self.directory / Path(key).name

    def zip_names(self, function_resource: str) -> list[str]:
        with zipfile.ZipFile(self.zip_for(function_resource)) as archive:
            return archive.namelist()


def _source_copy(service: str, root: Path) -> Path:
    """A private copy of the service and the shared package, laid out as in the repository.

    serverless-python-requirements builds in the service's .serverless/ and pip builds ../../shared in
    place: a copy keeps parallel packaging, and anyone packaging in the working tree, from colliding.
    """
    ignore = shutil.ignore_patterns(".serverless", "__pycache__", "*.pyc", "build", "*.egg-info")
    source = service_dir(service)
    shutil.copytree(source, root / source.relative_to(REPO), ignore=ignore)
    for common in SERVICES_DIR.glob("*.*"):  # serverless.common.yml, ops-alarms.js: what every service includes
        shutil.copy2(common, root / "services" / common.name)
    shutil.copytree(REPO / "shared", root / "shared", ignore=ignore)
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    shutil.copy2(REPO / "package.json", root / "package.json")
    return root / source.relative_to(REPO)


def _package(service: str, destination: Path) -> PackagedService:
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx (node/npm) is required to package the services; install node >= 20 and run `npm ci`")
    if not (REPO / "node_modules" / ".bin" / "serverless").exists():
        pytest.fail("node_modules lacks osls: run `npm ci` (make test does)")
    working_copy = _source_copy(service, destination.parent / f"{destination.name}-source")
    params = compose_params(service, PLACEHOLDER_OUTPUTS)
    command = [npx, "--no-install", "serverless", "package", "--stage", STAGE, "--region", REGION]
    command += ["--package", str(destination)]
    for name, value in params.items():
        command += ["--param", f"{name}={value}"]
    environment = {k: v for k, v in os.environ.items() if k not in {"AWS_ENDPOINT_URL", "AWS_PROFILE"}}
    environment |= {"SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "CI": "true"}
    # What `make deploy` sets once the stage has a site: its origin (the dashboard-site stack's output).
    environment["DASHBOARD_ORIGIN"] = PLACEHOLDER_OUTPUTS["dashboard-site"]["DashboardOrigin"]
    started = time.monotonic()
    failures: list[str] = []
    # Packaging drives an outside toolchain (pip, wheel downloads); a busy machine has seen its pip probe
    # (`python3 -m pip help install`) fail once. One more try; two failures fail with both outputs.
    for _ in range(2):
        result = subprocess.run(
            command,
            cwd=working_copy,
            env=environment,
            capture_output=True,
            text=True,
            timeout=PACKAGE_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode == 0:
            break
        failures.append(f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    else:
        pytest.fail(f"`serverless package` failed for {service}, twice:\n" + "\n---\n".join(failures))
    return PackagedService(service, destination, params, time.monotonic() - started)


_ZIP_SIZES: dict[str, int] = {}
TIMINGS: dict[str, float] = {}
#: Grants of the packaged roles no recorded call used (tests/deploy/test_iam_proof.py).
IAM_REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Every zip's size, how long the deploy tooling took and the IAM grants no call used, printed after the run."""
    if _ZIP_SIZES:
        terminalreporter.section("Lambda zip sizes")
        for name, size in sorted(_ZIP_SIZES.items()):
            terminalreporter.write_line(f"{name}: {size / 1024 / 1024:.2f} MB ({size} bytes)")
    if TIMINGS:
        terminalreporter.section("Deploy tooling time")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{name}: {seconds:.1f} s")
    if IAM_REPORT:
        terminalreporter.section("IAM grants no call used")
        for line in IAM_REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PackagedService]:
    """Every compose service packaged once per test run, the four in parallel (pip downloads are cached
    between runs). Under ``pytest -n`` the workers share one packaging: the first to come packages while
    holding a lock in the run's common temporary directory, the others wait and read what it made."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base
    root, record = shared / "packages", shared / "packages.json"
    with (shared / "packages.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            made = json.loads(record.read_text())
            services = {name: PackagedService(name, root / name, **fields) for name, fields in made.items()}
        else:
            names = service_names()
            with ThreadPoolExecutor(max_workers=len(names)) as pool:
                futures = {name: pool.submit(_package, name, root / name) for name in names}
                services = {name: future.result() for name, future in futures.items()}
            made = {name: {"params": s.params, "seconds": s.seconds} for name, s in services.items()}
            record.write_text(json.dumps(made))
    for service in services.values():
        TIMINGS[f"serverless package {service.name} (in parallel)"] = service.seconds
        for artifact in service.zips:
            _ZIP_SIZES[f"{service.name}/{artifact.name}"] = artifact.stat().st_size
    return services


def definition(service: str) -> dict[str, Any]:
    """A service's serverless.yml as data, by compose service name."""
    return service_definition(service_dir(service).name)
