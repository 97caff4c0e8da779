"""AWS clients for subscriptions, sessions and user management, created once per execution environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from dashboard_api.dal.clients import PARALLEL_READS

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
else:
    CognitoIdentityProviderClient = DynamoDBClient = SNSClient = Any


@dataclass(frozen=True, slots=True)
class PeopleClients:
    dynamodb: DynamoDBClient
    sns: SNSClient
    cognito: CognitoIdentityProviderClient


def people_clients() -> PeopleClients:
    # Listings read subscription statuses in parallel; API Gateway gives the function 30 s at most.
    config = Config(
        max_pool_connections=PARALLEL_READS + 4,
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return PeopleClients(
        dynamodb=boto3.client("dynamodb", config=config),
        sns=boto3.client("sns", config=config),
        cognito=boto3.client("cognito-idp", config=config),
    )
