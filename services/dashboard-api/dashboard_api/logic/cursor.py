"""Opaque pagination cursors, for item listings and upload listings.

A cursor is ``base64url(payload) + "." + base64url(HMAC-SHA256(payload))``, keyed with the
stage's generated secret. The payload names the kind of listing (``items`` or ``uploads``)
and what it was issued for, and where the listing stopped.

- Items: the store and the listing mode (``all``, ``out``, ``low``, ``ok``), and the last
  item examined. Decoding checks that the store and mode are the ones asked for and that
  the key is a valid item key of that store. The query itself is always bound to the store
  in the path, which the caller must be allowed to see, so even a forged cursor could only
  start a listing of that store at an item of the caller's choosing; the signature makes
  forging it impossible anyway.
- Uploads: the listing (``all``, ``mine`` or ``store:<name>``) and the position of the last
  index row consumed. Each stream's Query is still bound to a partition the caller may see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from inventory.models import InvalidValue, clean_name

from dashboard_api.models.errors import InvalidCursor
from dashboard_api.models.records import UploadPosition

VERSION = 2
#: Modes served from the alerts index, whose keys also carry AlertStatus.
INDEX_MODES = frozenset({"out", "low"})
MODES = frozenset({"all", "ok", *INDEX_MODES})
#: Longest cursor accepted: two 200-character names in UTF-8, or an upload key of 1,024 bytes
#: with its version, base64, plus a signature.
MAX_CURSOR_LENGTH = 4096
#: Upload positions: S3 keys hold at most 1,024 bytes; versions and times are short.
_MAX_POSITION_FIELD = 1100


@dataclass(frozen=True, slots=True)
class StartKey:
    """Where a listing resumes: after this item (and, in the alerts index, this status)."""

    store: str
    item: str
    alert_status: str | None = None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the cursor key is empty")
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def _seal(self, body: dict[str, object]) -> str:
        payload = json.dumps({"v": VERSION, **body}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        encoded = payload.encode()
        return f"{_b64encode(encoded)}.{_b64encode(self._sign(encoded))}"

    def _open(self, token: str, kind: str) -> dict[str, object]:
        """The payload of a cursor this API signed for a listing of ``kind``; :class:`InvalidCursor` otherwise."""
        if len(token) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("the cursor is too long")
        encoded_payload, dot, encoded_signature = token.partition(".")
        try:
            if not dot or not token.isascii():
                raise ValueError
            payload = _b64decode(encoded_payload)
            signature = _b64decode(encoded_signature)
        except (ValueError, binascii.Error):
            raise InvalidCursor("the cursor is malformed") from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidCursor("the cursor is not one this API issued")
        try:
            body = json.loads(payload)
        except ValueError:
            raise InvalidCursor("the cursor is malformed") from None
        if not isinstance(body, dict) or body.get("v") != VERSION:
            raise InvalidCursor("the cursor is from another version of the API")
        if body.get("k") != kind:
            raise InvalidCursor(f"the cursor belongs to another kind of listing, not {kind}")
        return body

    # -- items ----------------------------------------------------------------------

    def encode(self, start: StartKey, mode: str) -> str:
        body: dict[str, object] = {"k": "items", "s": start.store, "m": mode, "i": start.item}
        if start.alert_status is not None:
            body["a"] = start.alert_status
        return self._seal(body)

    def decode(self, token: str, store: str, mode: str) -> StartKey:
        """The start key in ``token``, which must have been issued for ``store`` and ``mode``."""
        body = self._open(token, "items")
        if body.get("s") != store:
            raise InvalidCursor("the cursor belongs to another store")
        if body.get("m") != mode:
            raise InvalidCursor("the cursor belongs to a listing with another status filter")
        alert_status = body.get("a")
        if (mode in INDEX_MODES) != (alert_status is not None) or (alert_status is not None and alert_status != mode):
            raise InvalidCursor("the cursor is malformed")
        try:
            item = clean_name(body.get("i"), "item")
        except InvalidValue:
            raise InvalidCursor("the cursor is malformed") from None
        return StartKey(store=store, item=item, alert_status=alert_status if isinstance(alert_status, str) else None)

    # -- uploads --------------------------------------------------------------------

    def encode_uploads(self, position: UploadPosition, listing: str) -> str:
        return self._seal(
            {
                "k": "uploads",
                "l": listing,
                "p": [position.partition, position.received_at, position.key, position.version],
            }
        )

    def decode_uploads(self, token: str, listing: str) -> UploadPosition:
        """The position in ``token``, which must have been issued for ``listing``."""
        body = self._open(token, "uploads")
        if body.get("l") != listing:
            raise InvalidCursor("the cursor belongs to another uploads listing (another store filter)")
        fields = body.get("p")
        if (
            not isinstance(fields, list)
            or len(fields) != 4
            or not all(isinstance(field, str) and 0 < len(field) <= _MAX_POSITION_FIELD for field in fields)
        ):
            raise InvalidCursor("the cursor is malformed")
        return UploadPosition(*fields)
