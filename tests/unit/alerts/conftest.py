"""The alerts flow wired to in-memory fakes: Powertools' batch processing, real logic, no AWS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from alerts.logic.alerting import AlertService
from alerts.logic.batch import DigestBatchProcessor
from aws_lambda_powertools.utilities.batch import process_partial_response
from inventory.observability import metrics

from tests.builders import LambdaContext, stream_event
from tests.fakes import FakeHistory, FakeTopic


@dataclass
class AlertsWorld:
    history: FakeHistory = field(default_factory=FakeHistory)
    topic: FakeTopic = field(default_factory=FakeTopic)
    default_threshold: int = 5

    def service(self) -> AlertService:
        return AlertService(
            history=self.history,
            notifier=self.topic,
            default_threshold=self.default_threshold,
            retention_days=90,
            clock=lambda: "2026-11-22T03:00:05.000Z",
        )

    def deliver(self, *records: dict[str, Any]) -> list[str]:
        """Hand a batch to the processor as Lambda would; returns the failed records' sequence numbers."""
        service = self.service()
        response = process_partial_response(
            event=stream_event(*records),
            record_handler=service.record_change,
            processor=DigestBatchProcessor(service),
            context=LambdaContext(),  # type: ignore[arg-type]
        )
        return [str(failure["itemIdentifier"]) for failure in response["batchItemFailures"]]

    def lines(self, store: str) -> list[list[str]]:
        """The item lines of each digest published for a store."""
        return [digest.body.splitlines()[1:] for digest in self.topic.published if digest.store == store]


@pytest.fixture(autouse=True)
def _metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The metrics singleton may have been created (at collection) before the namespace was set.
    monkeypatch.setattr(metrics, "namespace", metrics.namespace or "Inventory")
    yield
    metrics.clear_metrics()


@pytest.fixture
def world() -> AlertsWorld:
    return AlertsWorld()
