"""The runner: each event of the journal's stream applied to the tenant's active automations it triggers, and
runs resumed after a `wait` (docs/automations.md).

For each event about a lead: every active automation of the tenant whose trigger fires and whose conditions
hold on the lead (the event's `data`) runs, unless the change is its own (an automation never fires on its own
changes), the lead was enrolled already (once, or with `reenroll` only when it did not match before the
change), or the chain is too deep: a run at depth > MAX_DEPTH is recorded `stopped` with reason `loop` and does
nothing. Exactly once per (automation, event): the run's conditional PutItem (`runs.claim`); a redelivered
record finds its run and resumes it only if it was interrupted while running.

Actions run in order as the automation (`acting_as("automation:<id>", depth)`); each is retried with backoff
on transient failures (tenacity) and its outcome recorded on the run before the next starts. A `wait` saves the
run `waiting` and queues its resumption (`leadgate.automations.resume`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from leadgate import clock, dependencies, errors
from leadgate.automations import actions, matching, resume, runs, store
from leadgate.automations.store import Automation
from leadgate.events.actor import acting_as
from leadgate.events.model import Event
from leadgate.leads import service as leads
from leadgate.observability import logger
from leadgate.settings import get_settings

MAX_DEPTH = 3
ATTEMPTS = 4


def actor_of(automation_id: int) -> str:
    return f"automation:{automation_id}"


def on_event(event: Event, known: dict[str, list[Automation]] | None = None) -> int:
    """Runs the automations the event triggers; returns how many runs it started. `known` caches each tenant's
    automations for one batch of stream records (ONE Query per tenant per batch)."""
    if event.lead_id is None or not event.type.startswith(("lead.", "form.")):
        return 0
    known = {} if known is None else known
    if event.tenant not in known:
        known[event.tenant] = [
            found for found in store.all_automations(event.tenant, with_counters=False) if found.active
        ]
    started = 0
    lead: dict[str, Any] | None = None
    for automation in known[event.tenant]:
        if event.actor == actor_of(automation.id) or not matching.trigger_fires(automation.trigger, event):
            continue
        lead = lead if lead is not None else _lead(event)
        if lead is None:
            return started  # deleted or erased since: nothing to act on
        definition = automation.definition
        if not matching.holds(definition.conditions, lead):
            continue
        if automation.reenroll and matching.matched_before(automation.trigger, definition.conditions, event, lead):
            continue
        started += _start(automation, event)
    return started


def _lead(event: Event) -> dict[str, Any] | None:
    """The lead as the API shows it: the event's data when it is the whole lead, else read (an inquiry's or a
    form's event, a lead over 20 KB)."""
    if event.type.startswith("lead.") and event.type != "lead.inquiry_received" and "url" not in event.data:
        return event.data
    try:
        return leads.get_lead(event.tenant, event.lead_id or "").record()
    except (errors.NotFound, errors.Gone):
        return None


def _start(automation: Automation, event: Event) -> int:
    now = clock.iso(clock.now())
    run = runs.Run(event.tenant, automation.id, event, "running", now, depth=event.depth + 1)
    if run.depth > MAX_DEPTH:
        if runs.claim(
            runs.Run(event.tenant, automation.id, event, "stopped", now, run.depth, reason="loop", finished_at=now)
        ):
            store.count_run(event.tenant, automation.id, "stopped")
            logger.info("Automation chain stopped", extra={"automation_id": automation.id, "depth": run.depth})
        return 0
    if not automation.reenroll and not store.enroll_once(
        event.tenant, automation.id, event.lead_id or "", event.id, now
    ):
        return 0
    claimed = runs.claim(run)
    if claimed is None:
        existing = runs.get(event.tenant, automation.id, event)
        if existing is None or existing.status != "running":
            return 0  # applied already (a redelivered record)
        claimed = existing  # interrupted while running: go on from the step after the last one done
    proceed(automation, claimed)
    return 1


