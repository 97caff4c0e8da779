"""What the ingest logic needs of the outside world; ``ingest.dal`` has the AWS implementations,
tests hand in in-memory fakes with the same shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from inventory.people import PersonAccess
from inventory.uploads import UploadEntry

from ingest.models.claim import Checkpoint, Claim, Fence, Source
from ingest.models.upload import OpenedUpload


class Bucket(Protocol):
    def open(self, bucket: str, key: str, version_id: str = "", start: int = 0) -> OpenedUpload: ...

    def deleted(self, bucket: str, key: str) -> bool: ...

    def put_report(self, bucket: str, key: str, report: dict[str, Any], *, only_new: bool = False) -> None: ...

    def read_report(self, bucket: str, key: str) -> dict[str, Any]: ...


class Index(Protocol):
    def claim(
        self,
        source: Source,
        entry: UploadEntry | None,
        *,
        owner: str,
        request_id: str,
        lease_seconds: float,
        handed_by: str = "",
    ) -> Claim: ...

    def save(self, claim: Claim, entry: UploadEntry, checkpoint: Checkpoint, lease_until: float) -> None: ...

    def finish(self, claim: Claim, entry: UploadEntry, checkpoint: Checkpoint, lease_until: float) -> None: ...

    def settle(self, claim: Claim, held: Checkpoint | None = None) -> None: ...

    def fence(self, claim: Claim) -> Fence: ...


class StoreMarks(Protocol):
    def mark_upload(self, stores: Iterable[str], at: str) -> None: ...

    def mark_full_list(self, stores: Iterable[str], at: str) -> None: ...

    def remembers_full_list(self, store: str) -> bool: ...


class Invoker(Protocol):
    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> None: ...


class Signer(Protocol):
    def signed(self, principal: str) -> bool:
        """Whether ``principal`` (an S3 event's ``userIdentity.principalId``) is the API, which signs uploads."""
        ...


class Uploaders(Protocol):
    def access(self, username: str) -> PersonAccess: ...
