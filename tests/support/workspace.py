"""Calling the workspace function as a tenant's client would, and running the jobs queue as Lambda's event
source mapping does (real SQS messages from moto's queue, handed to functions/jobs_worker)."""

from __future__ import annotations

from typing import Any

import boto3

from leadgate.settings import get_settings
from leadgate_dev.harness import Reply, call, handle
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.event_sources import sqs_event


class WorkspaceApi:
    def __init__(self, tenant: str = "acme") -> None:
        self.tenant = tenant

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        event = rest_event(
            method,
            path,
            query=query,
            body=body,
            headers={"Host": "api.example.com", **(headers or {})},
            authorizer=caller_context(tenant=self.tenant, client_id=f"client-{self.tenant}"),
        )
        return call("workspace", event, budget_ms=60_000)

    def tags(self, **query: str) -> list[dict[str, Any]]:
        reply = self.call("GET", "/api/v1/tags", query={"per_page": "100", **query})
        assert reply.status == 200, reply.body
        return reply.body["data"]


def run_jobs_queue(max_batches: int = 10_000) -> int:
    """Receives and hands the jobs queue's messages to the worker until the queue is empty; returns how many
    batches ran. A batch's failures are left for redelivery, as Lambda does."""
    sqs = boto3.client("sqs")
    url = get_settings().jobs_queue_url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for batch in range(max_batches):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return batch
        answer = handle("jobs_worker", sqs_event(messages, arn), budget_ms=120_000)
        failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the jobs queue did not drain")