def proceed(automation: Automation, run: runs.Run) -> runs.Run:
    """Performs the run's actions from `next_step`, recording each; stops at a `wait` or the first failure."""
    definition = automation.definition
    steps = list(run.steps)
    with acting_as(actor_of(automation.id), depth=run.depth):
        for step in range(run.next_step, len(definition.actions)):
            action = definition.actions[step]
            if action.type == "wait":
                seconds = action.seconds * get_settings().local_delay_scale
                until = clock.iso(clock.now() + timedelta(seconds=seconds))
                steps.append({"step": step, "type": "wait", "outcome": "waiting", "detail": f"until {until}"})
                run = runs.save(run, status="waiting", steps=steps, next_step=step + 1, resume_at=until)
                resume.schedule(run, seconds)
                return run
            outcome = _attempted(
                action, actions.Context(run.tenant_id, automation.id, automation.secret_arn, run.event, step)
            )
            steps.append({"step": step, "type": action.type, **outcome})
            if outcome["outcome"] == "failed":
                return _finish(run, "failed", steps, step + 1, error=outcome.get("detail"))
            if step + 1 < len(definition.actions):  # the last step is saved with the run's end
                run = runs.save(run, steps=steps, next_step=step + 1)
    return _finish(run, "succeeded", steps, len(definition.actions))


def _finish(
    run: runs.Run, status: str, steps: list[dict[str, Any]], next_step: int, *, counted: bool = True, **more: Any
) -> runs.Run:
    finished = runs.save(
        run, status=status, steps=steps, next_step=next_step, finished_at=clock.iso(clock.now()), resume_at=None, **more
    )
    if counted:
        store.count_run(run.tenant_id, run.automation_id, status)
    return finished


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, actions.Retry | errors.Conflict | errors.PreconditionFailed) or dependencies.is_transient(
        exc
    )


def _attempted(action: Any, context: actions.Context) -> dict[str, Any]:
    """The action's outcome, tried up to ATTEMPTS times with exponential backoff on transient failures; a
    failure the retries do not clear, or any other error of the domain, is the step's `failed` outcome."""
    attempts = 0
    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=0.2 * get_settings().local_delay_scale, max=5),
        retry=retry_if_exception(_transient),
        reraise=False,
    )
    try:
        for attempt in retrying:
            with attempt:
                attempts = attempt.retry_state.attempt_number
                outcome = actions.perform(action, context)
    except RetryError as exhausted:
        cause = exhausted.last_attempt.exception()
        return {"outcome": "failed", "detail": _reason(cause), "attempts": attempts}
    except errors.DomainError as refused:
        return {"outcome": "failed", "detail": _reason(refused), "attempts": attempts}
    except Exception as unexpected:  # recorded on the run rather than leaving it `running` for ever
        logger.exception("Automation action failed", extra={"automation_id": context.automation_id})
        return {"outcome": "failed", "detail": f"internal error: {type(unexpected).__name__}", "attempts": attempts}
    return outcome | ({"attempts": attempts} if attempts > 1 else {})


def _reason(exc: BaseException | None) -> str:
    if isinstance(exc, errors.DomainError):
        detail = "; ".join(f"{place}: {' '.join(messages)}" for place, messages in (exc.errors or {}).items())
        return f"{exc.code}: {exc.message}" + (f" ({detail})" if detail else "")
    return str(exc) if exc else "failed"


def resumed(tenant_id: str, automation_id: int, event: Event) -> runs.Run | None:
    """A waiting run whose wait is over, taken up once (`runs.take_up`) and carried on; a deleted or paused
    automation stops it."""
    run = runs.get(tenant_id, automation_id, event)
    if run is None or run.status != "waiting" or not runs.take_up(run):
        return None
    automation = store.get(tenant_id, automation_id)
    if automation is None or not automation.active:
        reason = "automation deleted" if automation is None else "automation paused"
        return _finish(run, "stopped", list(run.steps), run.next_step, counted=automation is not None, reason=reason)
    return proceed(automation, run)
