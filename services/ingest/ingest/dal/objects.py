"""The upload bucket: read an uploaded file as a stream, write its report. Never modifies uploads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from inventory.models import iso_utc

#: Bytes read from S3 per chunk while parsing.
READ_CHUNK = 256 * 1024


class UploadGone(Exception):
    """The uploaded object (or the version named in the event) no longer exists."""


@dataclass(frozen=True, slots=True)
class OpenedUpload:
    etag: str
    version_id: str
    last_modified: str  # ISO 8601 UTC
    chunks: Iterator[bytes]


class UploadBucket:
    def __init__(self, client: Any) -> None:
        self._client = client

    def open(self, bucket: str, key: str, version_id: str = "") -> OpenedUpload:
        """Open an upload for streaming; raises :class:`UploadGone` if it is not there."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            response = self._client.get_object(Bucket=bucket, Key=key, **extra)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "NoSuchVersion", "404"}:
                raise UploadGone(f"s3://{bucket}/{key} no longer exists") from error
            raise
        return OpenedUpload(
            etag=response.get("ETag", "").strip('"'),
            version_id=response.get("VersionId") or version_id,
            last_modified=iso_utc(response["LastModified"]),
            chunks=response["Body"].iter_chunks(READ_CHUNK),
        )

    def put_report(self, bucket: str, key: str, report: dict[str, Any]) -> None:
        self._client.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(report, ensure_ascii=False, indent=1).encode(),
            ContentType="application/json",
        )
