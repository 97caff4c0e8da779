"""Opaque pagination cursors for an item listing.

A cursor is ``base64url(payload) + "." + base64url(HMAC-SHA256(payload))``. The payload
names the store and the listing mode (``all``, ``out``, ``low``, ``ok``) it was issued
for and the last key returned. Decoding checks the signature, the structure, that the
store and mode are the ones asked for, and that the key is a valid item key of that
store. The query itself is always bound to the store in the path, which the caller must
be allowed to see, so even a forged cursor could only start a listing of that store at
an item of the caller's choosing; the signature makes forging it impossible anyway.
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

VERSION = 1
#: Modes served from the alerts index, whose keys also carry AlertStatus.
INDEX_MODES = frozenset({"out", "low"})
MODES = frozenset({"all", "ok", *INDEX_MODES})
#: Longest cursor accepted: two 200-character names in UTF-8, base64, plus a signature.
MAX_CURSOR_LENGTH = 4096


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

    def encode(self, start: StartKey, mode: str) -> str:
        body: dict[str, object] = {"v": VERSION, "s": start.store, "m": mode, "i": start.item}
        if start.alert_status is not None:
            body["a"] = start.alert_status
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(self, token: str, store: str, mode: str) -> StartKey:
        """The start key in ``token``, which must have been issued for ``store`` and ``mode``."""
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
        return StartKey(store=store, item=item, alert_status=alert_status)
