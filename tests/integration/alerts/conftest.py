"""The alerts world in moto: Inventory (with its stream), Stores, History, Forecast and failed-records
tables, the alerts topic with an SQS subscriber; the real handlers, built from their environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from inventory.observability import metrics
from moto import mock_aws

from devstack.definitions import create_table
from tests.builders import LambdaContext, function_environment, inventory_image, lambda_stream_event

INVENTORY = "inventory-ingest-test-inventory"
STORES = "inventory-ingest-test-stores"
HISTORY = "inventory-alerts-test-history"
FAILED = "inventory-alerts-test-failed-records"
FORECAST = "inventory-alerts-test-forecast"
PROGRESS = "inventory-alerts-test-recount-progress"
TOPIC = "inventory-alerts-test-no-stock"
REGION = "us-east-1"


@dataclass
class AlertsWorld:
    dynamodb: Any
    streams: Any
    sqs: Any
    sns: Any
    topic_arn: str
    queue_url: str
    stream_arn: str
    consumed: int = 0
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def put(
        self,
        store: str,
        item: str,
        count: Any,
        updated_at: str = "2026-11-22T03:00:00.000Z",
        threshold: int | None = None,
        count_type: str = "N",
    ) -> None:
        """Write an item as ingest does (moto streams every put, even an unchanged one).

        ``count_type="S"`` writes the count as text, as a foreign writer might.
        """
        image = inventory_image(store, item, count, threshold, updated_at)
        if count_type != "N":
            image["Count"] = {count_type: str(count)}
        self.dynamodb.put_item(TableName=INVENTORY, Item=image)

    def new_records(self) -> list[dict[str, Any]]:
        """The stream records written since the last call, as get_records returns them."""
        records = self.all_records()
        fresh, self.consumed = records[self.consumed :], len(records)
        return fresh

    def all_records(self) -> list[dict[str, Any]]:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            iterator = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records.extend(self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])
        return records

    def shard_id(self) -> str:
        (shard,) = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        return str(shard["ShardId"])

    def deliver(self, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Invoke the stream handler with a Lambda-shaped batch (by default: every new stream record)."""
        from alerts.handlers.stream import handler

        event = lambda_stream_event(self.new_records() if records is None else records, self.stream_arn)
        return handler(event, LambdaContext())

    def subscribe_queue(self, name: str, filter_policy: dict[str, list[str]]) -> str:
        """A queue of its own subscribed to the topic with ``filter_policy``; its URL."""
        queue_url: str = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=attributes["QueueArn"],
            Attributes={"FilterPolicy": json.dumps(filter_policy)},
        )
        return queue_url

    def notifications(self) -> list[dict[str, Any]]:
        """SNS envelopes the subscribed queue received since the last call."""
        return drain(self.sqs, self.queue_url)

    def history(self, store: str, item: str, start: str = "0", end: str = "~") -> list[dict[str, Any]]:
        """History rows of one item between two times, oldest first (the dashboard's query)."""
        from inventory.history import history_key

        response = self.dynamodb.query(
            TableName=HISTORY,
            KeyConditionExpression="StoreItem = :key AND #at BETWEEN :from AND :to",
            ExpressionAttributeNames={"#at": "At"},
            ExpressionAttributeValues={
                ":key": {"S": history_key(store, item)},
                ":from": {"S": start},
                ":to": {"S": end},
            },
        )
        return response["Items"]

    def forecast(self, store: str, item: str) -> Any:
        """The item's Forecast row (``inventory.forecast.ForecastRow``), or ``None``."""
        from inventory.forecast import ForecastRow

        found = self.dynamodb.get_item(
            TableName=FORECAST, Key={"Store": {"S": store}, "Item": {"S": item}}, ConsistentRead=True
        ).get("Item")
        return None if found is None else ForecastRow.from_item(found)

    def totals(self, store: str) -> tuple[int, int, int]:
        """(items, out, low) as the Stores row holds them."""
        from inventory.stores import StoreSummary

        item = self.dynamodb.get_item(TableName=STORES, Key={"Store": {"S": store}}).get("Item")
        summary = StoreSummary.from_item(item) if item else None
        return (0, 0, 0) if summary is None else (summary.items, summary.out, summary.low)

    def set_totals(self, store: str, items: int, out: int, low: int, updated_at: str) -> None:
        """Overwrite a Stores row, as drift from outside the stream would leave it."""
        self.dynamodb.put_item(
            TableName=STORES,
            Item={
                "Store": {"S": store},
                "Items": {"N": str(items)},
                "Out": {"N": str(out)},
                "Low": {"N": str(low)},
                "UpdatedAt": {"S": updated_at},
            },
        )

    def hook(self, event: str, callback: Callable[..., Any]) -> None:
        """Register a botocore event hook (e.g. ``before-parameter-build.dynamodb.TransactWriteItems``) on the
        default session, and rebuild the handlers' cached clients so they carry it."""
        from alerts.handlers.archive import failure_archiver
        from alerts.handlers.stream import alert_service

        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(event, callback)
        alert_service.cache_clear()
        failure_archiver.cache_clear()


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def minutes_ago(minutes: float) -> str:
    return iso(datetime.now(UTC) - timedelta(minutes=minutes))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlertsWorld]:
    # The three functions' environments as serverless.yml sets them (stage parameters at their
    # defaults), with the tables made here; the topic follows once it exists.
    for function in ("alertsStream", "alertsFailureArchive", "alertsRecount"):
        for name, value in function_environment("alerts", function).items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("HISTORY_TABLE", HISTORY)
    monkeypatch.setenv("STORES_TABLE", STORES)
    monkeypatch.setenv("INVENTORY_TABLE", INVENTORY)
    monkeypatch.setenv("FAILED_RECORDS_TABLE", FAILED)
    monkeypatch.setenv("FORECAST_TABLE", FORECAST)
    monkeypatch.setenv("RECOUNT_PROGRESS_TABLE", PROGRESS)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "alerts")
    # moto serves DynamoDB Streams only at the classic endpoint, which boto3 no longer picks by itself.
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", f"https://streams.dynamodb.{REGION}.amazonaws.com")
    # The metrics singleton may have been created (at collection) before the namespace was set.
    monkeypatch.setattr(metrics, "namespace", metrics.namespace or "Inventory")
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        from alerts.handlers.archive import failure_archiver
        from alerts.handlers.stream import alert_service

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, "ingest", "InventoryTable", INVENTORY)
        create_table(dynamodb, "ingest", "StoresTable", STORES)
        create_table(dynamodb, "alerts", "HistoryTable", HISTORY)
        create_table(dynamodb, "alerts", "FailedRecordsTable", FAILED)
        create_table(dynamodb, "alerts", "ForecastTable", FORECAST)
        create_table(dynamodb, "alerts", "RecountProgressTable", PROGRESS)
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
        failure_archiver.cache_clear()
        streams = boto3.client("dynamodbstreams", region_name=REGION)
        stream_arn = dynamodb.describe_table(TableName=INVENTORY)["Table"]["LatestStreamArn"]
        yield AlertsWorld(dynamodb, streams, sqs, sns, topic_arn, queue_url, stream_arn)
        alert_service.cache_clear()
        failure_archiver.cache_clear()
    boto3.DEFAULT_SESSION = None
    metrics.clear_metrics()
