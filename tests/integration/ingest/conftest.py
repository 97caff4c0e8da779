"""An upload bucket and Inventory / Stores tables in moto, and the real ingest handler wired to them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.definitions import create_table
from tests.builders import LambdaContext, s3_event

BUCKET = "inventory-ingest-test-uploads"
TABLE = "inventory-ingest-test-inventory"
STORES = "inventory-ingest-test-stores"


@dataclass
class IngestWorld:
    s3: Any
    dynamodb: Any

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """Put a file in the bucket and deliver its event to the handler, as S3 and Lambda would."""
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return self.deliver(key)

    def deliver(self, *keys: str, **event: Any) -> dict[str, Any]:
        from ingest.handlers.upload import handler

        return handler(s3_event(BUCKET, *keys, **event), LambdaContext())

    def report(self, key: str) -> dict[str, Any]:
        body = self.s3.get_object(Bucket=BUCKET, Key=f"reports/{key}.json")["Body"].read()
        return json.loads(body)

    def items(self, store: str) -> dict[str, dict[str, Any]]:
        response = self.dynamodb.query(
            TableName=TABLE, KeyConditionExpression="Store = :s", ExpressionAttributeValues={":s": {"S": store}}
        )
        return {item["Item"]["S"]: item for item in response["Items"]}

    def counts(self, store: str) -> dict[str, int]:
        return {name: int(item["Count"]["N"]) for name, item in self.items(store).items()}

    def summary(self, store: str) -> dict[str, int]:
        item = self.dynamodb.get_item(TableName=STORES, Key={"Store": {"S": store}}).get("Item", {})
        return {name: int(item[name]["N"]) for name in ("Items", "Out", "Low") if name in item}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestWorld]:
    monkeypatch.setenv("INVENTORY_TABLE", TABLE)
    monkeypatch.setenv("STORES_TABLE", STORES)
    monkeypatch.setenv("LOW_STOCK_DEFAULT", "5")
    monkeypatch.setenv("WRITE_CONCURRENCY", "4")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ingest")
    with mock_aws():
        from ingest.handlers.upload import ingestor

        ingestor.cache_clear()
        s3 = boto3.client("s3", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        create_table(dynamodb, "ingest", "InventoryTable", TABLE)
        create_table(dynamodb, "ingest", "StoresTable", STORES)
        yield IngestWorld(s3, dynamodb)
        ingestor.cache_clear()
