"""Cold start: the CPU time of importing each function's handler from its packaged zip, as Lambda loads it.

Each service is packaged as for a deploy (``serverless package``, tests/deploy/conftest.py); each zip is
unpacked into a folder made read-only, as /var/task is, and a fresh CPython of the runtime's version
(services/lambda_zip.py finds it) imports the handler module with only that folder and the AWS SDK on its
path (the runtime provides the SDK: here boto3 at the version requirements-stack.txt pins, installed for
that Python), with the function's environment and Lambda's own variables set, so tracing is on as in AWS.
The figure is the median CPU time of the import over fresh processes, next to a bare ``import boto3``.
"""

from __future__ import annotations

import json
import os
import re
import stat
import statistics
import subprocess
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import REPO
from bench.report import Section, Target, table
from services.lambda_zip import runtime_python, runtime_version

#: The most import CPU each service's handlers may take on this machine, in ms.
TARGET_MS = {"ingest": 300.0, "alerts": 300.0, "dashboard-api": 450.0}
SERVICES = tuple(TARGET_MS)
RUNS = 7

#: Run in the runtime's Python: import one module with only the given folders on the path; print the CPU
#: time it took and the modules compiled from source on the way (none, when the zip's bytecode is used).
PROBE = """
import importlib, importlib.machinery, json, sys, time
folders, module, watch = sys.argv[1].split(":"), sys.argv[2], sys.argv[3] == "watch"
sys.path[0:0] = folders
compiled = []
if watch:
    to_code = importlib.machinery.SourceFileLoader.source_to_code
    def recording(self, data, path, *args, **kwargs):
        compiled.append(str(path))
        return to_code(self, data, path, *args, **kwargs)
    importlib.machinery.SourceFileLoader.source_to_code = recording
started = time.process_time()
importlib.import_module(module)
cpu = time.process_time() - started
print(json.dumps({"cpu_ms": cpu * 1000, "compiled": compiled}))
"""


def pinned_boto3() -> str:
    match = re.search(r"^boto3==(\S+)", (REPO / "requirements-stack.txt").read_text(), flags=re.MULTILINE)
    if not match:
        raise RuntimeError("requirements-stack.txt pins no boto3")
    return match.group(1)


def runtime_sdk(python: str) -> Path:
    """boto3 (with botocore and the rest of the SDK) installed for ``python``, bytecode included as in the
    runtime's image: cached in the temporary folder by Python and boto3 version."""
    version = subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]
    target = Path(tempfile.gettempdir()) / f"lambda-sdk-cpython{version}-boto3-{pinned_boto3()}"
    pin = f"boto3=={pinned_boto3()}"
    if not (target / "boto3").is_dir():
        scratch = Path(tempfile.mkdtemp(prefix=target.name, dir=target.parent))
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(scratch), pin],
            check=True,
        )
        scratch.replace(target)
    return target


@dataclass(frozen=True)
class Function:
    service: str
    name: str  # the function's logical id in the template
    handler: str  # ingest/handlers/upload.handler
    zip_path: Path
    environment: dict[str, str]

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0].replace("/", ".")


def _text(value: Any) -> str:
    """A template value as the function would see it: intrinsic functions (Ref, GetAtt...) become a name."""
    return value if isinstance(value, str) else str(value) if not isinstance(value, dict) else "placeholder"


def functions(packaged: dict[str, Any]) -> list[Function]:
    """Every function of the packaged services, with its zip and environment from the template."""
    found = []
    for service in SERVICES:
        package = packaged[service]
        for logical_id, resource in package.resources("AWS::Lambda::Function").items():
            properties = resource["Properties"]
            variables = (properties.get("Environment") or {}).get("Variables") or {}
            found.append(
                Function(
                    service,
                    logical_id,
                    properties["Handler"],
                    package.zip_for(logical_id),
                    {name: _text(value) for name, value in variables.items()},
                )
            )
    return found


