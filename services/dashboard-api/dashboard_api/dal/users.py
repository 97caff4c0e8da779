"""Dashboard users in the Cognito user pool: the admin command and the API's admin routes share it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.models import iso_utc

from dashboard_api.models.access import ADMIN_GROUP, STORES_CLAIM
from dashboard_api.models.errors import InvalidCursor, InvalidInput, StateConflict, Unavailable, Unknown, UserError
from dashboard_api.models.users import UserListing, UserRecord

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef

#: ListUsers returns at most 60 users per call.
MAX_LIST_PAGE = 60
TOTP = "SOFTWARE_TOKEN_MFA"


def _refused(error: ClientError) -> UserError:
    details = error.response.get("Error", {})
    return UserError(f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}")


@contextmanager
def _cognito(username: str | None = None) -> Iterator[None]:
    """Cognito's refusals as the API's errors, each with Cognito's reason."""
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", ""))
        who = f"user {username!r}" if username else "the user"
        if code == "UserNotFoundException":
            raise Unknown(f"no such user: {username}" if username else "no such user") from error
        if code in {"UsernameExistsException", "AliasExistsException"}:
            raise StateConflict(f"{who} already exists ({code}: {message})", "user_exists") from error
        if code in {"InvalidParameterException", "InvalidPasswordException", "NotAuthorizedException"}:
            raise InvalidInput(f"Cognito refused the change to {who}: {message}", "refused") from error
        raise Unavailable(f"the user directory failed ({code or 'error'}); try again shortly") from error
    except BotoCoreError as error:
        raise Unavailable("the user directory could not be reached; try again shortly") from error


def _attributes(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(entry["Name"]): str(entry.get("Value", "")) for entry in entries or []}


def _time(value: Any) -> str | None:
    return iso_utc(value) if isinstance(value, datetime) else None


def _record(user: Mapping[str, Any], attributes_key: str, admin: bool, mfa: bool | None) -> UserRecord:
    attributes = _attributes(user.get(attributes_key))
    return UserRecord(
        username=str(user["Username"]),
        email=attributes.get("email") or None,
        email_verified=attributes.get("email_verified", "false").lower() == "true",
        enabled=bool(user.get("Enabled", True)),
        status=str(user.get("UserStatus", "UNKNOWN")),
        admin=admin,
        stores_attribute=attributes.get(STORES_CLAIM),
        created_at=_time(user.get("UserCreateDate")),
        mfa_enabled=mfa,
    )


