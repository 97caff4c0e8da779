"""The dashboard API's People table, as far as ingest reads it: what an uploader may change now.

Head office's changes to a user (disabled, deleted, stores taken away) are recorded on the user's
item there (``inventory.people``); ingest reads it before loading a store's file, so a grant signed
before the change loads nothing after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from inventory.people import PersonAccess, user_item_key

from ingest.models.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class PeopleTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def access(self, username: str) -> PersonAccess:
        """The user's access as last recorded (``known`` False when never recorded)."""
        try:
            item = self._client.get_item(
                TableName=self.name,
                Key=user_item_key(username),
                ConsistentRead=True,
                ProjectionExpression="#enabled, #admin, #stores, #revoked",
                ExpressionAttributeNames={
                    "#enabled": "Enabled",
                    "#admin": "Admin",
                    "#stores": "Stores",
                    "#revoked": "RevokedBefore",
                },
            ).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise Unavailable(f"the uploader's access could not be read from the People table ({error})") from error
        return PersonAccess.from_item(item)