def unpack(zip_path: Path, folder: Path) -> Path:
    """The zip unpacked as Lambda does into ``folder``, then made read-only."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return folder


def lambda_environment(function: Function, task_root: Path) -> dict[str, str]:
    """What Lambda sets before the handler's import, with the function's own variables."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        **function.environment,
    }


def import_once(
    python: str, folders: list[Path], module: str, environment: dict[str, str], watch: bool = False
) -> dict[str, Any]:
    """One fresh process importing ``module``: isolated (no user site, no PYTHON* variables), no site
    packages, writing no bytecode (the code folder is read-only)."""
    command = [python, "-I", "-S", "-B", "-c", PROBE, ":".join(map(str, folders)), module, "watch" if watch else "time"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


@dataclass
class Row:
    label: str
    service: str
    samples: list[float] = field(default_factory=list)  # CPU ms per run

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class ColdStartResults:
    python: str
    python_version: str
    boto3_version: str
    runs: int
    rows: list[Row]
    boto3: Row
    zip_sizes: dict[str, int]


def run_coldstart(runs: int = RUNS) -> ColdStartResults:
    from tests.deploy.conftest import _package  # packaging drives the real tooling, as the deploy tests do

    python = runtime_python(runtime_version(_runtime()))
    sdk = runtime_sdk(python)
    with tempfile.TemporaryDirectory(prefix="coldstart-") as scratch:
        root = Path(scratch)
        with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
            futures = {service: pool.submit(_package, service, root / "packages" / service) for service in SERVICES}
            packaged = {service: future.result() for service, future in futures.items()}
        cases = []  # (row, folders, module, environment)
        rows = []
        for function in functions(packaged):
            row = Row(f"{function.service}: {function.name} (`{function.module}`)", function.service)
            rows.append(row)
            task = unpack(function.zip_path, root / "task" / function.name)
            cases.append((row, [task, sdk], function.module, lambda_environment(function, task)))
        bare = Row("bare `import boto3` (the runtime's SDK)", "")
        plain = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_DEFAULT_REGION": "us-east-1"}
        cases.append((bare, [sdk], "boto3", plain))
        # Rounds interleave every case, so load from the rest of the machine spreads over all of them.
        for _ in range(runs):
            for row, folders, module, environment in cases:
                row.samples.append(import_once(python, folders, module, environment)["cpu_ms"])
        sizes = {
            f"{function.service}/{function.zip_path.name}": function.zip_path.stat().st_size
            for function in functions(packaged)
        }
        version = subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]
        for path in root.rglob("*"):  # read-only folders would stop the clean-up
            if path.is_dir():
                path.chmod(0o755)
        (root / "task").chmod(0o755)
    return ColdStartResults(python, version, pinned_boto3(), runs, rows, bare, sizes)


def _runtime() -> str:
    """The functions' runtime, from the settings every service shares."""
    import yaml

    common = yaml.safe_load((REPO / "services" / "serverless.common.yml").read_text())
    return str(common["provider"]["runtime"])


def coldstart_section(r: ColdStartResults) -> Section:
    rows = [[row.label, f"{row.median:,.0f} ms"] for row in [*r.rows, r.boto3]]
    targets = []
    for service, limit in TARGET_MS.items():
        worst = max((row for row in r.rows if row.service == service), key=lambda row: row.median)
        targets.append(
            Target(
                f"Cold start: {service} handler import from its zip (CPU, CPython {r.python_version})",
                f"<= {limit:,.0f} ms",
                f"{worst.median:,.0f} ms (`import boto3` alone: {r.boto3.median:,.0f} ms)",
                worst.median <= limit,
            )
        )
    sizes = table(["Zip", "Size"], [[name, f"{size / 2**20:,.2f} MB"] for name, size in sorted(r.zip_sizes.items())])
    return Section(
        "coldstart",
        "Cold start",
        {
            "python": f"{r.python_version} ({r.python})",
            "boto3": r.boto3_version,
            "runs": r.runs,
            "table": table(["Handler", "Import CPU"], rows),
            "sizes": sizes,
        },
        targets,
    )
