"""Dashboard users in the Cognito user pool (used by the admin command, not by the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from dashboard_api.models.access import ADMIN_GROUP, STORES_CLAIM
from dashboard_api.models.errors import UserError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef


def _refused(error: ClientError) -> UserError:
    details = error.response.get("Error", {})
    return UserError(f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}")


class UserDirectory:
    def __init__(self, client: CognitoIdentityProviderClient, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def create(self, username: str, temporary_password: str, stores_attribute: str, admin: bool) -> None:
        """Create a user who must choose a new password at first sign-in; no invitation is sent."""
        attributes: list[AttributeTypeTypeDef] = (
            [{"Name": STORES_CLAIM, "Value": stores_attribute}] if stores_attribute else []
        )
        try:
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=username,
                TemporaryPassword=temporary_password,
                MessageAction="SUPPRESS",
                UserAttributes=attributes,
            )
            if admin:
                self._client.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=ADMIN_GROUP)
        except ClientError as error:
            raise _refused(error) from error

    def set_access(self, username: str, stores_attribute: str, admin: bool) -> None:
        """Replace an existing user's stores and admin membership (effective at their next token)."""
        try:
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[{"Name": STORES_CLAIM, "Value": stores_attribute}],
            )
            change = self._client.admin_add_user_to_group if admin else self._client.admin_remove_user_from_group
            change(UserPoolId=self._pool, Username=username, GroupName=ADMIN_GROUP)
        except ClientError as error:
            raise _refused(error) from error


def user_pool_of_stack(client: CloudFormationClient, stack_name: str) -> str:
    """The UserPoolId output of a deployed dashboard API stack."""
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise _refused(error) from error
    for output in stacks[0].get("Outputs", []):
        if output["OutputKey"] == "UserPoolId":
            return str(output["OutputValue"])
    raise UserError(f"stack {stack_name} has no UserPoolId output")
