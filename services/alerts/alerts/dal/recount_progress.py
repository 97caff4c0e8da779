"""The recount's progress table: one item saying where the daily pass stands and which run holds it.

Key: ``Pass`` (always ``stores``). ``PassStarted``, ``After`` and ``PassFinished`` are the pass
(:class:`~alerts.models.recount_pass.RecountPass`); ``Owner`` and ``HeldUntil`` the run that holds
it and until when. Every write is one conditional UpdateItem, so taking the pass and reading where
it stands is one atomic step, and a run that no longer holds it cannot move it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from alerts.models.errors import ProgressUnavailable
from alerts.models.recount_pass import RecountPass

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

KEY = {"Pass": {"S": "stores"}}
FIELDS = {"started": "PassStarted", "after": "After", "finished": "PassFinished"}


class RecountProgress:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def take(self, owner: str, until: str, now: str) -> RecountPass | None:
        """Hold the pass for ``owner`` until ``until`` unless another run holds it at ``now``."""
        try:
            item = self._client.update_item(
                TableName=self.name,
                Key=KEY,
                UpdateExpression="SET #owner = :owner, #until = :until",
                ConditionExpression="attribute_not_exists(#until) OR #until < :now",
                ExpressionAttributeNames={"#owner": "Owner", "#until": "HeldUntil"},
                ExpressionAttributeValues={":owner": {"S": owner}, ":until": {"S": until}, ":now": {"S": now}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if _refused(error):
                return None
            raise ProgressUnavailable(f"recount progress not taken: {error}") from error
        except BotoCoreError as error:
            raise ProgressUnavailable(f"recount progress not taken: {error}") from error
        return RecountPass(**{field: item[name]["S"] if name in item else None for field, name in FIELDS.items()})

    def save(self, owner: str, progress: RecountPass) -> bool:
        names = {"#owner": "Owner"}
        values: dict[str, Any] = {":owner": {"S": owner}}
        sets, removes = [], []
        for field, name in FIELDS.items():
            value = getattr(progress, field)
            names[f"#{name}"] = name
            if value is None:
                removes.append(f"#{name}")
            else:
                values[f":{name}"] = {"S": value}
                sets.append(f"#{name} = :{name}")
        update = " ".join(part for part in (_clause("SET", sets), _clause("REMOVE", removes)) if part)
        return self._conditional(update, names, values, "saved")

    def release(self, owner: str) -> None:
        self._conditional(
            "REMOVE #owner, #until", {"#owner": "Owner", "#until": "HeldUntil"}, {":owner": {"S": owner}}, "released"
        )

    def _conditional(self, update: str, names: dict[str, str], values: dict[str, Any], what: str) -> bool:
        """Apply ``update`` if ``:owner`` holds the pass; ``False`` if it does not."""
        try:
            self._client.update_item(
                TableName=self.name,
                Key=KEY,
                UpdateExpression=update,
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _refused(error):
                return False
            raise ProgressUnavailable(f"recount progress not {what}: {error}") from error
        except BotoCoreError as error:
            raise ProgressUnavailable(f"recount progress not {what}: {error}") from error
        return True


def _clause(action: str, parts: list[str]) -> str:
    return f"{action} {', '.join(parts)}" if parts else ""


def _refused(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionConflictException",
    )
