"""One function's execution environment: ``python -m devstack.worker <handler>`` in the function's folder.

Like a Lambda execution environment it imports the handler once (the init phase, with the function's own
environment variables) and then serves invocations one at a time. Requests arrive as JSON lines on stdin;
replies leave on the process's original stdout, while everything the function prints (Powertools' JSON logs)
goes to stderr, which is the developer's console.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, TextIO


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
