"""One function's execution environment: ``python -m devstack.worker <handler>`` in the function's folder.

Like a Lambda execution environment it imports the handler once (the init phase, with the function's own
environment variables) and then serves invocations one at a time. Requests arrive as JSON lines on stdin;
replies leave on the process's original stdout, while everything the function prints (Powertools' JSON logs)
goes to stderr, which is the developer's console.

Before the handler is imported, every botocore session the function will create gets event handlers
(:class:`CallRecorder`): each request carries the function's name in ``x-devstack-function``, so the
emulator can answer as AWS answers that function's role, and each AWS call is written, as the IAM requests
it needs (:mod:`devstack.iam`), to the file ``DEVSTACK_CALLS_FILE`` names (once per distinct request).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
from typing import Any, TextIO

from botocore import handlers

from devstack import iam

#: The request header naming the function that makes a call (read by devstack.gateway).
FUNCTION_HEADER = "x-devstack-function"


class LambdaContext:
    """The context object Lambda passes to a handler (the attributes Powertools and handlers read)."""

    def __init__(self, request_id: str, deadline_ms: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("DEVSTACK_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"))
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


class CallRecorder:
    """Names the function on each request; with a ``path``, appends each distinct IAM request its calls make
    to that JSON-lines file."""

    def __init__(self, path: str, function: str, region: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else None
        self._function = function
        self._region = region
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def install(self) -> None:
        """On every botocore session created from now on (and so on every client of the function)."""
        handlers.BUILTIN_HANDLERS.append(("before-send", self.on_send))
        if self._fd is not None:
            handlers.BUILTIN_HANDLERS.extend(
                [("before-parameter-build", self.on_call), ("before-sign.s3.PutObject", self.on_presigned_post)]
            )

    def on_call(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if context.get("is_presign_request") and model.name == "CreateBucket":
            return  # botocore builds a presigned POST's URL this way: recorded when it is signed
        service = model.service_model.signing_name
        self._write(service, model.name, iam.requests(service, model.name, params, self._region))

    def on_presigned_post(self, request: Any, **_: Any) -> None:
        policy = request.context.get("s3-presign-post-policy")
        if policy is not None:
            self._write("s3", "PresignedPost", iam.presigned_post(policy))

    def on_send(self, request: Any, **_: Any) -> None:
        request.headers[FUNCTION_HEADER] = self._function

    def _write(self, service: str, operation: str, found: list[iam.Request]) -> None:
        lines = []
        with self._lock:
            for request in found:
                key = (operation, request.action, request.resource)
                if key not in self._seen:
                    self._seen.add(key)
                    record = {"service": service, "operation": operation, **vars(request)}
                    lines.append(json.dumps(record) + "\n")
        if lines and self._fd is not None:
            os.write(self._fd, "".join(lines).encode())


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def main(handler_path: str) -> int:
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the function's own output goes to the console, not into the protocol
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    module_path, _, function_name = handler_path.rpartition(".")
    calls_file = os.environ.pop("DEVSTACK_CALLS_FILE", "")
    region = os.environ.get("AWS_REGION", "us-east-1")
    CallRecorder(calls_file, os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""), region).install()
    try:
        module = importlib.import_module(module_path.replace("/", "."))
        handler = getattr(module, function_name)
    except Exception as error:
        traceback.print_exc()
        _send(channel, {"ready": False, "error": _error(error)})
        return 1
    _send(
        channel,
        {
            "ready": True,
            "module_file": os.path.abspath(str(module.__file__)) if getattr(module, "__file__", None) else "",
            "function": function_name,
            "environment": dict(os.environ),
        },
    )
    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(request["request_id"], request["deadline_ms"])
        try:
            result = handler(request["event"], context)
            reply = {"id": request["id"], "ok": True, "result": json.loads(json.dumps(result))}
        except Exception as error:
            # Indented, so the console shows the first line only (the log file keeps the trace).
            trace = "".join(f"    {line}\n" for line in traceback.format_exc().splitlines())
            print(f"[ERROR] {type(error).__name__}: {error}\n{trace}", file=sys.stderr, end="", flush=True)
            reply = {"id": request["id"], "ok": False, "error": _error(error)}
        _send(channel, reply)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
