"""Powertools observability, created once per process.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` and the metrics namespace from
``POWERTOOLS_METRICS_NAMESPACE``, both set per function in ``serverless.yml``.

Tracing is on in Lambda (the functions' active X-Ray tracing) unless ``POWERTOOLS_TRACE_DISABLED`` is
set; where it is off (the local stack, tests, benchmarks), handlers get a tracer that does nothing:
Powertools' Tracer would still import the X-Ray SDK and wrap every invocation in a dummy subsegment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer


class Untraced:
    """The part of Powertools' Tracer the handlers use, for where tracing is off."""

    def capture_lambda_handler(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        return handler


def tracing_on() -> bool:
    """Powertools' own rule: in Lambda (``LAMBDA_TASK_ROOT``), not under SAM or Chalice, and not
    ``POWERTOOLS_TRACE_DISABLED``."""
    return not Tracer._is_tracer_disabled()


logger = Logger()
tracer: Tracer | Untraced = Tracer() if tracing_on() else Untraced()
metrics = Metrics()
