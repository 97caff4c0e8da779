"""Presigned S3 POSTs for uploads: the only way the dashboard writes to the bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.models.errors import Unavailable
from dashboard_api.models.records import SignedPost

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: The S3 user metadata naming the uploader; ingest reads it back as ``uploaded-by``.
UPLOADED_BY_FIELD = "x-amz-meta-uploaded-by"
#: The S3 user metadata asking ingest for a dry run first (``mode: dry-run``); ingest reads it back as ``mode``.
MODE_FIELD = "x-amz-meta-mode"
DRY_RUN = "dry-run"
#: The S3 user metadata saying the file is its store's full list; ingest reads it back as ``full-list``.
FULL_LIST_FIELD = "x-amz-meta-full-list"


class PresignedPosts:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def sign(
        self,
        key: str,
        *,
        max_bytes: int,
        uploaded_by: str,
        expires_in: int,
        full_list: bool = False,
        dry_run: bool = False,
    ) -> SignedPost:
        """A POST policy for exactly ``key`` (botocore adds ``{"key": key}`` and ``{"bucket": ...}``),
        bodies of 1 to ``max_bytes`` bytes, the uploader's name as fixed metadata, and for a
        ``full_list`` (or a ``dry_run``) the fixed metadata saying so (without it, S3 refuses a form that
        adds the field: every field of a POST must be in its policy).

        Signed locally with the function's credentials (no call to S3): S3 checks the policy when
        the browser posts, so the role needs ``s3:PutObject`` on the key.
        """
        fields = (
            {UPLOADED_BY_FIELD: uploaded_by}
            | ({FULL_LIST_FIELD: "true"} if full_list else {})
            | ({MODE_FIELD: DRY_RUN} if dry_run else {})
        )
        try:
            post = self._client.generate_presigned_post(
                Bucket=self._bucket,
                Key=key,
                Fields=fields,
                Conditions=[*({name: value} for name, value in fields.items()), ["content-length-range", 1, max_bytes]],
                ExpiresIn=expires_in,
            )
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("an upload grant could not be signed; try again shortly") from error
        return SignedPost(url=str(post["url"]), fields={name: str(value) for name, value in post["fields"].items()})
