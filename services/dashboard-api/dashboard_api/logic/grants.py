"""Upload grants: a presigned S3 POST for one new key under the uploader's store.

Who may upload where:

- a store's users (and admins) upload for that store, under ``store_prefix(store)``; ingest lets
  such a file change that store only;
- admins also upload head-office (multi-store) files, under ``<upload prefix>head-office/``,
  which is not under the stores folder, so ingest treats it as head office.

The key is ``<prefix><UTC time>-<random>/<clean file name>``: the time sorts a store's folder, the
random part makes every grant's key new (a grant can never overwrite another upload), and the
file name is kept only as a harmless last segment (no path, no control characters, a few safe
punctuation marks; the extension kept as typed).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from inventory.models import iso_utc
from inventory.uploads import MAX_KEY_BYTES, UPLOAD_PREFIX, store_prefix

from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import UploadGrant
from dashboard_api.models.errors import FileTooLarge, InvalidInput, NotAllowed
from dashboard_api.models.records import SignedPost

#: What ingest reads, compared without case (``Berlin.CSV`` is a CSV file).
ACCEPTED_EXTENSIONS = (".csv", ".json", ".jsonl", ".xlsx")
#: Head-office grants go here, under the upload prefix but outside its stores folder.
HEAD_OFFICE_FOLDER = "head-office/"
#: How long a grant is valid: long enough to pick up a slow upload, short enough to be useless later.
GRANT_SECONDS = 600
#: Characters of the file name's stem kept in the key.
KEPT_STEM_LENGTH = 100
#: Anything else in a file name becomes ``_``: letters and digits of any script, space, and ``-_.,()``.
_UNSAFE = re.compile(r"[^\w .,()\-]")


class Signer(Protocol):
    """What signs a grant (the S3 presigned POST)."""

    def sign(
        self,
        key: str,
        *,
        max_bytes: int,
        uploaded_by: str,
        expires_in: int,
        full_list: bool = False,
        dry_run: bool = False,
    ) -> SignedPost: ...


def clean_file_name(raw: str) -> str:
    """The name a file keeps in its key; :class:`InvalidInput` when nothing usable is left or the type is not accepted.

    Only the last path segment counts (``../../reports/x.json`` is ``x.json``); control and
    format characters go; unsafe punctuation becomes ``_``; leading dots and spaces go (no
    hidden files, no ``..``); the stem is cut to :data:`KEPT_STEM_LENGTH` characters.
    """
    text = unicodedata.normalize("NFC", raw)
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(char for char in text if not unicodedata.category(char).startswith("C"))
    text = _UNSAFE.sub("_", " ".join(text.split())).rstrip(" .")
    stem, dot, extension = text.rpartition(".")
    if not dot or f".{extension.lower()}" not in ACCEPTED_EXTENSIONS:
        raise InvalidInput(
            "only .csv, .json, .jsonl and .xlsx files can be uploaded (in any case)", "unsupported_file_type"
        )
    stem = stem.strip(" .")[:KEPT_STEM_LENGTH].rstrip(" .")
    if not stem:
        raise InvalidInput("the file name has nothing before its extension", "invalid_file_name")
    return f"{stem}.{extension}"


class UploadGrants:
    def __init__(
        self,
        *,
        signer: Signer,
        max_bytes: int,
        clock: Callable[[], datetime],
        token: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self._signer = signer
        self._max_bytes = max_bytes
        self._clock = clock
        self._token = token

    def for_store(
        self, caller: Caller, store: str, filename: str, size: int, *, full_list: bool = False, dry_run: bool = False
    ) -> UploadGrant:
        """A grant to upload one file for ``store``, which the caller must be allowed to see; a ``full_list``
        retires the store's items it omits (ingest, ``ingest.logic.retirement``); with ``dry_run`` ingest
        plans the file and holds it until the uploader confirms it."""
        caller.require(store)
        return self._grant(caller, store_prefix(store), filename, size, full_list=full_list, dry_run=dry_run)

    def for_head_office(
        self, caller: Caller, filename: str, size: int, *, full_list: bool = False, dry_run: bool = False
    ) -> UploadGrant:
        """A grant to upload one multi-store file; admins only. A ``full_list`` retires, in each store it
        names, the items it omits."""
        if not caller.admin:
            raise NotAllowed("only admins (head office) may upload multi-store files; upload for one of your stores")
        # Never under STORES_FOLDER: ingest would take it for a store's file.
        prefix = f"{UPLOAD_PREFIX}{HEAD_OFFICE_FOLDER}"
        return self._grant(caller, prefix, filename, size, full_list=full_list, dry_run=dry_run)

    def _grant(
        self, caller: Caller, prefix: str, filename: str, size: int, *, full_list: bool, dry_run: bool
    ) -> UploadGrant:
        if size > self._max_bytes:
            raise FileTooLarge(f"the file is {size:,} bytes; uploads are limited to {self._max_bytes:,} bytes")
        name = clean_file_name(filename)
        now = self._clock()
        folder = f"{prefix}{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{self._token()}/"
        key = _fit(folder, name)
        post = self._signer.sign(
            key,
            max_bytes=self._max_bytes,
            uploaded_by=caller.username,
            expires_in=GRANT_SECONDS,
            full_list=full_list,
            dry_run=dry_run,
        )
        return UploadGrant(
            url=post.url,
            fields=post.fields,
            key=key,
            expires_at=iso_utc(now + timedelta(seconds=GRANT_SECONDS)),
            max_bytes=self._max_bytes,
        )


def _fit(folder: str, name: str) -> str:
    """``folder + name``, the name's stem shortened if the key would pass S3's 1,024-byte limit."""
    stem, _, extension = name.rpartition(".")
    while len(f"{folder}{stem}.{extension}".encode()) > MAX_KEY_BYTES and len(stem) > 1:
        stem = stem[: max(1, len(stem) - 8)].rstrip(" .") or "_"
    key = f"{folder}{stem}.{extension}"
    if len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidInput("this store's name is too long to make an upload key of it", "store_name_too_long")
    return key
