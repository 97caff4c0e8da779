"""The JSON shapes the API answers with; they also make up the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["out", "low", "ok"]
AlertStatus = Literal["out", "low"]


class StoreSummary(BaseModel):
    store: str
    items: int = Field(description="Number of items the store holds")
    out: int = Field(description="Items out of stock")
    low: int = Field(description="Items at or below their low-stock threshold")
    updated_at: str | None = Field(description="Last change, ISO 8601 UTC")


class StoresResponse(BaseModel):
    stores: list[StoreSummary]


class ItemView(BaseModel):
    store: str
    item: str
    count: int
    threshold: int | None = Field(description="The item's own low-stock level; null when the stage default applies")
    status: Status
    updated_at: str
    source_key: str = Field(description="Key of the upload that set the count")


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


class HistoryPoint(BaseModel):
    time: str = Field(description="When the count changed, ISO 8601 UTC")
    count: int
    previous: int | None = Field(description="The count before; null when the item first appeared")


class HistoryResponse(BaseModel):
    store: str
    item: str
    points: list[HistoryPoint]


class UploadRows(BaseModel):
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    written: int = 0
    unchanged: int = 0
    stale: int = 0
    duplicates: int = 0


class UploadError(BaseModel):
    line: int
    reason: str


class UploadView(BaseModel):
    key: str = Field(description="The uploaded file's key")
    status: str = Field(description="ok, partial or failed")
    reason: str | None
    rows: UploadRows
    errors: list[UploadError] = Field(description="The first rejected rows")
    stores: list[str]
    started_at: str | None
    finished_at: str | None


class UploadsResponse(BaseModel):
    uploads: list[UploadView]


class ErrorDetail(BaseModel):
    status: int
    code: str = Field(description="Stable, snake_case")
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail
