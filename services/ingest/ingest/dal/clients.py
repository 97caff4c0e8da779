"""The boto3 clients ingest uses, with the one retry layer every call goes through.

Retries are botocore's *standard* mode and nothing else (:func:`inventory.clients.client_config`,
as in every service): throttling, 5xx answers and connection errors are retried with truncated
exponential backoff and full jitter (a wait of ``random() * min(2**n, 20)`` seconds after
throttling). Bounding the attempts bounds the time: with :data:`TABLE_ATTEMPTS` a DynamoDB call
waits at most 1 + 2 + 4 + 8 + 16 = 31 s between tries. What a successful call leaves undone
(BatchGetItem's UnprocessedKeys, the items of a cancelled transaction) is sent again by the table
code within the batch's deadline (:mod:`inventory.leftovers`), never by a loop around these
clients. Adaptive mode was not chosen: its client-side rate limit is per client, so one store's
hot partition would slow the writes of every store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from inventory.clients import client_config
from inventory.fast_json import use_fast_json

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client

#: Attempts per DynamoDB call (the first and five retries).
TABLE_ATTEMPTS = 6
#: Attempts per S3 call; a streamed read that breaks off is not retried by botocore (see objects.py).
STORAGE_ATTEMPTS = 5
#: Attempts to invoke the function itself for a continuation.
INVOKE_ATTEMPTS = 3


def dynamodb_client(pool: int, *, shortcuts: bool = True) -> DynamoDBClient:
    """A DynamoDB client for ``pool`` concurrent calls.

    The requests are built by ingest's own code and DynamoDB validates them again, so
    botocore's client-side validation would only spend CPU the writer threads share; for the
    same reason each batch's read and write skip botocore's walks over their JSON when the
    self-check allows (:mod:`inventory.fast_json`; ``shortcuts=False``: botocore's steps only).
    """
    config = client_config(
        TABLE_ATTEMPTS,
        connect_timeout=3,
        read_timeout=10,
        max_pool_connections=pool,
        parameter_validation=False,
    )
    client = boto3.client("dynamodb", config=config)
    if shortcuts:
        use_fast_json(client)
    return client


def s3_client() -> S3Client:
    config = client_config(STORAGE_ATTEMPTS, connect_timeout=3, read_timeout=30)
    return boto3.client("s3", config=config)


def lambda_client() -> LambdaClient:
    config = client_config(INVOKE_ATTEMPTS, connect_timeout=3)
    return boto3.client("lambda", config=config)


def iam_client() -> Any:
    """For reading the API's role (:mod:`ingest.dal.roles`): one call per execution environment.

    Untyped: the project has no stubs for IAM, and this is its only call.
    """
    config = client_config(3, connect_timeout=3, read_timeout=5)
    return boto3.client("iam", config=config)
