"""Demo users of the local user pool: an admin who sees every store, and a manager of Berlin only.

Permissions follow the dashboard API's rules (services/dashboard-api, ``dashboard_api.logic.permissions``):
members of the Cognito group ``admin`` see all stores; other users see the stores listed in the custom
attribute ``custom:stores``, a compact JSON array (the form ``python -m dashboard_api.admin`` writes).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

ADMIN_GROUP = "admin"
STORES_ATTRIBUTE = "custom:stores"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    admin: bool
    stores: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


DEMO_USERS = (
    DemoUser("admin", "Admin-Passw0rd!", admin=True),
    DemoUser("berlin-manager", "Berlin-Passw0rd!", admin=False, stores=["Berlin"]),
)


def store_attributes(stores: list[str]) -> list[dict[str, str]]:
    """The user attributes that grant access to ``stores`` (the dashboard API reads them from the token)."""
    value = json.dumps(sorted(set(stores)), ensure_ascii=False, separators=(",", ":"))
    return [{"Name": STORES_ATTRIBUTE, "Value": value}] if stores else []


def create_demo_users(client: Any, user_pool_id: str) -> list[DemoUser]:
    """Create the demo users with permanent passwords, so they can sign in at once."""
    groups = {group["GroupName"] for group in client.list_groups(UserPoolId=user_pool_id).get("Groups", [])}
    if ADMIN_GROUP not in groups:
        client.create_group(UserPoolId=user_pool_id, GroupName=ADMIN_GROUP, Description="Sees every store")
    for user in DEMO_USERS:
        client.admin_create_user(
            UserPoolId=user_pool_id,
            Username=user.username,
            TemporaryPassword=user.password,
            MessageAction="SUPPRESS",
            UserAttributes=store_attributes(user.stores),
        )
        client.admin_set_user_password(
            UserPoolId=user_pool_id, Username=user.username, Password=user.password, Permanent=True
        )
        if user.admin:
            client.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username, GroupName=ADMIN_GROUP)
    return list(DEMO_USERS)
