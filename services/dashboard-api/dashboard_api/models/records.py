"""What the data-access layer hands to the logic: items, pages, upload index rows, signed posts."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.forecast import ForecastRow
from inventory.models import StockStatus
from inventory.table import StoredItem
from inventory.uploads import UploadEntry

#: Reads one request may run at once (per-store queries, subscription statuses); the clients' connection
#: pools are sized for them.
PARALLEL_READS = 16


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
class UploadStream:
    """One time-ordered partition of an uploads index: ``UploadsByScope`` for one store (or ``*``,
    head office), or ``UploadsByTime`` (every upload)."""

    index: str
    partition: str


@dataclass(frozen=True, slots=True, order=True)
class UploadPosition:
    """Where an index row sits: its stream partition, time and table key. Enough to resume a
    Query right after it (``ExclusiveStartKey``)."""

    partition: str
    received_at: str
    key: str
    version: str


@dataclass(frozen=True, slots=True)
class IndexedUpload:
    """An index row as read: its position, and the row (``None`` when it is not a complete
    summary, e.g. a claim ingest has not finished; such rows are passed over, never shown)."""

    position: UploadPosition
    entry: UploadEntry | None


@dataclass(frozen=True, slots=True)
class StreamRead:
    """Where one Query of a stream starts: right after ``after`` (a position the stream returned), or
    from ``older_than`` (``ReceivedAt`` below it, or up to it if ``inclusive``), or from the newest."""

    stream: UploadStream
    after: UploadPosition | None = None
    older_than: str | None = None
    inclusive: bool = False


@dataclass(frozen=True, slots=True)
class IndexPage:
    """One Query page of an uploads index, newest first."""

    rows: list[IndexedUpload]
    last: UploadPosition | None  # LastEvaluatedKey; None when the stream is done


@dataclass(frozen=True, slots=True)
class SignedPost:
    """A presigned S3 POST: the form's target and its fields (the signed policy among them)."""

    url: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class ForecastRows:
    """Forecast rows as read: how many the reads examined, and whether the reads went to the end."""

    rows: list[ForecastRow]
    examined: int
    complete: bool
