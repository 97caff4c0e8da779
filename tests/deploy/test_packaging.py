"""`serverless package` builds, for every function, a zip that runs on the python3.12 x86_64 Lambda runtime.

Each zip holds its handler, the current shared `inventory` package and the runtime dependencies, each
module with its bytecode for the runtime's Python, and nothing the runtime already provides (the AWS SDK
and what it depends on) or that only development needs.
"""

from __future__ import annotations

import _imp
import re
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from bench.coldstart_bench import functions, import_once, lambda_environment, runtime_sdk, unpack
from services.lambda_zip import runtime_python, runtime_version
from tests.builders import REPO
from tests.deploy.conftest import PackagedService, service_names

pytestmark = pytest.mark.deploy

MB = 1024 * 1024
# Lambda accepts 50 MB; smaller zips deploy and cold-start faster. The dashboard API is the largest:
# it needs pydantic (request validation, response models), whose compiled core is 2.2 MB zipped, and
# the bytecode of pydantic and Powertools adds 1.7 MB (it saves about 0.6 s of CPU at each cold start).
ZIP_BUDGET_MB = {"ingest": 5, "alerts": 5, "dashboard-api": 7}
SHARED_SOURCES = sorted((REPO / "shared" / "inventory").glob("*.py"))
# The SDK and its dependencies, as top-level names in a zip (python-dateutil installs dateutil/ and
# python_dateutil-*.dist-info): a copy in the zip would shadow the runtime's own.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "python_dateutil", "six")
DEV_ONLY = re.compile(
    r"(^|/)(tests?|conftest\.py|pytest|_pytest|moto|hypothesis|mypy|ruff|playwright|cfnlint|checkov|"
    r"node_modules|\.venv|\.serverless|serverless\.yml|requirements-dev\.txt|devstack|bench)(/|$)"
)
RUNTIME_EXTENSION = re.compile(r"\.(cpython-312-x86_64-linux-gnu|abi3)\.so$")
ELF_MACHINE_X86_64 = 0x3E


def _functions(service: PackagedService) -> dict[str, str]:
    """Function resource id -> handler, for every Lambda function of the service."""
    return {
        logical_id: resource["Properties"]["Handler"]
        for logical_id, resource in service.resources("AWS::Lambda::Function").items()
    }


# The services with Lambda functions (the dashboard site has none).
FUNCTION_SERVICES = [name for name in service_names() if name in ZIP_BUDGET_MB]


def test_every_service_with_functions_is_in_compose() -> None:
    assert set(FUNCTION_SERVICES) == set(ZIP_BUDGET_MB)


@pytest.fixture(params=FUNCTION_SERVICES)
def service(request: pytest.FixtureRequest, packaged: dict[str, PackagedService]) -> PackagedService:
    return packaged[request.param]


def test_every_function_service_is_packaged_with_at_least_one_zip(service: PackagedService) -> None:
    assert _functions(service), f"{service.name} defines no function"
    for logical_id in _functions(service):
        assert service.zip_for(logical_id).is_file(), logical_id


def test_zip_holds_the_handler_module_and_the_services_package(service: PackagedService) -> None:
    for logical_id, handler in _functions(service).items():
        names = set(service.zip_names(logical_id))
        module = handler.rsplit(".", 1)[0] + ".py"
        package = handler.split("/", 1)[0]

        assert module in names, f"{logical_id}: handler module {module} missing"
        assert f"{package}/__init__.py" in names
        for layer in ("handlers", "logic", "models"):
            assert any(name.startswith(f"{package}/{layer}/") for name in names), f"{package}/{layer} missing"


def test_zip_holds_the_current_shared_package(service: PackagedService) -> None:
    for logical_id in _functions(service):
        with zipfile.ZipFile(service.zip_for(logical_id)) as archive:
            for source in SHARED_SOURCES:
                member = f"inventory/{source.name}"
                assert member in archive.namelist(), f"{logical_id}: {member} missing"
                # Byte for byte: a stale copy from a build cache would ship old domain rules.
                assert archive.read(member) == source.read_bytes(), f"{logical_id}: {member} is not the current source"


def test_zip_holds_the_runtime_dependencies_and_not_the_aws_sdk(service: PackagedService) -> None:
    for logical_id in _functions(service):
        top_level = {name.split("/", 1)[0] for name in service.zip_names(logical_id)}

        assert {"aws_lambda_powertools", "aws_xray_sdk"} <= top_level
        for requirement in (REPO / "services" / service.name / "requirements.txt").read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^]]*\])?==", requirement.strip())
            if match:
                assert match.group(1).replace("-", "_").lower() in top_level, requirement
        bundled = {name.split("-")[0].removesuffix(".py") for name in top_level}
        assert not bundled & set(PROVIDED_BY_RUNTIME), "the Lambda runtime provides the AWS SDK and its dependencies"


