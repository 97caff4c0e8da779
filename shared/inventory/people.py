"""A dashboard user's current access as the People table holds it: the contract between the dashboard
API (which writes it whenever head office changes a user) and ingest (which reads it before loading a
store's file, so an upload grant signed before a user was disabled or lost the store changes nothing).

The user's item in the API's People table (``PK = USER#<username>``, ``SK = USER``) holds, besides
the API's own counters:

- ``Enabled`` (BOOL): false once the user is disabled or deleted;
- ``Admin`` (BOOL) and ``Stores`` (a list of store names): what the user may change;
- ``RevokedBefore`` (epoch seconds): tokens issued before it are void (any access change, sign-out).

A user head office has not changed since these attributes were introduced has no ``Enabled``; their
access is then unknown here, and only ``RevokedBefore`` (if any) is compared with the grant's time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

USER_PREFIX = "USER#"
USER_SK = "USER"
#: The time segment an upload grant puts in its key: ``<prefix>stores/<store>/<UTC time>-<random>/<file>``.
_GRANT_TIME = re.compile(r"^(\d{8}T\d{6}Z)-[0-9a-f]+$")


def user_item_key(username: str) -> dict[str, dict[str, str]]:
    """The key of a user's own item in the People table."""
    return {"PK": {"S": f"{USER_PREFIX}{username}"}, "SK": {"S": USER_SK}}


def granted_at(key: str) -> int | None:
    """When the grant an upload was made with was signed (epoch seconds), from its key's time folder."""
    parts = key.split("/")
    for segment in reversed(parts[:-1]):
        match = _GRANT_TIME.match(segment)
        if match:
            return int(datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())
    return None


@dataclass(frozen=True, slots=True)
class PersonAccess:
    """What a user may change now, as head office last set it (``known`` False: never recorded)."""

    known: bool = False
    enabled: bool = True
    admin: bool = False
    stores: frozenset[str] = frozenset()
    revoked_before: int | None = None

    @classmethod
    def recorded(
        cls, *, enabled: bool, admin: bool = False, stores: frozenset[str] | list[str] = frozenset()
    ) -> PersonAccess:
        """Access as head office sets it (``known``)."""
        return cls(known=True, enabled=enabled, admin=admin, stores=frozenset(stores))

    def to_item(self) -> dict[str, dict[str, Any]]:
        """The access attributes (not the key) as a DynamoDB item fragment."""
        return {
            "Enabled": {"BOOL": self.enabled},
            "Admin": {"BOOL": self.admin},
            "Stores": {"L": [{"S": store} for store in sorted(self.stores)]},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, Any]] | None) -> PersonAccess:
        item = item or {}
        revoked = item.get("RevokedBefore", {}).get("N")
        return cls(
            known="Enabled" in item,
            enabled=bool(item.get("Enabled", {}).get("BOOL", True)),
            admin=bool(item.get("Admin", {}).get("BOOL", False)),
            stores=frozenset(value.get("S", "") for value in item.get("Stores", {}).get("L", [])),
            revoked_before=int(revoked) if revoked is not None else None,
        )

    def refusal(self, uploader: str, store: str | None, granted: int | None) -> str | None:
        """Why ``uploader``'s file for ``store`` (None: a head-office file) may not be loaded now, or
        None if it may."""
        if not self.enabled:
            return f"the uploader {uploader!r} was disabled or deleted after the upload was granted; nothing was loaded"
        if self.known:
            if self.admin or (store is not None and store in self.stores):
                return None
            what = "every store (head office)" if store is None else f"store {store!r}"
            return f"the uploader {uploader!r} may no longer change {what}; nothing was loaded"
        if self.revoked_before is not None and (granted is None or granted < self.revoked_before):
            return (
                f"the uploader {uploader!r}'s access changed after the upload was granted; nothing was loaded:"
                " upload the file again"
            )
        return None
