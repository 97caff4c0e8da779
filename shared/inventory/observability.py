"""Powertools observability, created once per process.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` and the metrics namespace from
``POWERTOOLS_METRICS_NAMESPACE``, both set per function in ``serverless.yml``.

Tracing is on in Lambda (the functions' active X-Ray tracing) unless ``POWERTOOLS_TRACE_DISABLED`` is
set; where it is off (the local stack, tests, benchmarks), handlers get a tracer that does nothing:
Powertools' Tracer would still import the X-Ray SDK and wrap every invocation in a dummy subsegment.

Domain code counts through :func:`count` and never names Powertools' types; the handlers'
``@metrics.log_metrics`` flushes what was counted at the end of each invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit


class Untraced:
    """The part of Powertools' Tracer the handlers use, for where tracing is off."""

    def capture_lambda_handler(
        self,
        handler: Callable[..., Any] | None = None,
        capture_response: bool | None = None,  # noqa: ARG002 - Tracer's signature: nothing is captured here
        capture_error: bool | None = None,  # noqa: ARG002
    ) -> Callable[..., Any]:
        """The handler as it is (used bare or called with Tracer's options first)."""
        return handler if handler is not None else (lambda decorated: decorated)


def tracing_on() -> bool:
    """Powertools' own rule: in Lambda (``LAMBDA_TASK_ROOT``), not under SAM or Chalice, and not
    ``POWERTOOLS_TRACE_DISABLED``."""
    return not Tracer._is_tracer_disabled()


logger = Logger()
tracer: Tracer | Untraced = Tracer() if tracing_on() else Untraced()
metrics = Metrics()


def count(name: str, value: float = 1) -> None:
    """Add ``value`` to this invocation's count ``name`` (a CloudWatch metric of unit ``Count``)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