class UserDirectory:
    def __init__(self, client: CognitoIdentityProviderClient, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    # -- reading --------------------------------------------------------------------------------

    def get(self, username: str) -> UserRecord:
        """One user, with their admin membership and MFA enrolment; :class:`Unknown` if there is none."""
        with _cognito(username):
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=username)
            canonical = user["Username"]
            groups = self._client.admin_list_groups_for_user(UserPoolId=self._pool, Username=canonical, Limit=60)
        admin = any(group["GroupName"] == ADMIN_GROUP for group in groups.get("Groups", []))
        mfa = TOTP in (user.get("UserMFASettingList") or [])
        return _record(dict(user), "UserAttributes", admin, mfa)

    def mfa_enabled(self, username: str) -> bool:
        """Whether the user has TOTP MFA turned on (:class:`Unknown` if the user is gone)."""
        with _cognito(username):
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=username)
        return TOTP in (user.get("UserMFASettingList") or [])

    def admins(self) -> set[str]:
        """Usernames in the admin group (head office: a handful)."""
        names: set[str] = set()
        kwargs: dict[str, Any] = {"UserPoolId": self._pool, "GroupName": ADMIN_GROUP, "Limit": 60}
        with _cognito():
            while True:
                page = self._client.list_users_in_group(**kwargs)
                names.update(str(user["Username"]) for user in page.get("Users", []))
                if not page.get("NextToken"):
                    return names
                kwargs["NextToken"] = page["NextToken"]

    def page(self, limit: int, token: str | None) -> UserListing:
        """A page of users in Cognito's order; ``token`` continues a previous page."""
        kwargs: dict[str, Any] = {"UserPoolId": self._pool, "Limit": min(limit, MAX_LIST_PAGE)}
        if token:
            kwargs["PaginationToken"] = token
        admins = self.admins()
        with _cognito():
            try:
                page = self._client.list_users(**kwargs)
            except ClientError as error:
                if token and error.response.get("Error", {}).get("Code") == "InvalidParameterException":
                    raise InvalidCursor("the cursor is not one this API issued") from error
                raise
        users = [
            _record(dict(user), "Attributes", str(user["Username"]) in admins, None) for user in page.get("Users", [])
        ]
        return UserListing(users, page.get("PaginationToken") or None)

    # -- changing -------------------------------------------------------------------------------

    def create(
        self, username: str, temporary_password: str, stores_attribute: str, admin: bool, email: str | None = None
    ) -> None:
        """Create a user who must choose a new password at first sign-in; no invitation is sent.

        An email given here is marked verified (the admin vouches for it): it is where a
        forgotten-password code goes.
        """
        attributes: list[AttributeTypeTypeDef] = (
            [{"Name": STORES_CLAIM, "Value": stores_attribute}] if stores_attribute else []
        )
        if email:
            attributes += [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        with _cognito(username):
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=username,
                TemporaryPassword=temporary_password,
                MessageAction="SUPPRESS",
                UserAttributes=attributes,
            )
            if admin:
                self._client.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=ADMIN_GROUP)

    def set_access(self, username: str, stores_attribute: str, admin: bool) -> None:
        """Replace an existing user's stores and admin membership (repeatable: same result)."""
        with _cognito(username):
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[{"Name": STORES_CLAIM, "Value": stores_attribute}],
            )
            change = self._client.admin_add_user_to_group if admin else self._client.admin_remove_user_from_group
            change(UserPoolId=self._pool, Username=username, GroupName=ADMIN_GROUP)

    def set_email(self, username: str, email: str) -> None:
        with _cognito(username):
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            )

    def disable(self, username: str) -> None:
        with _cognito(username):
            self._client.admin_disable_user(UserPoolId=self._pool, Username=username)

    def enable(self, username: str) -> None:
        with _cognito(username):
            self._client.admin_enable_user(UserPoolId=self._pool, Username=username)

    def delete(self, username: str) -> None:
        with _cognito(username):
            self._client.admin_delete_user(UserPoolId=self._pool, Username=username)

    def sign_out_everywhere(self, username: str) -> None:
        """Revoke every refresh token of the user (ID and access tokens live until they expire)."""
        with _cognito(username):
            self._client.admin_user_global_sign_out(UserPoolId=self._pool, Username=username)

    def reset_password(self, username: str) -> None:
        """Cognito emails a code to the user's verified address; the old password stops working."""
        with _cognito(username):
            self._client.admin_reset_user_password(UserPoolId=self._pool, Username=username)

    def set_temporary_password(self, username: str, password: str) -> None:
        """A new password the user must replace at their next sign-in."""
        with _cognito(username):
            self._client.admin_set_user_password(
                UserPoolId=self._pool, Username=username, Password=password, Permanent=False
            )


def user_pool_of_stack(client: CloudFormationClient, stack_name: str) -> str:
    """The UserPoolId output of a deployed dashboard API stack."""
    return stack_outputs(client, stack_name, ("UserPoolId",))["UserPoolId"]


def stack_outputs(client: CloudFormationClient, stack_name: str, wanted: Sequence[str]) -> dict[str, str]:
    """Outputs of a deployed stack; every name in ``wanted`` must be there."""
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise _refused(error) from error
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in stacks[0].get("Outputs", [])}
    missing = [name for name in wanted if name not in outputs]
    if missing:
        raise UserError(f"stack {stack_name} has no {', '.join(missing)} output")
    return outputs
