"""The Inventory table: keys and the item mapping, shared by its writer (ingest) and its readers.

Schema (the lab's, so its queries keep working): partition key ``Store``, sort key
``Item``, the level in ``Count``. Further attributes:

- ``Threshold``: the item's own low-stock level, absent when the stage default applies;
- ``AlertStatus``: ``out`` or ``low``, absent when the item is ok, which keeps the
  ``AlertsByStore`` index sparse (only alerting items are in it);
- ``UpdatedAt``: when ingest last changed the item (ISO 8601 UTC);
- ``LeadTimeDays`` (N), ``PackSize`` (N), ``Supplier`` (S): how the item is reordered, each
  absent until an upload gives it (see :class:`inventory.models.Ordering`);
- ``SourceKey``, ``SourceTime``, ``SourceSeq``: the upload that set the level (or retired the item);
- ``Retired``: when a full list of the store omitted the item (ISO 8601 UTC), absent while it is
  listed. A retired item keeps its count and threshold but counts nowhere: not in its store's
  totals, not in the alerts index (it has no ``AlertStatus``), not forecast; a file naming it
  brings it back.

Ingest's batched reads and writes live in ``ingest.dal.inventory``; this module only maps an
item to and from DynamoDB's attribute-value form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inventory.models import NO_ORDERING, Ordering, SourceVersion, StockStatus, stock_status

#: Name of the sparse index holding only out-of-stock and low-stock items.
ALERTS_INDEX = "AlertsByStore"
#: Set on an item a full list omitted (see the module docstring).
RETIRED = "Retired"

AttributeMap = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as the Inventory table holds it."""

    store: str
    item: str
    count: int
    threshold: int | None
    updated_at: str
    source: SourceVersion
    ordering: Ordering = NO_ORDERING

    def status(self, default_threshold: int) -> StockStatus:
        """The item's stock status under the stage's default threshold."""
        return stock_status(self.count, self.threshold, default_threshold)


def item_key(store: str, item: str) -> AttributeMap:
    """The primary key of an item in attribute-value form."""
    return {"Store": {"S": store}, "Item": {"S": item}}


def to_attributes(stored: StoredItem, default_threshold: int) -> AttributeMap:
    """Map an item to the attributes written to the table (see the module docstring)."""
    attributes: AttributeMap = {
        "Store": {"S": stored.store},
        "Item": {"S": stored.item},
        "Count": {"N": str(stored.count)},
        "UpdatedAt": {"S": stored.updated_at},
        "SourceKey": {"S": stored.source.key},
        "SourceTime": {"S": stored.source.time},
    }
    if stored.source.sequencer:
        attributes["SourceSeq"] = {"S": stored.source.sequencer}
    if stored.threshold is not None:
        attributes["Threshold"] = {"N": str(stored.threshold)}
    attributes.update(ordering_attributes(stored.ordering))
    status = stored.status(default_threshold)
    if status is not StockStatus.OK:
        attributes["AlertStatus"] = {"S": status.value}
    return attributes


def ordering_attributes(ordering: Ordering) -> AttributeMap:
    """The item's ordering values that are given, as attributes."""
    attributes: AttributeMap = {}
    if ordering.lead_time_days is not None:
        attributes["LeadTimeDays"] = {"N": str(ordering.lead_time_days)}
    if ordering.pack_size is not None:
        attributes["PackSize"] = {"N": str(ordering.pack_size)}
    if ordering.supplier is not None:
        attributes["Supplier"] = {"S": ordering.supplier}
    return attributes


def ordering_of(attributes: Mapping[str, Mapping[str, Any]]) -> Ordering:
    """The ordering values an item's attributes hold; raises ``ValueError`` for a malformed number."""
    lead, pack, supplier = (attributes.get(name) for name in ("LeadTimeDays", "PackSize", "Supplier"))
    return Ordering(
        int(lead["N"]) if lead else None, int(pack["N"]) if pack else None, supplier["S"] if supplier else None
    )


def from_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> StoredItem:
    """Map table attributes (or a stream image) back to an item.

    Raises ``KeyError`` or ``ValueError`` when a required attribute is missing or malformed.
    """
    threshold = attributes.get("Threshold")
    return StoredItem(
        store=attributes["Store"]["S"],
        item=attributes["Item"]["S"],
        count=int(attributes["Count"]["N"]),
        threshold=int(threshold["N"]) if threshold else None,
        updated_at=attributes.get("UpdatedAt", {}).get("S", ""),
        source=SourceVersion(
            time=attributes.get("SourceTime", {}).get("S", ""),
            key=attributes.get("SourceKey", {}).get("S", ""),
            sequencer=attributes.get("SourceSeq", {}).get("S", ""),
        ),
        ordering=ordering_of(attributes),
    )
