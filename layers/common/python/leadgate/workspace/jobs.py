"""Background jobs (docs/workspace.md, "Jobs"): changes that touch more leads than one request should.

A job is a record in the tenant's workspace partition (`JOB#{id}`: kind, status, done/total, error, times)
and a chain of messages on the jobs queue (FIFO, one message group per job, so its pages run one at a time),
each naming the job and its `step`. The worker does one page per message, then advances the record
(conditional on the step: a page whose message comes again after the record moved on adds nothing) and queues
the next step, with a deduplication id of its own (`{job}:{step}`): a retried message queues its successor
again and SQS drops the copy. What a page does is its kind's (`leadgate.workspace.tag_changes`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws, clock, errors
from leadgate.settings import get_settings
from leadgate.workspace import ids, keys

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
FINISHED = (SUCCEEDED, FAILED)
KEPT_SECONDS = 7 * 24 * 3600  # a finished job's record expires (TTL) a week after it ends


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    status: str
    done: int
    total: int
    created_at: str
    updated_at: str
    step: int = 0
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the kind's own: what the job changes, its position

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "error": self.error,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Message:
    """A jobs queue message: the next page of a job."""

    tenant_id: str
    job_id: int
    step: int

    def body(self) -> str:
        return json.dumps({"tenant_id": self.tenant_id, "job_id": self.job_id, "step": self.step})

    @classmethod
    def parse(cls, body: str) -> Message:
        document = json.loads(body)
        return cls(str(document["tenant_id"]), int(document["job_id"]), int(document["step"]))


def _table() -> str:
    return get_settings().workspace_table


def create(tenant_id: str, kind: str, total: int, params: dict[str, Any]) -> Job:
    """A queued job (ONE UpdateItem for its id, ONE PutItem). `start` queues its first page."""
    stamp = clock.iso(clock.now())
    job = Job(ids.allocate_one(tenant_id, keys.JOB), kind, QUEUED, 0, total, stamp, stamp, params=params)
    aws.dynamodb().put_item(TableName=_table(), Item=_item(tenant_id, job))
    return job


def start(tenant_id: str, job: Job) -> None:
    send(Message(tenant_id, job.id, job.step))


def send(message: Message) -> None:
    aws.sqs().send_message(
        QueueUrl=get_settings().jobs_queue_url,
        MessageBody=message.body(),
        MessageGroupId=f"{message.tenant_id}#{message.job_id}",
        MessageDeduplicationId=f"{message.tenant_id}#{message.job_id}#{message.step}",
    )


def get(tenant_id: str, job_id: int) -> Job:
    """ONE GetItem (strongly consistent); another tenant's job is another key: not found."""
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.object_key(tenant_id, keys.JOB, job_id), ConsistentRead=True)
        .get("Item")
    )
    if not item:
        raise errors.NotFound("No such job.")
    return _job(item)


def advance(tenant_id: str, job: Job, done: int, params: dict[str, Any], status: str = RUNNING) -> Job | None:
    """Records a page: `done` more leads, the kind's new `params`, the next step (ONE UpdateItem, conditional
    on the step this page started from). None when the record had already moved on (a message seen twice)."""
    stamp = max(clock.iso(clock.now()), job.updated_at)
    values: dict[str, Any] = {
        ":step": {"N": str(job.step)},
        ":next": {"N": str(job.step + 1)},
        ":done": {"N": str(job.done + done)},
        ":params": {"S": json.dumps(params)},
        ":status": {"S": status},
        ":now": {"S": stamp},
    }
    expression = "SET step = :next, done = :done, params = :params, #status = :status, updated_at = :now"
    if status in FINISHED:
        expression += ", expires_at = :expires"
        values[":expires"] = {"N": str(int(clock.timestamp()) + KEPT_SECONDS)}
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=keys.object_key(tenant_id, keys.JOB, job.id),
            UpdateExpression=expression,
            ConditionExpression="step = :step",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    return Job(job.id, job.kind, status, job.done + done, job.total, job.created_at, stamp, job.step + 1, None, params)


def fail(tenant_id: str, job: Job, error: str) -> None:
    """The job ends `failed` with a reason (ONE UpdateItem)."""
    aws.dynamodb().update_item(
        TableName=_table(),
        Key=keys.object_key(tenant_id, keys.JOB, job.id),
        UpdateExpression="SET #status = :failed, #error = :error, updated_at = :now, expires_at = :expires",
        ExpressionAttributeNames={"#status": "status", "#error": "error"},
        ExpressionAttributeValues={
            ":failed": {"S": FAILED},
            ":error": {"S": error},
            ":now": {"S": clock.iso(clock.now())},
            ":expires": {"N": str(int(clock.timestamp()) + KEPT_SECONDS)},
        },
    )


def _item(tenant_id: str, job: Job) -> dict[str, Any]:
    return {
        **keys.object_key(tenant_id, keys.JOB, job.id),
        "id": {"N": str(job.id)},
        "kind": {"S": job.kind},
        "status": {"S": job.status},
        "done": {"N": str(job.done)},
        "total": {"N": str(job.total)},
        "step": {"N": str(job.step)},
        "params": {"S": json.dumps(job.params)},
        "created_at": {"S": job.created_at},
        "updated_at": {"S": job.updated_at},
    }


def _job(item: dict[str, Any]) -> Job:
    return Job(
        id=int(item["id"]["N"]),
        kind=item["kind"]["S"],
        status=item["status"]["S"],
        done=int(item["done"]["N"]),
        total=int(item["total"]["N"]),
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        step=int(item["step"]["N"]),
        error=item.get("error", {}).get("S"),
        params=json.loads(item["params"]["S"]),
    )
