"""AWS clients for the API function, created once per execution environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient

#: Reads one request may run at once (per-store queries, subscription statuses).
PARALLEL_READS = 16


@dataclass(frozen=True, slots=True)
class Clients:
    dynamodb: DynamoDBClient
    s3: S3Client
    secrets: SecretsManagerClient


@dataclass(frozen=True, slots=True)
class PeopleClients:
    """The clients of subscriptions, sessions and user management."""

    dynamodb: DynamoDBClient
    sns: SNSClient
    cognito: CognitoIdentityProviderClient


def _config() -> Config:
    # Enough pooled connections for the parallel reads; short timeouts, since API Gateway gives
    # the function 30 s at most.
    return Config(
        max_pool_connections=PARALLEL_READS + 4,
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "max_attempts": 3},
    )


def aws_clients() -> Clients:
    return Clients(*_clients("dynamodb", "s3", "secretsmanager"))


def people_clients() -> PeopleClients:
    return PeopleClients(*_clients("dynamodb", "sns", "cognito-idp"))


def _clients(*services: str) -> list[Any]:
    config = _config()
    # S3 presigns with Signature Version 2 in us-east-1 unless asked for SigV4; buckets created since
    # June 2020 refuse SigV2.
    s3_config = config.merge(Config(signature_version="s3v4"))
    return [
        boto3.client(service, config=s3_config if service == "s3" else config)  # type: ignore[call-overload]
        for service in services
    ]
