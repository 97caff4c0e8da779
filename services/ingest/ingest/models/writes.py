"""What ingest writes to an Inventory item, and what became of the write.

The loader, the guard, retirement and undo build :class:`ItemWrite` batches; the table
(``ingest.dal.inventory``) writes them conditionally and answers with a :class:`WriteOutcome`. An
item ingest set carries the line of the file that set it (:data:`SOURCE_LINE`) and, when it replaced
another upload's item, what that item was (:data:`BEFORE`): what an undo writes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inventory.models import SourceVersion
from inventory.table import RETIRED, AttributeMap

#: BatchGetItem takes at most 100 keys per call; TransactWriteItems at most 100 actions, one of
#: them the fence: a batch holds 99 items, so it is one read and one transaction.
WRITE_BATCH_SIZE = 100
READ_BATCH_SIZE = WRITE_BATCH_SIZE - 1
#: The line of the file that set an item: with the source, it tells an earlier attempt's write
#: of the same row from an earlier row of the same upload. Ingest's own attribute.
SOURCE_LINE = "SourceLine"
#: What an item was before the upload that set it last, when another upload had set it (a map of
#: :data:`BEFORE_NAMES`; absent on an item that upload created; empty when an undo put the item back
#: to an older upload's values, as what it was before those is not known): what an undo writes back.
BEFORE = "Before"
#: The attributes a before-image keeps: the item's state and the source that set it.
BEFORE_NAMES = (
    "Count",
    "Threshold",
    "LeadTimeDays",
    "PackSize",
    "Supplier",
    "SourceTime",
    "SourceKey",
    "SourceSeq",
    SOURCE_LINE,
    "UpdatedAt",
    RETIRED,
)

ItemKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """One item to put, from row ``line`` of ``source``, if the stored one is not from a newer upload."""

    key: ItemKey
    attributes: AttributeMap
    source: SourceVersion
    line: int
    #: Not a row's write but a retirement at this time (``attributes`` need only the key): see
    #: ``ingest.dal.inventory.InventoryTable._retirement``.
    retired_at: str = ""
    #: The item's before-image to record (:data:`BEFORE`): ``{}`` removes it (a new item), ``None``
    #: leaves it as it is (the item is this same upload's already).
    before: AttributeMap | None = None
    #: An undo of ``source``: lands only while the stored item is still set by ``source`` exactly
    #: (``ingest.dal.inventory.still_from``), whatever the order of the source the write puts back.
    undo: bool = False


@dataclass(slots=True)
class WriteOutcome:
    """What became of a batch: keys written, and keys whose condition failed with the stored item."""

    written: list[ItemKey] = field(default_factory=list)
    lost: dict[ItemKey, AttributeMap | None] = field(default_factory=dict)
    #: DynamoDB pushed back on the way (a throttled or conflicting attempt, retried): the partition is busy.
    pushed_back: bool = False


def before_image(attributes: AttributeMap) -> AttributeMap:
    """The before-image (:data:`BEFORE`) of a stored item: the attributes of :data:`BEFORE_NAMES` it has."""
    return {name: attributes[name] for name in BEFORE_NAMES if name in attributes}
