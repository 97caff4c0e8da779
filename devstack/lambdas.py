"""Run the repo's functions locally, each in its own execution environment (a worker process).

A worker per function keeps what Lambda keeps apart apart: each function's environment variables,
module-level caches and Powertools service name. The worker imports the handler from its ``handler`` path
in the service folder, with the function's resolved ``environment`` plus ``AWS_ENDPOINT_URL`` pointing at
the emulator, and invokes it with a Lambda-like context object (see :mod:`devstack.worker`).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from devstack.config import REPO
from devstack.emulator import FAKE_CREDENTIALS
from devstack.provision import Function

#: Variables of the environment Lambda sets that the local stack sets too.
RUNTIME_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "LAMBDA_TASK_ROOT",
    "_HANDLER",
)


class FunctionError(Exception):
    """An invocation failed: the handler raised, timed out, or could not be imported."""

    def __init__(self, function: str, error: dict[str, Any]) -> None:
        super().__init__(f"{function}: {error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


class FunctionRuntime:
    """One warm execution environment of one function; invocations are served one at a time."""

    def __init__(self, function: Function, endpoint_url: str) -> None:
        self.function = function
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._sequence = 0
        self.module_file = ""
        self.environment: dict[str, str] = {}
        self.init_error: dict[str, Any] | None = None

    @property
    def directory(self) -> Path:
        return REPO / "services" / self.function.service

    def process_environment(self) -> dict[str, str]:
        """Only what Lambda would give the function: nothing of the developer's shell (or AWS profile)."""
        base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if key in os.environ}
        return {
            **base,
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self._endpoint_url,
            "AWS_LAMBDA_FUNCTION_NAME": self.function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "LAMBDA_TASK_ROOT": str(self.directory),
            "_HANDLER": self.function.handler,
            "DEVSTACK_FUNCTION_ARN": self.function.arn,
            # No X-Ray daemon locally; Powertools would otherwise try to emit segments.
            "POWERTOOLS_TRACE_DISABLED": "true",
            # devstack.worker itself, and the shared package as the function's zip bundles it;
            # the function's own folder is the cwd.
            "PYTHONPATH": os.pathsep.join((str(REPO), str(REPO / "shared"))),
            "PYTHONUNBUFFERED": "1",
            **self.function.environment,
        }

    def start(self) -> bool:
        """Start the environment and import the handler; False (with :attr:`init_error`) if that failed."""
        with self._lock:
            return self._start()

    def _start(self) -> bool:
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "devstack.worker", self.function.handler],
            cwd=self.directory,
            env=self.process_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the stack, which then stops its functions in order
        )
        ready = self._read(time.monotonic() + 120)
        if ready is None or not ready.get("ready"):
            self.init_error = (ready or {}).get("error") or {"errorType": "Runtime.ExitError", "errorMessage": "exited"}
            self._kill()
            return False
        self.init_error = None
        self.module_file = str(ready["module_file"])
        declared = set(self.function.environment) | set(RUNTIME_VARIABLES)
        self.environment = {key: value for key, value in ready["environment"].items() if key in declared}
        return True

    def invoke(self, event: Any) -> Any:
        """Invoke the handler with ``event``; raises :class:`FunctionError` as Lambda would report it."""
        with self._lock:
            if (self._process is None or self._process.poll() is not None) and not self._start():
                raise FunctionError(self.function.name, self.init_error or {})
            assert self._process is not None
            assert self._process.stdin is not None
            self._sequence += 1
            deadline = time.time() + self.function.timeout
            request = {
                "id": self._sequence,
                "request_id": str(uuid.uuid4()),
                "deadline_ms": deadline * 1000,
                "event": event,
            }
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
            except OSError:
                self._kill()
                raise FunctionError(
                    self.function.name, {"errorType": "Runtime.ExitError", "errorMessage": "exited"}
                ) from None
            reply = self._read(time.monotonic() + self.function.timeout + 2)
            if reply is None:
                timed_out = self._process.poll() is None
                self._kill()
                message = f"Task timed out after {self.function.timeout} seconds" if timed_out else "Runtime exited"
                raise FunctionError(self.function.name, {"errorType": "Runtime.ExitError", "errorMessage": message})
            if not reply["ok"]:
                raise FunctionError(self.function.name, reply["error"])
            return reply["result"]

    def _read(self, deadline: float) -> dict[str, Any] | None:
        assert self._process is not None
        assert self._process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                return None
        line = self._process.stdout.readline()
        return json.loads(line) if line else None

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._process is not None:
            self._process.wait(timeout=10)
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
        self._process = None

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # the worker's loop ends at end of input
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        self._process = None


class FunctionPool:
    """A function's execution environments: one per concurrent invocation, up to a local limit.

    Like Lambda, a second invocation arriving while the first runs gets another environment (started on
    demand) instead of waiting; ``reservedConcurrency`` lowers the limit. The first environment is the
    one warmed at start-up, whose handler file and environment stack.json reports.
    """

    #: Environments per function at most (each is a Python process).
    LOCAL_CONCURRENCY = 4

    def __init__(self, function: Function, endpoint_url: str) -> None:
        self.function = function
        self._endpoint_url = endpoint_url
        limit = function.reserved_concurrency
        self.limit = max(1, min(self.LOCAL_CONCURRENCY, self.LOCAL_CONCURRENCY if limit is None else limit))
        self._environments = [FunctionRuntime(function, endpoint_url)]
        self._busy: set[int] = set()
        self._condition = threading.Condition()

    @property
    def first(self) -> FunctionRuntime:
        return self._environments[0]

    @property
    def init_error(self) -> dict[str, Any] | None:
        return self.first.init_error

    @property
    def module_file(self) -> str:
        return self.first.module_file

    @property
    def environment(self) -> dict[str, str]:
        return self.first.environment

    def start(self) -> bool:
        return self.first.start()

    def invoke(self, event: Any) -> Any:
        with self._condition:
            while True:
                idle = [i for i in range(len(self._environments)) if i not in self._busy]
                if idle:
                    index = idle[0]
                    break
                if len(self._environments) < self.limit:
                    self._environments.append(FunctionRuntime(self.function, self._endpoint_url))
                    index = len(self._environments) - 1
                    break
                self._condition.wait()
            self._busy.add(index)
            environment = self._environments[index]
        try:
            return environment.invoke(event)
        finally:
            with self._condition:
                self._busy.discard(index)
                self._condition.notify()

    def stop(self) -> None:
        for environment in self._environments:
            environment.stop()


class Functions:
    """Every function of every service, by ARN and by name."""

    def __init__(self, functions: Iterable[Function], endpoint_url: str) -> None:
        self.runtimes = [FunctionPool(function, endpoint_url) for function in functions]

    def by_arn(self, arn: str) -> FunctionPool | None:
        return next((runtime for runtime in self.runtimes if runtime.function.arn == arn), None)

    def by_name(self, name: str) -> FunctionPool | None:
        return next((runtime for runtime in self.runtimes if runtime.function.name == name), None)

    def start_all(self) -> list[FunctionPool]:
        """Warm every function in parallel; returns those that failed to initialise."""
        threads = [threading.Thread(target=runtime.start) for runtime in self.runtimes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [runtime for runtime in self.runtimes if runtime.init_error is not None]

    def stop_all(self) -> None:
        for runtime in self.runtimes:
            runtime.stop()
