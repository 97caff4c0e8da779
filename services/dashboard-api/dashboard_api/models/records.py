"""What the data-access layer hands to the logic: items, pages, history entries, reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inventory.models import StockStatus
from inventory.table import StoredItem


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """An Inventory item and its status as stored (``AlertStatus``, absent meaning ok)."""

    stored: StoredItem
    status: StockStatus


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One DynamoDB Query page: the items it returned, how many it examined, where it stopped."""

    items: list[ItemRecord]
    scanned: int
    last_item: str | None  # the Item of LastEvaluatedKey; None when the partition is done
    last_status: str | None = None  # its AlertStatus, for pages of the alerts index


@dataclass(frozen=True, slots=True)
class ReportObject:
    """A report file in the bucket, as listed (not yet read)."""

    key: str
    last_modified: str  # ISO 8601 UTC


@dataclass(frozen=True, slots=True)
class Report:
    key: str
    last_modified: str
    body: dict[str, Any]
