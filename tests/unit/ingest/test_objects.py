"""The uploader named by an object's metadata, from the forms S3 returns it in."""

from __future__ import annotations

import pytest
from ingest.dal.objects import full_list, uploader

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


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [({"full-list": "true"}, True), ({"full-list": " TRUE "}, True), ({"full-list": "yes"}, False), ({}, False),
     (None, False)],
)  # fmt: skip
def test_a_file_is_a_full_list_only_when_its_metadata_says_true(
    metadata: dict[str, str] | None, expected: bool
) -> None:
    assert full_list(metadata) is expected
