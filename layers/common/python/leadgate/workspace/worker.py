"""The jobs queue's consumer (functions/jobs_worker): one message is one page of one job (leadgate.workspace.jobs).

A message seen again after its page was recorded queues the next step again (SQS drops the duplicate) and does
nothing else; a page that fails is retried by SQS, and on its last receive the job is recorded `failed` before
the message goes to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools import Logger

from leadgate.workspace import backfill, jobs, tag_changes
from leadgate.workspace.users import reassignment, service

logger = Logger(child=True)

MAX_RECEIVES = 5  # the jobs queue's maxReceiveCount (template.yaml)

# What a page of each kind of job does.
PAGES: dict[str, Callable[[str, jobs.Job], object]] = {
    **{kind: tag_changes.process for kind in tag_changes.KINDS},
    service.REASSIGN_JOB: reassignment.process,
    backfill.KIND: backfill.process,
}


def process_message(body: str, receive_count: int) -> None:
    message = jobs.Message.parse(body)
    job = jobs.get(message.tenant_id, message.job_id)
    if job.status in jobs.FINISHED:
        return
    if job.step > message.step:
        jobs.send(jobs.Message(message.tenant_id, job.id, job.step))
        return
    try:
        PAGES[job.kind](message.tenant_id, job)
    except Exception as error:
        if receive_count >= MAX_RECEIVES:
            logger.exception("Job page failed for the last time", extra={"job_id": job.id, "kind": job.kind})
            jobs.fail(message.tenant_id, job, f"{type(error).__name__}: a page failed {receive_count} times")
        raise
