"""Pagination cursors: opaque, signed, and only valid for the listing they came from."""

from __future__ import annotations

import base64
import json

import pytest
from dashboard_api.logic.cursor import CursorCodec, StartKey
from dashboard_api.models.errors import InvalidCursor
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

CODEC = CursorCodec(b"key-one")
NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200).filter(
    lambda name: name.strip() == name and bool(name)
)


@given(store=NAMES, item=NAMES, mode=st.sampled_from(["all", "ok", "out", "low"]))
def test_encode_then_decode_gives_back_the_key(store: str, item: str, mode: str) -> None:
    status = mode if mode in ("out", "low") else None
    token = CODEC.encode(StartKey(store, item, status), mode)

    assert token.isascii()
    assert CODEC.decode(token, store, mode) == StartKey(store, item, status)


def test_the_cursor_does_not_show_its_content_as_plain_text() -> None:
    token = CODEC.encode(StartKey("Berlin", "Echo Dot"), "all")

    assert "Berlin" not in token
    assert "Echo" not in token


@given(position=st.integers(min_value=0, max_value=200), replacement=st.sampled_from("AB-_x0"))
def test_changing_any_character_invalidates_it(position: int, replacement: str) -> None:
    token = CODEC.encode(StartKey("Berlin", "Echo Dot"), "all")
    position %= len(token)
    if token[position] == replacement:
        return
    tampered = token[:position] + replacement + token[position + 1 :]

    try:
        decoded = CODEC.decode(tampered, "Berlin", "all")
    except InvalidCursor:
        return
    # base64 may ignore the last character's spare bits: then the content is unchanged.
    assert decoded == StartKey("Berlin", "Echo Dot")


def test_a_cursor_for_one_store_is_refused_for_another() -> None:
    token = CODEC.encode(StartKey("Berlin", "Echo Dot"), "all")

    with pytest.raises(InvalidCursor, match="another store"):
        CODEC.decode(token, "Karachi", "all")


def test_a_cursor_for_one_filter_is_refused_for_another() -> None:
    token = CODEC.encode(StartKey("Berlin", "Echo Dot", "out"), "out")

    with pytest.raises(InvalidCursor, match="status filter"):
        CODEC.decode(token, "Berlin", "low")


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    token = CursorCodec(b"key-two").encode(StartKey("Berlin", "Echo Dot"), "all")

    with pytest.raises(InvalidCursor, match="not one this API issued"):
        CODEC.decode(token, "Berlin", "all")


def _signed(body: object, codec: CursorCodec = CODEC) -> str:
    import hashlib
    import hmac

    payload = json.dumps(body).encode()
    signature = hmac.new(b"key-one", payload, hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{b64(payload)}.{b64(signature)}"


@pytest.mark.parametrize(
    "body",
    [
        {"v": 2, "s": "Berlin", "m": "all", "i": "A"},
        {"v": 1, "s": "Berlin", "m": "all", "i": ""},
        {"v": 1, "s": "Berlin", "m": "all", "i": "A\x00"},
        {"v": 1, "s": "Berlin", "m": "all", "i": 7},
        {"v": 1, "s": "Berlin", "m": "all", "i": "A", "a": "out"},
        {"v": 1, "s": "Berlin", "m": "out", "i": "A"},
        {"v": 1, "s": "Berlin", "m": "out", "i": "A", "a": "low"},
        ["Berlin", "A"],
    ],
)
def test_a_correctly_signed_but_malformed_cursor_is_refused(body: object) -> None:
    mode = body.get("m", "all") if isinstance(body, dict) else "all"
    with pytest.raises(InvalidCursor):
        CODEC.decode(_signed(body), "Berlin", str(mode))


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b.c", "!!!.???", "é.é", "x" * 5000])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.decode(token, "Berlin", "all")


# -- uploads cursors ------------------------------------------------------------------------


def test_an_uploads_cursor_gives_back_its_position_for_its_own_listing_only() -> None:
    from dashboard_api.models.records import UploadPosition

    position = UploadPosition("Berlin", "2026-11-22T03:00:00.000Z", "uploads/stores/Berlin/g/x.csv", "v1")
    token = CODEC.encode_uploads(position, "mine")

    assert CODEC.decode_uploads(token, "mine") == position
    with pytest.raises(InvalidCursor, match="another uploads listing"):
        CODEC.decode_uploads(token, "store:Berlin")
    with pytest.raises(InvalidCursor, match="another kind of listing"):
        CODEC.decode(token, "Berlin", "all")


def test_an_items_cursor_is_no_uploads_cursor() -> None:
    token = CODEC.encode(StartKey("Berlin", "Echo Dot"), "all")

    with pytest.raises(InvalidCursor, match="another kind of listing"):
        CODEC.decode_uploads(token, "all")
