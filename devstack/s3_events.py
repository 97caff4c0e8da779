"""S3 -> Lambda notifications, locally.

moto cannot invoke a Lambda function without Docker, so each bucket with ``LambdaConfigurations`` notifies
an internal SQS queue with the same event types and key filters instead; a poller reads the queue, picks
the function whose filter (prefix/suffix) matches, and invokes it in its local execution environment with
the event payload Lambda would receive: keys URL-encoded in ``quote_plus`` form, ``versionId`` and
``sequencer`` included. Failed invocations are retried like asynchronous invocations, then sent to the
function's on-failure destination.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_plus

from devstack.lambdas import Functions
from devstack.provision import LambdaNotification

_sequencer = itertools.count(int(time.time() * 1000) << 16)
_sequencer_lock = threading.Lock()


def next_sequencer() -> str:
    """Increasing, fixed-width hex, like S3's ``sequencer`` (which orders events for one key)."""
    with _sequencer_lock:
        return f"{next(_sequencer):016X}"


def complete_moto_events() -> None:
    """Add what moto leaves out of its S3 event records and Lambda's carry: versionId and sequencer.

    The emulator runs in this process, so its event builder can be wrapped; the object's version is only
    known there (a later ``head_object`` could see a newer version of the same key).
    """
    from moto.s3 import notifications

    original = notifications._get_s3_event
    if getattr(original, "devstack", False):
        return

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        for record in event.get("Records", []):
            s3_object = record["s3"]["object"]
            version = getattr(key, "version_id", None)
            if version and version != "null" and getattr(bucket, "is_versioned", False):
                s3_object["versionId"] = version
            s3_object["sequencer"] = next_sequencer()
        return event

    get_s3_event.devstack = True  # type: ignore[attr-defined]
    notifications._get_s3_event = get_s3_event


def lambda_record(record: dict[str, Any]) -> dict[str, Any]:
    """An S3 event record as Lambda receives it (moto's record plus the fields it omits)."""
    full = json.loads(json.dumps(record))
    full.setdefault("userIdentity", {"principalId": "AWS:LOCALSTACKUSER"})
    full.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    full.setdefault(
        "responseElements",
        {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
    )
    full["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "LOCAL"})
    return full


class S3EventRouter:
    """Routes object events of the stack's buckets to the functions their notifications name."""

    def __init__(self, s3: Any, sqs: Any, functions: Functions, notifications: Iterable[LambdaNotification]) -> None:
        self._s3 = s3
        self._sqs = sqs
        self._functions = functions
        self._notifications = list(notifications)
        self._queues: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-event")
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    @property
    def buckets(self) -> list[str]:
        return sorted({notification.bucket for notification in self._notifications})

    def start(self) -> None:
        complete_moto_events()
        timeout = max([runtime.function.timeout for runtime in self._functions.runtimes] or [60])
        for bucket in self.buckets:
            digest = hashlib.sha256(bucket.encode()).hexdigest()[:12]
            url = self._sqs.create_queue(
                QueueName=f"devstack-s3-events-{digest}",
                Attributes={"VisibilityTimeout": str(min(43200, timeout + 60))},
            )["QueueUrl"]
            arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            current = self._s3.get_bucket_notification_configuration(Bucket=bucket)
            current.pop("ResponseMetadata", None)
            queues = list(current.get("QueueConfigurations") or [])
            for index, notification in enumerate(n for n in self._notifications if n.bucket == bucket):
                rules = [{"Name": "prefix", "Value": notification.prefix}] if notification.prefix else []
                rules += [{"Name": "suffix", "Value": notification.suffix}] if notification.suffix else []
                queues.append(
                    {
                        "Id": f"lambda-{index}",
                        "QueueArn": arn,
                        "Events": list(notification.events),
                        **({"Filter": {"Key": {"FilterRules": rules}}} if rules else {}),
                    }
                )
            current["QueueConfigurations"] = queues
            self._s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=current)
            self._queues.append(url)
            thread = threading.Thread(target=self._poll, args=(url,), name=f"s3-events-{bucket}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every event delivered so far has been handled (True) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle():
                return True
            time.sleep(0.2)
        return False

    def _idle(self) -> bool:
        with self._in_flight_lock:
            if self._in_flight:
                return False
        for url in self._queues:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            if int(attributes["ApproximateNumberOfMessages"]) or int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            ):
                return False
        return True

    def _poll(self, url: str) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                )
            except Exception as error:
                if not self._stop.is_set():
                    print(f"[devstack] S3 event queue read failed: {error}", flush=True)
                    time.sleep(1)
                continue
            for message in messages:
                with self._in_flight_lock:
                    self._in_flight += 1
                self._pool.submit(self._deliver, url, message)

    def _deliver(self, url: str, message: dict[str, Any]) -> None:
        try:
            body = json.loads(message["Body"])
            for record in body.get("Records", []):  # moto's s3:TestEvent has none
                self._route(record)
            self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        except Exception as error:
            print(f"[devstack] S3 event could not be delivered: {error}", flush=True)
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    def _route(self, record: dict[str, Any]) -> None:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        arns = {
            n.function_arn for n in self._notifications if n.bucket == bucket and n.matches(record["eventName"], key)
        }
        for arn in sorted(arns):
            runtime = self._functions.by_arn(arn)
            if runtime is None:
                print(f"[devstack] no local function for {arn} (s3://{bucket}/{key})", flush=True)
                continue
            self._functions.run_async(runtime, {"Records": [lambda_record(record)]})
