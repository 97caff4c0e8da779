"""Run the repo's functions locally, each in its own execution environment (a worker process).

A worker per function keeps what Lambda keeps apart apart: each function's environment variables,
module-level caches and Powertools service name. The worker imports the handler from its ``handler`` path
in the service folder, with the function's resolved ``environment`` plus ``AWS_ENDPOINT_URL`` pointing at
the emulator, and invokes it with a Lambda-like context object (see :mod:`devstack.worker`).

Everything a function prints goes, whole, to its log file (``<state dir>/logs/<function key>.log``,
Powertools' development format: ``POWERTOOLS_DEV`` is set, so no metric blobs either), and one short line
per log record goes to the console (:class:`FunctionLog`). Every AWS call a function makes is recorded, as
the IAM requests it needs, in ``<state dir>/calls/<function key>.jsonl`` (see :mod:`devstack.worker`).
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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from devstack.config import REPO
from devstack.emulator import FAKE_CREDENTIALS, console
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


#: Keys of Powertools' log records that the console line leaves out (the log file keeps them).
_STANDARD_KEYS = {
    "level", "location", "message", "timestamp", "service", "cold_start", "function_name", "function_memory_size",
    "function_arn", "function_request_id", "xray_trace_id", "sampling_rate", "exception", "exception_name",
    "stack_trace", "correlation_id",
}  # fmt: skip
CONSOLE_WIDTH = 160


def console_line(key: str, record: dict[str, Any]) -> str:
    """One log record as a short console line: function, level, message and its own keys."""
    if "message" not in record:  # JSON the function printed itself
        return f"[{key}] {_short(record)}"
    extras = " ".join(f"{name}={_short(value)}" for name, value in record.items() if name not in _STANDARD_KEYS)
    line = f"[{key}] {record.get('level', '')} {record.get('message', '')} {extras}".rstrip()
    if record.get("exception_name"):
        line = f"{line} ({record['exception_name']}; make logs FN={key} shows the trace)"
    return line if len(line) <= CONSOLE_WIDTH else line[: CONSOLE_WIDTH - 3] + "..."


def is_metric_set(line: str) -> bool:
    """True for a CloudWatch embedded-metric document (one JSON line of ``_aws.CloudWatchMetrics``).

    Metrics are off locally (``POWERTOOLS_DEV``), but Powertools still prints a metric set when one metric
    reaches 100 values within an invocation (a stream batch of 100 records and more does): such a set is
    dropped from the console and the log file like those development mode holds back.
    """
    return line.startswith('{"_aws"') and '"CloudWatchMetrics"' in line


def _short(value: Any) -> str:
    """A value in at most 60 characters, cut in the middle: a key's file name, at its end, stays."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 60 else text[:28] + "..." + text[-29:]


class FunctionLog:
    """A function's output: all of it to its log file, a short line per log record to the console."""

    def __init__(self, key: str, path: Path | None, say: Callable[[str], None] = console) -> None:
        self.key = key
        self.path = path
        self._say = say
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")  # a new run starts a new log

    def pump(self, stream: IO[str]) -> None:
        """Read one worker's output until it closes (a thread per worker: records never interleave)."""
        pending: list[str] = []
        for line in stream:
            if not pending and is_metric_set(line):
                continue
            self._write(line)
            if pending or line.startswith("{"):
                pending.append(line)
                if line.rstrip() == "}" or (len(pending) == 1 and line.rstrip().endswith("}")):
                    self._record("".join(pending))
                    pending = []
            elif line.strip() and not line[0].isspace() and "POWERTOOLS_DEV" not in line:
                self._say(f"[{self.key}] {line.rstrip()}"[:CONSOLE_WIDTH])
        if pending:
            self._say(f"[{self.key}] {''.join(pending)}"[:CONSOLE_WIDTH])

    def _record(self, text: str) -> None:
        try:
            record = json.loads(text)
        except ValueError:
            self._say(f"[{self.key}] {' '.join(text.split())}"[:CONSOLE_WIDTH])
            return
        if isinstance(record, dict):
            self._say(console_line(self.key, record))

    def _write(self, line: str) -> None:
        if self.path is not None:
            with self._lock, self.path.open("a") as file:
                file.write(line)


