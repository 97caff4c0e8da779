"""The uploader named by an object's metadata, from the forms S3 returns it in."""

from __future__ import annotations

import pytest
from ingest.dal.objects import uploader

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("berlin-manager", "berlin-manager"),  # ASCII comes back as it was put
        ("=?UTF-8?B?SsO8cmdlbg==?=", "Jürgen"),
        ("=?utf-8?q?J=C3=BCrgen?=", "Jürgen"),
        ("=?UTF-8?B?5byg5LiJ?= =?UTF-8?B?5p2O5Zub?=", "张三李四"),  # long values: several encoded words
    ],
)
def test_the_uploader_is_decoded_from_rfc_2047(returned: str, expected: str) -> None:
    assert uploader({"uploaded-by": returned}) == expected


@pytest.mark.parametrize("malformed", ["=?UTF-8?B?/w==?=", "=?x-no-such-charset?B?SsO8?=", "=?UTF-8?B?!!!?="])
def test_a_value_that_only_looks_encoded_is_kept_as_it_came(malformed: str) -> None:
    assert uploader({"uploaded-by": malformed}) == malformed


def test_no_uploader_metadata_is_none() -> None:
    assert uploader({}) is None
    assert uploader(None) is None
    assert uploader({"uploaded-by": ""}) is None
