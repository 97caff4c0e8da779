"""The JSON shapes the API answers with; they also make up the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from inventory.report import UploadReport
from inventory.uploads import UploadEntry
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

Status = Literal["out", "low", "ok"]
AlertStatus = Literal["out", "low"]
#: Longest file name a grant request may carry; the key keeps a shorter, cleaned name.
MAX_FILE_NAME_LENGTH = 255


class StoreView(BaseModel):
    store: str
    items: int = Field(description="Number of items the store holds")
    out: int = Field(description="Items out of stock")
    low: int = Field(description="Items at or below their low-stock threshold")
    updated_at: str | None = Field(description="Last change of a count, ISO 8601 UTC")
    last_upload_at: str | None = Field(
        description="When the store last sent a file, changed or not, ISO 8601 UTC; null if never"
    )
    full_list: bool = Field(
        description="Every file of the store is read as its full list (retiring the items it omits), as the store "
        "asked (`PUT /stores/{store}/settings`)"
    )


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_list: StrictBool = Field(
        description="Read every file of the store (under its folder) as its full list, as if each said so"
    )


class StoresResponse(BaseModel):
    stores: list[StoreView]


class ItemView(BaseModel):
    store: str
    item: str
    count: int
    threshold: int | None = Field(description="The item's own low-stock level; null when the stage default applies")
    status: Status
    updated_at: str
    source_key: str = Field(description="Key of the upload that set the count")
    days_left: float | None = Field(
        description="Days until the item runs out at its observed rate of use, from now (0 once due); null when "
        "unknown: not being used up, or too little seen of it yet"
    )


class ItemsPage(BaseModel):
    store: str
    items: list[ItemView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end. A filtered page may hold fewer "
        "than `limit` items (even none) and still have a next page."
    )


class AlertView(BaseModel):
    store: str
    item: str
    count: int
    threshold: int | None
    status: AlertStatus
    updated_at: str


class AlertsResponse(BaseModel):
    alerts: list[AlertView]


class ForecastView(BaseModel):
    """When one item runs out, at the rate it has been used (`inventory.forecast.ForecastRow.outlook`)."""

    item: str
    count: int = Field(description="The last count seen")
    rate_per_day: float = Field(description="Units used per day, as observed (recent days weigh most)")
    days_left: float = Field(description="Days from now until it runs out (0 once due)")
    runs_out_at: str = Field(
        description="When it runs out, ISO 8601 UTC: from when the count was last known to hold (the store's "
        "last upload), at the rate of use"
    )


class StoreForecast(BaseModel):
    store: str
    items: list[ForecastView] = Field(
        description="Every item being used up, soonest to run out first; items not being used up are left out"
    )
    truncated: bool = Field(description="The store has more forecasts than one answer reads (20,000); rarely true")


class StoreForecastView(ForecastView):
    store: str


class ForecastResponse(BaseModel):
    within_days: float = Field(description="The window asked for")
    items: list[StoreForecastView] = Field(
        description="Items of your stores that run out within the window, soonest first, at most `limit`"
    )
    truncated: bool = Field(description="More items run out within the window than `limit`: ask for fewer days")


class ReorderView(BaseModel):
    """An order to place for one item (`inventory.reorder.suggest`)."""

    item: str
    count: int = Field(description="The last count seen")
    on_hand: float = Field(description="Stock expected now: the last count, less what sold since the last upload")
    rate_per_day: float = Field(description="Units used per day, as observed")
    daily_sd: float = Field(description="Standard deviation of one day's demand (units), as observed")
    lead_time_days: float = Field(description="The item's lead time (its upload's `lead_time_days`, else the stage's)")
    pack_size: int = Field(description="Orders come in multiples of this (its upload's `pack_size`, else 1)")
    supplier: str | None = Field(description="The item's supplier, from its upload; null if none was given")
    quantity: int = Field(description="Units to order: enough until the next order arrives, plus safety stock")
    order_by: str = Field(description="When to order, ISO 8601 UTC: when stock reaches the reorder point")
    reorder_point: float = Field(description="Demand over the lead time plus safety stock")
    order_up_to: float = Field(description="Demand over lead time and order cycle plus safety stock")
    why: str = Field(description="How the quantity and date follow from the forecast, in words")


class StoreReorder(BaseModel):
    store: str
    cycle_days: float = Field(description="The stage's order cycle: orders due within it are listed")
    service_level: float = Field(description="The stage's service level: the share of cycles without a stockout")
    items: list[ReorderView] = Field(
        description="Items to order within the order cycle, soonest order-by first; items without a forecast are "
        "left out"
    )
    truncated: bool = Field(description="The store has more forecasts than one answer reads (20,000); rarely true")


class StoreReorderView(ReorderView):
    store: str


class ReorderResponse(BaseModel):
    cycle_days: float = Field(description="The stage's order cycle: orders due within it are listed")
    service_level: float = Field(description="The stage's service level: the share of cycles without a stockout")
    items: list[StoreReorderView] = Field(description="Items to order across your stores, soonest order-by first")
    truncated: bool = Field(description="A store has more forecasts than one answer reads (20,000); rarely true")


class TransferView(BaseModel):
    """Stock to move between stores (`inventory.reorder.transfers`)."""

    item: str
    source: str = Field(description="The store to send from: it holds more than it needs until its next order")
    target: str = Field(description="The store to send to: it runs out before an order could arrive")
    quantity: int
    runs_out_in_days: float = Field(description="When the target store runs out without it, in days from now")


class TransfersResponse(BaseModel):
    items: list[TransferView] = Field(description="Suggested transfers, most urgent first")
    truncated: bool = Field(
        description="More items run out within the lead time than one answer looks at (the 100 most urgent)"
    )


class ItemDetail(ItemView):
    """One item as its page shows it: the item and, when it is being used up, its forecast."""

    forecast: ForecastView | None = Field(description="When it runs out; null when not being used up")


class HistoryPoint(BaseModel):
    time: str = Field(description="When the count changed, ISO 8601 UTC")
    count: int
    previous: int | None = Field(description="The count before; null when the item first appeared")


class HistoryResponse(BaseModel):
    store: str
    item: str
    points: list[HistoryPoint]


class UploadsPage(BaseModel):
    # Index rows (inventory.uploads.UploadEntry) and a whole report (inventory.report.UploadReport) are served as
    # ingest's contract defines them: their fields are the schema, their fields' docstrings its descriptions.
    model_config = ConfigDict(use_attribute_docstrings=True, json_schema_serialization_defaults_required=True)

    uploads: list[UploadEntry] = Field(
        description="Newest first. With `key`: that upload's versions, newest first (at most `limit`)"
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")
    report: UploadReport | None = Field(
        description="Only with `key`: the whole report of the newest version (or of `version`); null "
        "otherwise, or while ingest has not written it yet"
    )


class UploadRequest(BaseModel):
    filename: StrictStr = Field(
        min_length=1, max_length=MAX_FILE_NAME_LENGTH, description="The file's name on the user's machine"
    )
    size: StrictInt = Field(ge=1, description="The file's size in bytes")
    full_list: StrictBool = Field(
        default=False,
        description="The file is the full list of the stores it names: their items it omits are retired (out of "
        "the totals, alerts and forecasts, kept in history) until a file names them again",
    )
    preview: StrictBool = Field(
        default=False,
        description="Dry run first: ingest plans the file and holds it as `needs_confirmation` with the plan, "
        "loading nothing until you confirm it (`POST /uploads/confirm`) or discard it",
    )


class UploadDecision(BaseModel):
    """One held upload version (from a listing, or the grant's `key` and `GET /uploads?key=`)."""

    key: StrictStr = Field(min_length=1, max_length=1024, description="The upload's key")
    version: StrictStr = Field(min_length=1, max_length=1024, description="The version to decide on")


class UploadGrant(BaseModel):
    """A presigned S3 POST for exactly one key: send ``fields`` and then the file as ``file``, as
    ``multipart/form-data``, to ``url`` before ``expires_at``."""

    url: str = Field(description="Where to POST the form")
    fields: dict[str, str] = Field(description="Form fields to send as they are, before the file")
    key: str = Field(description="The key the file will have; its report appears under `GET /uploads?key=`")
    expires_at: str = Field(description="The grant is refused by S3 after this time, ISO 8601 UTC")
    max_bytes: int = Field(description="Largest file S3 accepts with this grant")
