"""boto3 clients for the alerts service, typed with the mypy-boto3 stubs (annotations only; nothing ships).

One retry layer: botocore's standard mode retries throttling and server errors with backoff, and
Lambda retries a failed record from there (the stream) or a failed message (the failure queue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3
from inventory.clients import client_config
from inventory.fast_calls import use_fast_calls
from inventory.fast_json import use_fast_json
from inventory.fast_signing import use_fast_signing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_sns.client import SNSClient

#: Calls per request, the first included.
ATTEMPTS = 6
#: Connections kept per client: the stream consumer writes up to 32 Forecast rows and 8 stores'
#: transactions at once (urllib3 would otherwise open and drop connections past its default 10).
POOL = 48
CONFIG = client_config(ATTEMPTS, connect_timeout=5, read_timeout=15, max_pool_connections=POOL)
#: DynamoDB's requests are built by the service's own code and DynamoDB validates them again, so
#: botocore's client-side validation (a walk of every item written) would only spend CPU.
DYNAMODB_CONFIG = client_config(
    ATTEMPTS, connect_timeout=5, read_timeout=15, max_pool_connections=POOL, parameter_validation=False
)
#: Any key works with the local emulator; nothing reaches AWS with it.
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def default_session() -> boto3.Session:
    """boto3's default session, as ``boto3.client()`` uses it (its event hooks reach every client)."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION


@dataclass(frozen=True)
class Clients:
    """Clients of one session; ``endpoint_url`` points every client at the local emulator when set."""

    session: boto3.Session = field(default_factory=default_session)
    endpoint_url: str | None = None

    @classmethod
    def local(cls, endpoint_url: str, region: str) -> Clients:
        return cls(boto3.Session(region_name=region, **LOCAL_CREDENTIALS), endpoint_url)

    @classmethod
    def for_region(cls, region: str | None) -> Clients:
        """The caller's own credentials (profile, environment, role), in ``region`` or their default."""
        return cls(boto3.Session(region_name=region))

    def dynamodb(self) -> DynamoDBClient:
        client = self.session.client("dynamodb", endpoint_url=self.endpoint_url, config=DYNAMODB_CONFIG)
        # Parsing a batch's Forecast rows and serializing each item written (a Forecast row, a batch's
        # History rows) are most of a call's CPU; botocore's steps stay if the fast ones differ.
        use_fast_json(client)
        use_fast_calls(client)
        use_fast_signing(client)
        return client

    def streams(self) -> DynamoDBStreamsClient:
        return self.session.client("dynamodbstreams", endpoint_url=self.endpoint_url, config=CONFIG)

    def sns(self) -> SNSClient:
        client = self.session.client("sns", endpoint_url=self.endpoint_url, config=CONFIG)
        use_fast_calls(client)
        use_fast_signing(client)
        return client

    def lambda_(self) -> LambdaClient:
        return self.session.client("lambda", endpoint_url=self.endpoint_url, config=CONFIG)
