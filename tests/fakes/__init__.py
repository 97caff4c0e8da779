"""In-memory stand-ins for integrations, handed to logic in unit tests instead of mocks: one module per
service (``ingest``, ``alerts``, ``api``), each fake satisfying the Protocol it stands in for (checked by mypy).

Every fake is importable from here as well (``from tests.fakes import FakeTopic``).
"""

from tests.fakes.alerts import (
    FakeChangeLog,
    FakeForecastTable,
    FakeRecountProgress,
    FakeTopic,
    SteppingClock,
    TimedRecounter,
)
from tests.fakes.api import (
    FakeAlertsTopic,
    FakeForecastReader,
    FakeHistoryReader,
    FakeItemReader,
    FakeReports,
    FakeRevocations,
    FakeSigner,
    FakeStoreDirectory,
    FakeSubscriptionRows,
    FakeTexts,
    FakeUploadIndex,
    FakeUserDirectory,
)
from tests.fakes.ingest import FakeDynamoDB, FakeIam, FakeInvoker, FakeItemTable

__all__ = [
    "FakeAlertsTopic",
    "FakeChangeLog",
    "FakeDynamoDB",
    "FakeForecastReader",
    "FakeForecastTable",
    "FakeHistoryReader",
    "FakeIam",
    "FakeInvoker",
    "FakeItemReader",
    "FakeItemTable",
    "FakeRecountProgress",
    "FakeReports",
    "FakeRevocations",
    "FakeSigner",
    "FakeStoreDirectory",
    "FakeSubscriptionRows",
    "FakeTexts",
    "FakeTopic",
    "FakeUploadIndex",
    "FakeUserDirectory",
    "SteppingClock",
    "TimedRecounter",
]
