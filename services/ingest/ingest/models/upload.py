"""What ingest knows about one uploaded file: the notification, or the continuation of a big file, and
the object version opened for reading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inventory.uploads import version_tag

#: The key of a continuation event (the function invoking itself); S3 events carry ``Records``.
CONTINUATION = "continuation"


@dataclass(frozen=True, slots=True)
class Upload:
    """An object-created notification for one file, its key already decoded."""

    bucket: str
    key: str
    event_time: str = ""  # when S3 created the object (ms precision); orders uploads
    version_id: str = ""
    sequencer: str = ""
    etag: str = ""
    principal: str = ""  # the S3 event's userIdentity.principalId (who put the object)

    @property
    def version(self) -> str:
        """This object version's name in report keys and the uploads index."""
        return version_tag(self.version_id, self.sequencer, self.etag)


@dataclass(frozen=True, slots=True)
class Continuation:
    """The function's own event to carry on loading a big file where the previous invocation stopped.

    Everything else (the source's times, the checkpoint) is on the upload's index row. ``holder``
    is the owner token of the invocation that handed over: it keeps its lease until the
    continuation takes it, so no other delivery can come in between.
    """

    bucket: str
    key: str
    version: str
    part: int  # 2 for the first continuation, then 3, ...
    holder: str = ""

    def to_event(self) -> dict[str, Any]:
        body = {"bucket": self.bucket, "key": self.key, "version": self.version, "part": self.part}
        return {CONTINUATION: body | {"holder": self.holder}}

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Continuation:
        body = event[CONTINUATION]
        return cls(
            str(body["bucket"]), str(body["key"]), str(body["version"]), int(body["part"]), str(body.get("holder", ""))
        )


@dataclass(frozen=True, slots=True)
class OpenedUpload:
    """One version of an upload opened for reading (``ingest.dal.objects.UploadBucket.open``)."""

    etag: str
    version_id: str
    last_modified: str  # ISO 8601 UTC
    size: int  # the whole object's size in bytes, whatever part of it is read
    uploaded_by: str | None  # the signed metadata of a dashboard upload, if any
    chunks: Iterator[bytes]  # from the byte asked for to the end
    dry_run: bool = False  # the file asks to be planned and held before it is applied
    full_list: bool = False  # the file says it is its store's full list (``ingest.dal.objects.FULL_LIST``)
