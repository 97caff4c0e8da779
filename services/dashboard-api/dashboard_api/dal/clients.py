"""AWS clients for the API function, created once per execution environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

#: Reads one request may run at once (per-store queries).
PARALLEL_READS = 16


@dataclass(frozen=True, slots=True)
class Clients:
    dynamodb: DynamoDBClient
    s3: S3Client
    secrets: SecretsManagerClient


def aws_clients() -> Clients:
    # Enough pooled connections for the parallel per-store reads; short timeouts, since API
    # Gateway gives the function 30 s at most.
    config = Config(
        max_pool_connections=PARALLEL_READS + 4,
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return Clients(
        dynamodb=boto3.client("dynamodb", config=config),
        s3=boto3.client("s3", config=config),
        secrets=boto3.client("secretsmanager", config=config),
    )
