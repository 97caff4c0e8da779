"""The upload bucket: read an uploaded file as a stream (from any byte on), write its report (and read
it back, to undo the upload).

Uploads are never modified or deleted; ingest only reads them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.models import iso_utc

from ingest.models.errors import StorageUnavailable, UploadGone
from ingest.models.upload import OpenedUpload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Bytes read from S3 per chunk while parsing.
READ_CHUNK = 256 * 1024
#: The object metadata a dashboard upload grant signs (``x-amz-meta-uploaded-by``).
UPLOADED_BY = "uploaded-by"
#: The object metadata asking for a dry run (``x-amz-meta-mode: dry-run``, signed into a dashboard grant).
MODE = "mode"
DRY_RUN = "dry-run"
#: The object metadata that says a file is its store's full list (``x-amz-meta-full-list: true``): the
#: items of the store it omits are retired. A dashboard grant signs it when the uploader ticks the box.
FULL_LIST = "full-list"
#: Missing objects: ingest may not list the bucket, so S3 says AccessDenied rather than NoSuchKey.
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404", "AccessDenied", "403"})
#: A conditional write (``If-None-Match: *``) that found an object there, or one being written.
_THERE_ALREADY = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


class UploadBucket:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    def open(self, bucket: str, key: str, version_id: str = "", start: int = 0) -> OpenedUpload:
        """Open one version of an upload for streaming from byte ``start``.

        Raises :class:`UploadGone` if it is not there (or not readable), :class:`StorageUnavailable`
        if S3 does not answer.
        """
        extra: dict[str, Any] = {"VersionId": version_id} if version_id else {}
        if start:
            extra["Range"] = f"bytes={start}-"
        try:
            response = self._client.get_object(Bucket=bucket, Key=key, **extra)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _GONE:
                raise UploadGone(f"s3://{bucket}/{key} no longer exists or cannot be read ({code})") from error
            if code == "InvalidRange":  # resuming exactly at the end of the file: nothing is left
                return self._empty(bucket, key, version_id, start)
            raise StorageUnavailable(f"S3 refused to read s3://{bucket}/{key}: {code}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"S3 did not answer a read of s3://{bucket}/{key}: {error}") from error
        content_range = str(response.get("ContentRange") or "")
        size = int(content_range.rpartition("/")[2]) if "/" in content_range else int(response.get("ContentLength", 0))
        return OpenedUpload(
            etag=str(response.get("ETag", "")).strip('"'),
            version_id=str(response.get("VersionId") or version_id),
            last_modified=iso_utc(response["LastModified"]),
            size=size,
            uploaded_by=uploader(response.get("Metadata")),
            chunks=_stream(response["Body"].iter_chunks(READ_CHUNK), f"s3://{bucket}/{key}"),
            full_list=full_list(response.get("Metadata")),
            dry_run=(response.get("Metadata") or {}).get(MODE) == DRY_RUN,
        )

    def _empty(self, bucket: str, key: str, version_id: str, start: int) -> OpenedUpload:
        extra: dict[str, Any] = {"VersionId": version_id} if version_id else {}
        try:
            head = self._client.head_object(Bucket=bucket, Key=key, **extra)
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(f"S3 did not describe s3://{bucket}/{key}: {error}") from error
        return OpenedUpload(
            etag=str(head.get("ETag", "")).strip('"'),
            version_id=str(head.get("VersionId") or version_id),
            last_modified=iso_utc(head["LastModified"]),
            size=max(start, int(head.get("ContentLength", 0))),
            uploaded_by=uploader(head.get("Metadata")),
            chunks=iter(()),
            full_list=full_list(head.get("Metadata")),
        )

    def deleted(self, bucket: str, key: str) -> bool:
        """Whether the key's current version is a delete marker (someone deleted the upload).

        S3 answers a HEAD of such a key 404 with ``x-amz-delete-marker: true``; any other
        answer (the object, or a refusal that says nothing of a delete marker) is not a deletion,
        and a read of the version itself decides.
        """
        try:
            self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return str(headers.get("x-amz-delete-marker", "")).lower() == "true"
        except BotoCoreError as error:
            raise StorageUnavailable(f"S3 did not describe s3://{bucket}/{key}: {error}") from error
        return False

    def put_report(self, bucket: str, key: str, report: dict[str, Any], *, only_new: bool = False) -> None:
        """Write a report (``only_new``: unless one is there already, ``If-None-Match: *``);
        :class:`StorageUnavailable` if S3 refuses after its retries."""
        condition: dict[str, Any] = {"IfNoneMatch": "*"} if only_new else {}
        try:
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=json.dumps(report, ensure_ascii=False, indent=1).encode(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as error:
            if only_new and error.response.get("Error", {}).get("Code") in _THERE_ALREADY:
                return
            raise StorageUnavailable(f"the report s3://{bucket}/{key} could not be written: {error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"the report s3://{bucket}/{key} could not be written: {error}") from error

    def read_report(self, bucket: str, key: str) -> dict[str, Any]:
        """A report written before (an applied upload's, to undo it); :class:`StorageUnavailable` if S3
        does not give it (it is written before the upload's row lets anyone undo it)."""
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(f"the report s3://{bucket}/{key} could not be read: {error}") from error
        return dict(json.loads(body))


def uploader(metadata: Mapping[str, str] | None) -> str | None:
    """The uploader named by an object's metadata, as text.

    S3 returns a metadata value holding non-ASCII characters as RFC 2047 encoded words
    (``=?UTF-8?B?SsO8cmdlbg==?=`` for ``Jürgen``); an ASCII value comes back as it was put.
    A value that only looks encoded (malformed) is kept as it came.
    """
    value = (metadata or {}).get(UPLOADED_BY)
    if not value or "=?" not in value:
        return value or None
    try:
        decoded = str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return value
    return decoded or value


def full_list(metadata: Mapping[str, str] | None) -> bool:
    """Whether an object's metadata says it is its store's full list: ``full-list`` is ``true`` (any case)."""
    return str((metadata or {}).get(FULL_LIST, "")).strip().lower() == "true"


def _stream(chunks: Iterator[bytes], where: str) -> Iterator[bytes]:
    """The body's chunks; a read that breaks off mid-stream is a passing failure, not a parse error."""
    try:
        yield from chunks
    except (BotoCoreError, OSError) as error:
        raise StorageUnavailable(f"reading {where} broke off: {error}") from error