class FunctionRuntime:
    """One warm execution environment of one function; invocations are served one at a time."""

    def __init__(
        self, function: Function, endpoint_url: str, log: FunctionLog | None = None, calls_file: Path | None = None
    ) -> None:
        self.function = function
        self._endpoint_url = endpoint_url
        self._log = log or FunctionLog(function.key, None)
        self._calls_file = calls_file
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
            # Powertools' development mode: readable logs, and no metric (EMF) blobs in them.
            "POWERTOOLS_DEV": "true",
            "PYTHONWARNINGS": "ignore:POWERTOOLS_DEV environment variable is enabled",
            # devstack.worker itself, and the shared package as the function's zip bundles it;
            # the function's own folder is the cwd.
            "PYTHONPATH": os.pathsep.join((str(REPO), str(REPO / "shared"))),
            "PYTHONUNBUFFERED": "1",
            **({"DEVSTACK_CALLS_FILE": str(self._calls_file)} if self._calls_file else {}),
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
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the stack, which then stops its functions in order
        )
        assert self._process.stderr is not None
        threading.Thread(target=self._log.pump, args=(self._process.stderr,), daemon=True).start()
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

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        """Invoke the handler with ``event``; raises :class:`FunctionError` as Lambda would report it.

        ``request_id`` is the context's ``aws_request_id``: a new one unless given (a retry of an asynchronous
        invocation keeps its first try's).
        """
        with self._lock:
            if (self._process is None or self._process.poll() is not None) and not self._start():
                raise FunctionError(self.function.name, self.init_error or {})
            assert self._process is not None
            assert self._process.stdin is not None
            self._sequence += 1
            deadline = time.time() + self.function.timeout
            request = {
                "id": self._sequence,
                "request_id": request_id or str(uuid.uuid4()),
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
        """End the worker's loop (at the end of its input), or kill it if it does not end in 3 s."""
        if self._process is not None and self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=3)
        self._kill()


class FunctionPool:
    """A function's execution environments: one per concurrent invocation, up to a local limit.

    Like Lambda, a second invocation arriving while the first runs gets another environment (started on
    demand) instead of waiting; ``reservedConcurrency`` lowers the limit. The first environment is the
    one warmed at start-up, whose handler file and environment stack.json reports.
    """

    #: Environments per function at most (each is a Python process).
    LOCAL_CONCURRENCY = 4

    def __init__(
        self, function: Function, endpoint_url: str, log: FunctionLog | None = None, calls_file: Path | None = None
    ) -> None:
        self.function = function
        self._endpoint_url = endpoint_url
        self.log = log or FunctionLog(function.key, None)
        self._calls_file = calls_file
        limit = function.reserved_concurrency
        self.limit = max(1, min(self.LOCAL_CONCURRENCY, self.LOCAL_CONCURRENCY if limit is None else limit))
        self._environments = [FunctionRuntime(function, endpoint_url, self.log, calls_file)]
        self._busy: set[int] = set()
        self._condition = threading.Condition()

    @property
    def first(self) -> FunctionRuntime:
        return self._environments[0]

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        with self._condition:
            while True:
                idle = [i for i in range(len(self._environments)) if i not in self._busy]
                if idle:
                    index = idle[0]
                    break
                if len(self._environments) < self.limit:
                    self._environments.append(
                        FunctionRuntime(self.function, self._endpoint_url, self.log, self._calls_file)
                    )
                    index = len(self._environments) - 1
                    break
                self._condition.wait()
            self._busy.add(index)
            environment = self._environments[index]
        try:
            return environment.invoke(event, request_id)
        finally:
            with self._condition:
                self._busy.discard(index)
                self._condition.notify()

    def stop(self) -> None:
        for environment in self._environments:
            environment.stop()


