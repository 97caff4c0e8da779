"""Each service's configuration exactly as the Serverless Framework resolves it: one source of truth.

``npx serverless print --stage local --format json`` resolves every framework variable (``${self:..}``,
``${param:..}``, ``${sls:stage}``...) and leaves the CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Sub) in
place; :mod:`devstack.intrinsics` resolves those against what the local stack provisioned.

Cross-service values (``${param:name}``) are wired the way ``serverless-compose.yml`` wires them. Outputs are
only known after provisioning, so services are printed with placeholders in parallel and the placeholders are
substituted later.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
STAGE = "local"

_COMPOSE_REF = re.compile(r"^\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}$")
_PLACEHOLDER = "devstack-param-{}-end"
# ARN parameters must look like ARNs: the framework validates e.g. a stream event's ARN.
_ARN_PLACEHOLDER = "arn:aws:dynamodb:us-east-1:123456789012:table/devstack-param-{}-end/stream/1970-01-01T00:00:00.000"
_PLACEHOLDER_PATTERN = re.compile(
    r"arn:aws:dynamodb:us-east-1:123456789012:table/devstack-param-(?P<arn>[A-Za-z0-9_-]+)-end"
    r"/stream/1970-01-01T00:00:00\.000|devstack-param-(?P<plain>[A-Za-z0-9_-]+)-end"
)


class ConfigError(Exception):
    """A service's configuration could not be printed or read."""


@dataclass(frozen=True)
class ParamSource:
    """A service parameter fed from another service's output (``${ingest.InventoryStreamArn}``)."""

    service: str
    output: str


#: Stage parameters compose does not wire on AWS but the local stack does: the dashboard's origin is the
#: optional site's (deployed later: docs/deploy.md); locally the web server is the site.
LOCAL_WIRING = {
    "ingest": {"dashboardOrigin": ParamSource("dashboard-site", "DashboardOrigin")},
    "dashboard-api": {"dashboardOrigin": ParamSource("dashboard-site", "DashboardOrigin")},
}


@dataclass
class ServiceConfig:
    """One service's printed configuration, with cross-service parameters still as placeholders."""

    name: str  # folder name under services/
    definition: dict[str, Any]
    param_sources: dict[str, ParamSource] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return str(self.definition["service"])

    @property
    def region(self) -> str:
        return str(self.definition.get("provider", {}).get("region", "us-east-1"))

    @property
    def stack_name(self) -> str:
        return f"{self.service}-{STAGE}"

    def with_params(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The definition with each cross-service placeholder replaced by its real value."""
        missing = sorted(set(self.param_sources) - set(values))
        if missing:
            raise ConfigError(f"{self.name}: no value for parameter(s) {', '.join(missing)}")
        return _substitute(self.definition, values)


def planned_services(repo: Path = REPO) -> list[str]:
    """The services of serverless-compose.yml in deploy order: each after those whose outputs it takes."""
    compose = _compose_params(repo)
    ordered: list[str] = []
    while len(ordered) < len(compose):
        ready = [
            name
            for name, params in compose.items()
            if name not in ordered and {source.service for source in params.values()} <= set(ordered)
        ]
        if not ready:
            raise ConfigError("serverless-compose.yml: circular dependencies between services")
        ordered.append(ready[0])
    return ordered


def load_services(names: Iterable[str], cache_dir: Path, repo: Path = REPO) -> dict[str, ServiceConfig]:
    """Print every service in parallel (about 2-4 s each), reusing a cached print when no file changed."""
    names = list(names)
    compose = _compose_params(repo)
    sources = {name: compose.get(name, {}) | LOCAL_WIRING.get(name, {}) for name in names}
    cache_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        printed = {
            name: pool.submit(print_service, repo / "services" / name, sources[name], cache_dir) for name in names
        }
        return {name: ServiceConfig(name, printed[name].result(), sources[name]) for name in names}


def print_service(directory: Path, sources: Mapping[str, ParamSource], cache_dir: Path) -> dict[str, Any]:
    """``serverless print`` for one service folder, cached by the hash of its configuration files."""
    args = ["print", "--stage", STAGE, "--format", "json"]
    for name in sorted(sources):
        placeholder = _ARN_PLACEHOLDER if name.endswith("Arn") else _PLACEHOLDER
        args += ["--param", f"{name}={placeholder.format(name)}"]
    digest = hashlib.sha256(json.dumps(args).encode())
    # The service's own files and what every service includes from services/ (serverless.common.yml...).
    files = [p for folder in (directory, directory.parent) for p in sorted(folder.glob("*.*")) if p.is_file()]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    cached = cache_dir / f"print-{directory.name}-{digest.hexdigest()[:20]}.json"
    if cached.is_file():
        return dict(json.loads(cached.read_text()))
    command = ["npx", "--no-install", "serverless", *args]
    try:
        done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigError(f"{directory.name}: `{' '.join(command)}` could not run: {error}") from error
    if done.returncode != 0:
        detail = "\n".join(
            line for line in (done.stdout + done.stderr).splitlines() if line.strip() and "npm warn" not in line
        )[-2000:]
        raise ConfigError(f"{directory.name}: `npx serverless print` failed:\n{detail}")
    try:
        definition = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError as error:
        raise ConfigError(f"{directory.name}: `npx serverless print` did not print JSON: {error}") from error
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(definition))
    tmp.replace(cached)
    return dict(definition)


def _substitute(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER_PATTERN.sub(
            lambda match: values.get(match.group("arn") or match.group("plain"), match.group(0)), value
        )
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, values) for key, item in value.items()}
    return value


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads serverless.yml keeping short-form tags (!Ref, !GetAtt...) as plain values."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def read_yaml(path: Path) -> dict[str, Any]:
    """A serverless.yml (or compose file) as data, framework variables left as text."""
    return dict(yaml.load(path.read_text(), Loader=_CloudFormationLoader) or {})  # noqa: S506 - SafeLoader subclass


def _compose_params(repo: Path) -> dict[str, dict[str, ParamSource]]:
    """``services.<name>.params`` of serverless-compose.yml that take another service's output, by service
    (each service's key there is its folder under services/)."""
    compose = read_yaml(repo / "serverless-compose.yml").get("services") or {}
    return {
        name: {
            param: ParamSource(match.group(1), match.group(2))
            for param, value in ((spec or {}).get("params") or {}).items()
            if (match := _COMPOSE_REF.match(str(value)))
        }
        for name, spec in compose.items()
    }
