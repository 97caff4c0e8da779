"""AWS clients for the API function, created once per execution environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from inventory.clients import client_config
from inventory.fast_json import use_fast_json

from dashboard_api.models.records import PARALLEL_READS

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient

#: Calls per request, the first included (botocore's standard mode retries the rest).
ATTEMPTS = 4


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
    return client_config(ATTEMPTS, max_pool_connections=PARALLEL_READS + 4, connect_timeout=3, read_timeout=10)


def s3_config() -> Config:
    """What S3 needs on top of :func:`_config`: upload grants (presigned POSTs) that S3 and browsers accept.

    SigV4: botocore presigns with SigV2 in us-east-1 unless asked, and buckets created after
    24 June 2020 refuse SigV2. The regional virtual-hosted address
    (``https://<bucket>.s3.<region>.amazonaws.com/``): the global one is redirected (307) for up
    to a day after a bucket outside us-east-1 is created, and a browser's CORS preflight does not
    follow redirects. With a custom endpoint (the local emulator, ``AWS_ENDPOINT_URL``) the
    grant's URL stays on it.
    """
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
    )


def aws_clients() -> Clients:
    return Clients(*_clients("dynamodb", "s3", "secretsmanager"))


def lambda_client() -> LambdaClient:
    """For invoking ingest (a decision on a held upload): built only when one is made."""
    client: LambdaClient = _clients("lambda")[0]
    return client


def people_clients() -> PeopleClients:
    return PeopleClients(*_clients("dynamodb", "sns", "cognito-idp"))


def _clients(*services: str) -> list[Any]:
    config = _config()
    clients = [
        boto3.client(service, config=config.merge(s3_config()) if service == "s3" else config)  # type: ignore[call-overload]
        for service in services
    ]
    for service, client in zip(services, clients, strict=True):
        # Parsing a page of items is most of a request's CPU; botocore's parser stays if it differs.
        if service == "dynamodb":
            use_fast_json(client)
    return clients