class Functions:
    """Every function of every service, by ARN and by name, and Lambda's asynchronous invocation."""

    def __init__(
        self,
        functions: Iterable[Function],
        endpoint_url: str,
        log_dir: Path | None = None,
        sqs: Any = None,
        say: Callable[[str], None] = print,
        *,
        calls_dir: Path | None = None,
    ) -> None:
        functions = list(functions)
        if calls_dir is not None:
            calls_dir.mkdir(parents=True, exist_ok=True)
            for function in functions:
                (calls_dir / f"{function.key}.jsonl").write_text("")  # a new run records anew
        self.runtimes = [
            FunctionPool(
                f,
                endpoint_url,
                FunctionLog(f.key, log_dir / f"{f.key}.log" if log_dir else None),
                calls_dir / f"{f.key}.jsonl" if calls_dir else None,
            )
            for f in functions
        ]
        self._sqs = sqs
        self._say = say
        self._stop = threading.Event()
        self._async = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lambda-async")
        self._pending = 0
        self._idle = threading.Condition()

    def by_arn(self, arn: str) -> FunctionPool | None:
        return next((runtime for runtime in self.runtimes if runtime.function.arn == arn), None)

    def by_name(self, name: str) -> FunctionPool | None:
        """A function by its deployed name or its key in serverless.yml."""
        return next((r for r in self.runtimes if name in (r.function.name, r.function.key)), None)

    def start_all(self) -> list[FunctionRuntime]:
        """Warm every function's first environment in parallel; returns those that failed to initialise."""
        firsts = [runtime.first for runtime in self.runtimes]
        with ThreadPoolExecutor(max_workers=max(1, len(firsts))) as pool:
            list(pool.map(FunctionRuntime.start, firsts))
        return [first for first in firsts if first.init_error is not None]

    def stop_all(self) -> None:
        self._stop.set()
        self._async.shutdown(wait=False, cancel_futures=True)
        for runtime in self.runtimes:
            runtime.stop()

    def invoke_async(self, runtime: FunctionPool, event: Any) -> None:
        """Queue an asynchronous invocation (InvocationType Event) and return at once."""
        with self._idle:
            self._pending += 1
        self._async.submit(self._run_async, runtime, event)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every asynchronous invocation queued so far has finished (True) or ``timeout`` passes."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run_async(self, runtime: FunctionPool, event: Any) -> None:
        try:
            self.run_async(runtime, event)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def run_async(self, runtime: FunctionPool, event: Any) -> None:
        """Lambda's asynchronous invocation: the first try plus ``maximumRetryAttempts`` retries, then the
        on-failure destination.

        Every try of one event has the same request id, as on Lambda: a function can tell its retries apart
        from new events by it (ingest counts the attempts of an upload's claim this way).
        """
        function = runtime.function
        attempts = 1 + function.max_retries
        request_id = str(uuid.uuid4())
        error: dict[str, Any] = {}
        for attempt in range(1, attempts + 1):
            try:
                runtime.invoke(event, request_id)
                return
            except FunctionError as failure:
                error = failure.error
                self._say(f"{function.key} failed (attempt {attempt}/{attempts}): {failure}")
                if attempt < attempts and self._stop.wait(min(60, 2**attempt)):
                    return
        if function.on_failure.startswith("arn:aws:sqs:") and self._sqs is not None:
            url = self._sqs.get_queue_url(QueueName=function.on_failure.rsplit(":", 1)[-1])["QueueUrl"]
            self._sqs.send_message(
                QueueUrl=url, MessageBody=json.dumps(failure_record(function, event, error, attempts, request_id))
            )
            self._say(f"{function.key}: event sent to its on-failure destination {url}")


def failure_record(
    function: Function, event: Any, error: dict[str, Any], attempts: int, request_id: str
) -> dict[str, Any]:
    """What Lambda sends an on-failure destination after an asynchronous invocation's last retry."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": error,
    }
