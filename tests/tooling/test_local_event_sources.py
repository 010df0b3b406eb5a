"""The local SQS event source on moto: what it deletes, what it leaves for redelivery, the DLQ after 5."""

from __future__ import annotations

import time

import boto3

from leadgate.settings import get_settings
from leadgate_dev import template
from leadgate_dev.local.event_sources import QueuePoller


class Worker:
    """Stands in for the function pool: answers as the worker does, and records each event."""

    def __init__(self, fail_bodies=(), crash=False):
        self.fail_bodies, self.crash, self.events = set(fail_bodies), crash, []

    def invoke(self, function, event, request_id, *, via_gateway=True):
        assert not via_gateway  # an event source mapping waits for the function's whole Timeout
        self.events.append((function, event))
        if self.crash:
            raise RuntimeError("the function crashed")
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event.get("Records", [])
                if record["body"] in self.fail_bodies
            ]
        }


def poller(worker):
    spec = next(spec for spec in template.sqs_event_sources() if spec.function == "webhook_worker")
    return QueuePoller(
        spec,
        sqs=boto3.client("sqs"),
        queue_url=get_settings().webhook_queue_url,
        functions=worker,
        visibility_timeout=0,
    )


def visible(queue_url):
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_successes_are_deleted_and_reported_failures_come_back_until_the_dead_letter_queue(aws):
    sqs, url = boto3.client("sqs"), get_settings().webhook_queue_url
    for body in ("good-1", "poison", "good-2"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"connection_id": {"DataType": "String", "StringValue": "c"}},
        )
    worker = Worker(fail_bodies={"poison"})
    source = poller(worker)

    assert source.poll_once() == 3
    function, event = worker.events[0]
    assert function == "webhook_worker"
    assert {record["body"] for record in event["Records"]} == {"good-1", "poison", "good-2"}
    assert event["Records"][0]["eventSource"] == "aws:sqs"
    assert event["Records"][0]["messageAttributes"]["connection_id"]["stringValue"] == "c"
    assert visible(url) == 1  # the poison one, visible again at once (visibility override 0)

    for _ in range(4):  # received 5 times in all
        assert source.poll_once() == 1
    assert source.poll_once() == 0  # moto moved it to the dead-letter queue on the 6th receive
    dlq = aws.queues["WebhookDeadLetterQueue"]
    (dead,) = sqs.receive_message(QueueUrl=dlq).get("Messages", [])
    assert dead["Body"] == "poison"


def test_a_crashed_invocation_deletes_nothing(aws):
    sqs, url = boto3.client("sqs"), get_settings().webhook_queue_url
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")

    received = poller(Worker(crash=True)).poll_once()

    assert received == 2 and visible(url) == 2


def test_the_jobs_worker_is_an_event_source_of_the_jobs_queue():
    """Picked up from the template's event source mappings with nothing else to wire."""
    sources = {spec.function: spec for spec in template.sqs_event_sources()}
    assert (sources["jobs_worker"].queue, sources["jobs_worker"].report_batch_item_failures) == ("JobsQueue", True)


def test_the_templates_schedules_fire_on_their_period_scaled_by_the_local_delay_scale(monkeypatch):
    from leadgate.aws import reset_clients
    from leadgate_dev.local.event_sources import ScheduleRunner

    (spec,) = template.schedule_event_sources()
    assert (spec.function, spec.every_seconds) == ("webhook_sweeper", 60)
    monkeypatch.setenv("LEADGATE_LOCAL_DELAY_SCALE", "0.002")  # the minute is 0.12 s
    reset_clients()
    worker = Worker()
    runner = ScheduleRunner(spec, functions=worker)
    assert runner.period == 0.12
    runner.start()
    try:
        deadline = time.time() + 5
        while len(worker.events) < 2 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert [function for function, _ in worker.events[:2]] == ["webhook_sweeper", "webhook_sweeper"]
    assert worker.events[0][1]["source"] == "aws.events"
