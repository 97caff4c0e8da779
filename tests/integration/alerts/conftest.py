"""Inventory and History tables, the alerts topic with an SQS subscriber, in moto; the real alerts handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from inventory.observability import metrics
from moto import mock_aws

from devstack.definitions import create_table
from tests.builders import LambdaContext, inventory_image, lambda_stream_event

INVENTORY = "inventory-ingest-test-inventory"
HISTORY = "inventory-alerts-test-history"
TOPIC = "inventory-alerts-test-no-stock"
REGION = "us-east-1"


@dataclass
class AlertsWorld:
    dynamodb: Any
    streams: Any
    sqs: Any
    topic_arn: str
    queue_url: str
    stream_arn: str
    consumed: int = 0
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def put(self, store: str, item: str, count: int, updated_at: str = "2026-11-22T03:00:00.000Z") -> None:
        """Write an item as ingest does (moto streams every put, even an unchanged one)."""
        self.dynamodb.put_item(TableName=INVENTORY, Item=inventory_image(store, item, count, None, updated_at))

    def new_records(self) -> list[dict[str, Any]]:
        """The stream records written since the last call, as get_records returns them."""
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            iterator = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records.extend(self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])
        fresh, self.consumed = records[self.consumed :], len(records)
        return fresh

    def deliver(self, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Invoke the handler with a Lambda-shaped batch (by default: every new stream record)."""
        from alerts.handlers.stream import handler

        event = lambda_stream_event(self.new_records() if records is None else records, self.stream_arn)
        return handler(event, LambdaContext())

    def notifications(self) -> list[dict[str, Any]]:
        """SNS envelopes the subscribed queue received since the last call."""
        found: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def history(self, store: str, item: str, start: str = "0", end: str = "~") -> list[dict[str, Any]]:
        """History rows of one item between two times, oldest first (the dashboard's query)."""
        from inventory.history import history_key

        response = self.dynamodb.query(
            TableName=HISTORY,
            KeyConditionExpression="StoreItem = :key AND At BETWEEN :from AND :to",
            ExpressionAttributeValues={
                ":key": {"S": history_key(store, item)},
                ":from": {"S": start},
                ":to": {"S": end},
            },
        )
        return response["Items"]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlertsWorld]:
    monkeypatch.setenv("HISTORY_TABLE", HISTORY)
    monkeypatch.setenv("LOW_STOCK_DEFAULT", "5")
    monkeypatch.setenv("HISTORY_RETENTION_DAYS", "90")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "alerts")
    # The metrics singleton may have been created (at collection) before the namespace was set.
    monkeypatch.setattr(metrics, "namespace", metrics.namespace or "Inventory")
    with mock_aws():
        from alerts.handlers.stream import alert_service

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, "ingest", "InventoryTable", INVENTORY)
        create_table(dynamodb, "alerts", "HistoryTable", HISTORY)
        dynamodb.update_time_to_live(
            TableName=HISTORY, TimeToLiveSpecification={"AttributeName": "ExpiresAt", "Enabled": True}
        )
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts-subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("ALERTS_TOPIC_ARN", topic_arn)
        alert_service.cache_clear()
        # moto serves DynamoDB Streams only at the classic endpoint, which boto3 no longer picks by itself.
        streams = boto3.client(
            "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )
        stream_arn = dynamodb.describe_table(TableName=INVENTORY)["Table"]["LatestStreamArn"]
        yield AlertsWorld(dynamodb, streams, sqs, topic_arn, queue_url, stream_arn)
        alert_service.cache_clear()
