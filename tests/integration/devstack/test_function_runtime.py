"""A function's local execution environment: its own process, its own environment, Lambda's error shapes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devstack.lambdas import FunctionError, FunctionPool, FunctionRuntime, Functions
from devstack.provision import Function

pytestmark = pytest.mark.integration

ENDPOINT = "http://127.0.0.1:1"  # never contacted by these handlers


def function(handler: str, **environment: str) -> Function:
    return Function(
        service="ingest",
        key="probe",
        name="inventory-ingest-local-probe",
        handler=handler,
        environment=dict(environment),
        timeout=10,
        memory_size=256,
        events=[],
        arn="arn:aws:lambda:us-east-1:123456789012:function:inventory-ingest-local-probe",
    )


@pytest.fixture
def runtimes() -> Iterator[list[FunctionRuntime]]:
    started: list[FunctionRuntime] = []
    yield started
    for runtime in started:
        runtime.stop()


def test_a_handler_runs_in_its_own_process_with_its_declared_environment(runtimes: list[FunctionRuntime]) -> None:
    runtime = FunctionRuntime(function("builtins.print", INVENTORY_TABLE="local-inventory"), ENDPOINT)
    runtimes.append(runtime)

    assert runtime.start()
    assert runtime.invoke({"Records": []}) is None  # print(event, context) returns None
    assert runtime.environment["INVENTORY_TABLE"] == "local-inventory"
    assert runtime.environment["AWS_ENDPOINT_URL"] == ENDPOINT
    assert runtime.environment["AWS_LAMBDA_FUNCTION_NAME"] == "inventory-ingest-local-probe"


def test_a_handler_that_cannot_be_imported_is_reported_as_lambda_reports_it(runtimes: list[FunctionRuntime]) -> None:
    runtime = FunctionRuntime(function("ingest/handlers/no_such_module.handler"), ENDPOINT)
    runtimes.append(runtime)

    assert not runtime.start()
    assert runtime.init_error is not None
    assert runtime.init_error["errorType"] == "ModuleNotFoundError"
    with pytest.raises(FunctionError, match="ModuleNotFoundError"):
        runtime.invoke({})


def test_a_raising_handler_fails_the_invocation_and_the_environment_survives(runtimes: list[FunctionRuntime]) -> None:
    runtime = FunctionRuntime(function("builtins.divmod"), ENDPOINT)  # divmod(event, context) raises TypeError
    runtimes.append(runtime)

    with pytest.raises(FunctionError) as raised:
        runtime.invoke({"a": 1})
    assert raised.value.error["errorType"] == "TypeError"
    with pytest.raises(FunctionError):
        runtime.invoke({"a": 2})  # the same warm environment answers again


def test_functions_never_see_the_developers_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")

    environment = FunctionRuntime(function("builtins.print"), ENDPOINT).process_environment()

    assert "AWS_PROFILE" not in environment
    assert environment["AWS_ACCESS_KEY_ID"] == "testing"
    assert environment["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert environment["AWS_ENDPOINT_URL"] == ENDPOINT


def test_concurrent_invocations_get_their_own_environments_up_to_the_reserved_concurrency() -> None:
    limited = dataclasses.replace(function("tests/integration/devstack/handlers.slow"), reserved_concurrency=2)
    pool = FunctionPool(limited, ENDPOINT)
    try:
        with ThreadPoolExecutor(max_workers=4) as executor:
            results = list(executor.map(pool.invoke, [{"seconds": 0.5}] * 4))
    finally:
        pool.stop()
    assert len({result["pid"] for result in results}) == 2  # two environments, never more
    assert len({result["request_id"] for result in results}) == 4
    assert all(0 < result["remaining_ms"] <= 10_000 for result in results)  # the function's timeout


def test_retries_of_an_asynchronous_event_keep_its_request_id_and_another_event_gets_its_own(tmp_path: Path) -> None:
    # Given a function that fails the first two tries of an event (Lambda's default retries: two)
    functions = Functions([function("tests/integration/devstack/handlers.flaky")], ENDPOINT)
    retried, other = tmp_path / "retried.txt", tmp_path / "other.txt"

    # When that event, then another one, are invoked asynchronously
    try:
        functions.invoke_async(functions.runtimes[0], {"write_to": str(retried), "fail": 2})
        functions.invoke_async(functions.runtimes[0], {"write_to": str(other), "fail": 0})
        assert functions.wait_idle(timeout=60)
    finally:
        functions.stop_all()

    # Then every try of the first saw one request id (a function counts its retries by it), the other its own
    tries = retried.read_text().splitlines()
    assert len(tries) == 3
    assert len(set(tries)) == 1
    assert other.read_text().splitlines()[0] not in tries