def test_zip_holds_no_tests_dev_tools_or_unused_assets(service: PackagedService) -> None:
    for logical_id in _functions(service):
        names = service.zip_names(logical_id)

        assert not [name for name in names if DEV_ONLY.search(name)]
        # Powertools' offline Swagger UI (0.45 MB zipped) is served only by enable_swagger(), which no function calls.
        assert not [name for name in names if "swagger-ui" in name]


def _runtime(service: PackagedService, logical_id: str) -> str:
    return str(service.template["Resources"][logical_id]["Properties"]["Runtime"])


def _bytecode_path(source: str, cache_tag: str) -> str:
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{cache_tag}.pyc").removeprefix("./")


def test_every_module_has_bytecode_for_the_runtimes_python_and_no_other(service: PackagedService) -> None:
    """Lambda's code folder is read-only: a module without bytecode for the runtime's Python is compiled
    again at every cold start. So each .py has its __pycache__/<name>.cpython-312.pyc, and no other .pyc
    (another interpreter's) comes along."""
    for logical_id in _functions(service):
        tag = "cpython-" + runtime_version(_runtime(service, logical_id)).replace(".", "")
        names = set(service.zip_names(logical_id))
        sources = {name for name in names if name.endswith(".py")}
        expected = {_bytecode_path(name, tag) for name in sources}

        assert sources
        assert not expected - names, f"{logical_id}: modules without bytecode: {sorted(expected - names)[:5]}"
        assert not {name for name in names if name.endswith((".pyc", ".pyo"))} - expected


def test_bytecode_is_the_runtimes_and_is_used_whatever_the_unzipped_files_times(service: PackagedService) -> None:
    """Each .pyc carries the magic number of the runtime's CPython version (another version ignores it)
    and is unchecked-hash (PEP 552): CPython loads it without comparing the source's modification time,
    which unzipping does not keep reliably. Its recorded hash is that of the source beside it, so the
    bytecode is the current code's."""
    for logical_id in _functions(service):
        python = runtime_python(runtime_version(_runtime(service, logical_id)))
        probe = "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"
        magic = bytes.fromhex(subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout)
        tag = "cpython-" + runtime_version(_runtime(service, logical_id)).replace(".", "")
        with zipfile.ZipFile(service.zip_for(logical_id)) as archive:
            for source in (name for name in archive.namelist() if name.endswith(".py")):
                header = archive.read(_bytecode_path(source, tag))[:16]
                flags = int.from_bytes(header[4:8], "little")
                source_hash = _imp.source_hash(int.from_bytes(magic, "little"), archive.read(source))

                assert header[:4] == magic, source
                assert flags == 0b01, f"{source}: not unchecked-hash bytecode (flags {flags:#b})"
                assert header[8:16] == source_hash, f"{source}: bytecode of another version of the source"


def test_every_handler_imports_from_its_read_only_zip_without_compiling_a_module(
    packaged: dict[str, PackagedService], tmp_path: Path
) -> None:
    """The proof the bytecode is used: the runtime's CPython imports each handler as Lambda does (the zip
    unpacked read-only, the AWS SDK from the runtime, the function's environment, tracing on), and
    compiles no module of the zip from source on the way; nothing the zip left out is missed either."""
    python = runtime_python(runtime_version(_runtime(packaged["ingest"], "IngestUploadLambdaFunction")))
    sdk = runtime_sdk(python)
    for function in functions(packaged):
        task = unpack(function.zip_path, tmp_path / function.name)

        imported = import_once(python, [task, sdk], function.module, lambda_environment(function, task), watch=True)

        compiled = [path for path in imported["compiled"] if path.startswith(str(task))]
        assert compiled == [], f"{function.name} compiled {compiled[:5]}"
    for path in tmp_path.rglob("*"):  # unpack() made them read-only; pytest cleans up later
        if path.is_dir():
            path.chmod(0o755)


def test_every_compiled_module_is_built_for_cpython_312_on_x86_64(service: PackagedService) -> None:
    for logical_id in _functions(service):
        with zipfile.ZipFile(service.zip_for(logical_id)) as archive:
            libraries = [name for name in archive.namelist() if re.search(r"\.so(\.\d+)*$", name)]
            for name in libraries:
                header = archive.read(name)[:20]
                assert header[:4] == b"\x7fELF", name
                assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_X86_64, f"{name} is not x86_64"
                if ".cpython-" in name or name.endswith(".abi3.so"):
                    assert RUNTIME_EXTENSION.search(name), f"{name} is not built for CPython 3.12"
        if service.name == "dashboard-api":
            # pydantic's core is compiled: proof the wheels were chosen for the runtime, not this machine.
            assert any(name.startswith("pydantic_core/_pydantic_core.cpython-312-x86_64") for name in libraries)


def test_zip_size_is_within_budget(service: PackagedService) -> None:
    for logical_id in _functions(service):
        size = service.zip_for(logical_id).stat().st_size

        assert size < ZIP_BUDGET_MB[service.name] * MB, f"{service.name} zip is {size / MB:.2f} MB"
