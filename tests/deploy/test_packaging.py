"""`serverless package` builds, for every function, a zip that runs on the python3.12 x86_64 Lambda runtime.

Each zip holds its handler, the current shared `inventory` package and the runtime dependencies, and
nothing the runtime already provides (boto3) or that only development needs.
"""

from __future__ import annotations

import re
import zipfile

import pytest

from tests.builders import REPO
from tests.deploy.conftest import PackagedService, service_names

pytestmark = pytest.mark.deploy

MB = 1024 * 1024
# Lambda accepts 50 MB; smaller zips deploy and cold-start faster. The dashboard API is the largest:
# it needs pydantic (request validation, response models), whose compiled core is 2.2 MB zipped.
ZIP_BUDGET_MB = {"ingest": 5, "alerts": 5, "dashboard-api": 5}
SHARED_SOURCES = sorted((REPO / "shared" / "inventory").glob("*.py"))
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
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

        assert {"aws_lambda_powertools", "aws_xray_sdk", "jmespath"} <= top_level
        for requirement in (REPO / "services" / service.name / "requirements.txt").read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^]]*\])?==", requirement.strip())
            if match:
                assert match.group(1).replace("-", "_").lower() in top_level, requirement
        assert not top_level & set(PROVIDED_BY_RUNTIME), "the Lambda runtime provides the AWS SDK"
        assert not any(name.split("-")[0] in PROVIDED_BY_RUNTIME for name in top_level)


def test_zip_holds_no_tests_dev_tools_or_stale_bytecode(service: PackagedService) -> None:
    for logical_id in _functions(service):
        names = service.zip_names(logical_id)

        assert not [name for name in names if DEV_ONLY.search(name)]
        # Bytecode compiled by the packaging machine's Python is ignored by the 3.12 runtime.
        assert not [name for name in names if name.endswith((".pyc", ".pyo"))]


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
