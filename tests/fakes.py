"""In-memory stand-ins for integrations, handed to logic in unit tests instead of mocks."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class FakeDynamoDB:
    """A DynamoDB client for one table that answers BatchGetItem / BatchWriteItem from a dict.

    ``unprocessed`` makes the next calls leave items undone; ``throttle`` makes the next
    calls raise a throttling error, as DynamoDB does under load.
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[str] = []
        self.unprocessed = 0
        self.throttle = 0

    def _maybe_throttle(self, operation: str) -> None:
        self.calls.append(operation)
        if self.throttle:
            self.throttle -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, operation)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("BatchGetItem")
        ((table, request),) = RequestItems.items()
        found = [
            self.items[key] for key in ((k["Store"]["S"], k["Item"]["S"]) for k in request["Keys"]) if key in self.items
        ]
        return {"Responses": {table: found}, "UnprocessedKeys": {}}

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("BatchWriteItem")
        ((table, requests),) = RequestItems.items()
        assert len(requests) <= 25, "BatchWriteItem takes at most 25 requests"
        keys = [(r["PutRequest"]["Item"]["Store"]["S"], r["PutRequest"]["Item"]["Item"]["S"]) for r in requests]
        assert len(set(keys)) == len(keys), "BatchWriteItem refuses two requests for one key"
        done, left = requests, []
        if self.unprocessed:
            self.unprocessed -= 1
            done, left = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        for request in done:
            item = request["PutRequest"]["Item"]
            self.items[(item["Store"]["S"], item["Item"]["S"])] = item
        return {"UnprocessedItems": {table: left} if left else {}}


class FakeUploadBucket:
    """The upload bucket in memory: uploads to open, reports written."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = dict(files or {})
        self.reports: dict[str, dict[str, Any]] = {}

    def open(self, bucket: str, key: str, version_id: str = "") -> Any:
        from ingest.dal.objects import OpenedUpload, UploadGone

        if key not in self.files:
            raise UploadGone(f"s3://{bucket}/{key} no longer exists")
        body = self.files[key]
        return OpenedUpload("etag", version_id, "2026-01-01T00:00:00.000Z", iter([body[:5], body[5:]]))

    def put_report(self, bucket: str, key: str, report: dict[str, Any]) -> None:
        self.reports[key] = report


class FakeStoreSummaries:
    def __init__(self) -> None:
        self.applied: list[tuple[str, Any]] = []

    def apply(self, store: str, change: Any, updated_at: str) -> None:
        self.applied.append((store, change))
