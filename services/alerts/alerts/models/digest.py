"""What is announced: one alert per changed item, gathered into one digest per store."""

from __future__ import annotations

import json
from dataclasses import dataclass

from inventory.forecast import Forecast
from inventory.history import HistoryEntry

from alerts.models.change import Alert, StockChange


@dataclass(frozen=True, slots=True)
class Announcement:
    """An alert still to be announced, with the History row that records it.

    One change may raise two (``restocked`` and ``soon``): two announcements, one row.
    ``forecast`` is the projection a ``soon`` line states.
    """

    change: StockChange
    alert: Alert
    entry: HistoryEntry
    forecast: Forecast | None = None
    recorded_before: bool = False  # an earlier delivery recorded the change (and may have announced it)


@dataclass(frozen=True, slots=True)
class Digest:
    """One SNS message for one store: a subject, a short body (email), a text with no uploaded
    words (SMS) and filterable attributes."""

    store: str
    subject: str
    body: str
    sms: str
    severity: Alert  # the most severe alert in the digest
    severities: tuple[Alert, ...]  # every severity in the digest, most severe first
    items: int  # how many alerts the digest carries

    def message(self) -> str:
        """The ``Message`` for ``MessageStructure="json"``: each protocol its own text. SNS requires
        ``default`` (used by every protocol not named: https, sqs, lambda get the email text)."""
        return json.dumps({"default": self.body, "email": self.body, "sms": self.sms}, ensure_ascii=False)

    def attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes, for subscription filter policies (a String.Array matches any element)."""
        return {
            "store": {"DataType": "String", "StringValue": self.store},
            "severity": {"DataType": "String", "StringValue": self.severity.value},
            "severities": {
                "DataType": "String.Array",
                "StringValue": json.dumps([alert.value for alert in self.severities]),
            },
            "items": {"DataType": "Number", "StringValue": str(self.items)},
        }
