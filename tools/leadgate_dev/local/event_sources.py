"""The local stack's event sources: the template's SQS events, run as Lambda's event source mappings run them,
and its `Schedule` events (`ScheduleRunner`), fired as EventBridge fires them.

For each function with an SQS event (`leadgate_dev.template.sqs_event_sources`), `QueuePoller` threads
(as many as `ScalingConfig.MaximumConcurrency`, at most `MAX_LOCAL_POLLERS`):

- long-poll the queue (`WaitTimeSeconds=POLL_WAIT_SECONDS`, short, so that a stop takes effect within
  seconds) for up to the event's `BatchSize` messages;
- invoke the function through the gateway's `FunctionPool` with a real SQS event and a Lambda context whose
  deadline is the function's `Timeout`;
- delete what succeeded: with `ReportBatchItemFailures`, every record not named in `batchItemFailures`;
  nothing when the invocation failed;
- leave the rest for redelivery after the visibility timeout. moto moves a message to the dead-letter queue
  after `maxReceiveCount` receives, as SQS does.

The queue's visibility timeout is 180 s (6 x the worker's Timeout). `LEADGATE_LOCAL_VISIBILITY_TIMEOUT`
(seconds) shortens it for the failed messages only (ChangeMessageVisibility), so local tests see retries
and dead letters in seconds.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from leadgate.settings import get_settings
from leadgate_dev.template import ScheduleEventSpec, SqsEventSourceSpec

logger = logging.getLogger(__name__)

POLL_WAIT_SECONDS = 1
MAX_LOCAL_POLLERS = 2
REGION = "us-east-1"


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping hands the function."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in (message.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


class QueuePoller:
    """One poller of one SQS event source; `start()` runs it on daemon threads until `stop()`."""

    def __init__(
        self,
        spec: SqsEventSourceSpec,
        *,
        sqs: Any,
        queue_url: str,
        functions: Any,
        visibility_timeout: int | None = None,
    ) -> None:
        self.spec = spec
        self.sqs = sqs
        self.queue_url = queue_url
        self.functions = functions
        self.visibility_timeout = visibility_timeout
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        count = max(1, min(self.spec.maximum_concurrency or 1, MAX_LOCAL_POLLERS))
        for number in range(count):
            thread = threading.Thread(target=self._run, name=f"sqs-{self.spec.function}-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = POLL_WAIT_SECONDS + 2) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:  # the emulator went away (a stop) or hiccuped: try again shortly
                if not self._stopping.wait(POLL_WAIT_SECONDS):
                    logger.exception("polling %s failed", self.spec.queue)

    def poll_once(self) -> int:
        """One receive and, if it got messages, one invocation; returns how many messages it received."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.spec.batch_size, 10),
            WaitTimeSeconds=POLL_WAIT_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            self._deliver(messages)
        return len(messages)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        try:
            answer = self.functions.invoke(
                self.spec.function, sqs_event(messages, self.queue_arn), str(uuid.uuid4()), via_gateway=False
            )
            failed = self._failed_ids(answer, messages)
        except Exception:
            logger.exception("%s failed on a batch of %d; all will be redelivered", self.spec.function, len(messages))
            failed = {message["MessageId"] for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
            )
        if failed and self.visibility_timeout is not None:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.visibility_timeout}
                    for n, m in enumerate(messages)
                    if m["MessageId"] in failed
                ],
            )

    def _failed_ids(self, answer: Any, messages: list[dict[str, Any]]) -> set[str]:
        if not self.spec.report_batch_item_failures:
            return set()
        if not isinstance(answer, Mapping):
            return {message["MessageId"] for message in messages}
        known = {message["MessageId"] for message in messages}
        failures = answer.get("batchItemFailures") or []
        named = {str(item.get("itemIdentifier")) for item in failures if isinstance(item, Mapping)}
        # Lambda treats a response naming an unknown id as a failure of the whole batch.
        return known if named - known else named


def start_pollers(
    specs: list[SqsEventSourceSpec],
    *,
    sqs: Any,
    queue_urls: Mapping[str, str],
    functions: Any,
    visibility_timeout: int | None = None,
) -> list[QueuePoller]:
    pollers = [
        QueuePoller(
            spec,
            sqs=sqs,
            queue_url=queue_urls[spec.queue],
            functions=functions,
            visibility_timeout=visibility_timeout,
        )
        for spec in specs
    ]
    for poller in pollers:
        poller.start()
    return pollers


class ScheduleRunner:
    """Invokes a function on its `rate(...)` schedule with an EventBridge scheduled event. The period is a
    deliberate wait, so `LEADGATE_LOCAL_DELAY_SCALE` multiplies it (0.01: the sweeper's minute is 0.6 s)."""

    def __init__(self, spec: ScheduleEventSpec, *, functions: Any) -> None:
        self.spec = spec
        self.functions = functions
        self.period = max(spec.every_seconds * get_settings().local_delay_scale, 0.05)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{spec.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def fire(self) -> Any:
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "region": REGION}
        return self.functions.invoke(self.spec.function, event, str(uuid.uuid4()), via_gateway=False)

    def _run(self) -> None:
        while not self._stopping.wait(self.period):
            try:
                self.fire()
            except Exception:
                logger.exception("scheduled %s failed", self.spec.function)


def start_schedules(specs: list[ScheduleEventSpec], *, functions: Any) -> list[ScheduleRunner]:
    runners = [ScheduleRunner(spec, functions=functions) for spec in specs]
    for runner in runners:
        runner.start()
    return runners
