"""What the ingest logic needs of the outside world; ``ingest.dal`` has the AWS implementations,
tests hand in in-memory fakes with the same shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from inventory.uploads import UploadEntry

from ingest.dal.objects import OpenedUpload
from ingest.models.claim import Checkpoint, Claim, Source


class Bucket(Protocol):
    def open(self, bucket: str, key: str, version_id: str = "", start: int = 0) -> OpenedUpload: ...

    def put_report(self, bucket: str, key: str, report: dict[str, Any]) -> None: ...


class Index(Protocol):
    def claim(
        self, source: Source, entry: UploadEntry | None, *, owner: str, request_id: str, lease_seconds: float
    ) -> Claim: ...

    def save(self, claim: Claim, entry: UploadEntry, checkpoint: Checkpoint, lease_until: float) -> None: ...

    def finish(self, claim: Claim, entry: UploadEntry) -> None: ...


class StoreMarks(Protocol):
    def mark_upload(self, stores: Iterable[str], at: str) -> None: ...


class Invoker(Protocol):
    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> None: ...


class Signer(Protocol):
    def signed(self, principal: str) -> bool:
        """Whether ``principal`` (an S3 event's ``userIdentity.principalId``) is the API, which signs uploads."""
        ...
