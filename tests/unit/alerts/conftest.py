"""The alerts flow wired to in-memory fakes: the real batch flow and the handler's reporting, no AWS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from alerts.handlers.stream import process_stream_batch
from alerts.logic.alerting import AlertService
from alerts.logic.batch_forecasts import Forecasting
from inventory.observability import metrics

from tests.builders import LambdaContext, stream_event
from tests.fakes.alerts import FakeChangeLog, FakeForecastTable, FakeTopic


@dataclass
class AlertsWorld:
    changes: FakeChangeLog = field(default_factory=FakeChangeLog)
    topic: FakeTopic = field(default_factory=FakeTopic)
    forecasts: FakeForecastTable = field(default_factory=FakeForecastTable)
    default_threshold: int = 5
    soon_days: float = 3.0
    writers: int = 1  # one: the fakes' scripted faults then hit the rows in a known order

    def service(self) -> AlertService:
        return AlertService(
            changes=self.changes,
            notifier=self.topic,
            forecasting=Forecasting(self.forecasts, self.soon_days, writers=self.writers),
            default_threshold=self.default_threshold,
            retention_days=90,
            clock=lambda: "2026-11-22T03:00:05.000Z",
        )

    def deliver(self, *records: dict[str, Any], context: Any = None) -> list[str]:
        """Hand a batch to the handler's flow as Lambda would; returns the failed records' sequence numbers."""
        response = process_stream_batch(stream_event(*records), self.service(), context or LambdaContext())
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


def counted(name: str) -> float:
    """The sum of a metric's values added so far in this test (Powertools' EMF metric set)."""
    return float(sum(metrics.metric_set.get(name, {}).get("Value", [])))
