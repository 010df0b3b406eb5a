"""Each action of an automation, done through the leads domain (`leadgate.leads.service`) as the API does it:
placement, tag catalog, counts, ETags and events apply alike. The caller acts as the automation
(`leadgate.events.actor.acting_as`), so every change carries its actor and chain depth.

`perform` answers the step's outcome (`done`; `unchanged`, `skipped` with the reason), or raises: `Retry` and
the transient failures (a write conflict, a dependency down, a webhook's 5xx or timeout) are tried again with
backoff by the runner; anything else fails the step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from leadgate import clock, errors, ssrf, validation
from leadgate.automations import secrets, store
from leadgate.automations.definitions import Action
from leadgate.events.model import Event
from leadgate.leads import service as leads
from leadgate.leads.requests import LeadPatch
from leadgate.outbound import schedule, signing
from leadgate.settings import get_settings
from leadgate.workspace.users import store as users

WEBHOOK_TIMEOUT = schedule.TIMEOUT_SECONDS
RETRIED_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
DONE = {"outcome": "done"}


class Retry(Exception):
    """A failure worth trying again (a webhook's 5xx, 429 or timeout)."""


@dataclass(frozen=True)
class Context:
    tenant_id: str
    automation_id: int
    secret_arn: str | None
    event: Event
    step: int

    @property
    def lead_id(self) -> str:
        return self.event.lead_id or ""


def perform(action: Action, context: Context) -> dict[str, Any]:
    return _PERFORMERS[action.type](action, context)


def _assign(action: Any, context: Context) -> dict[str, Any]:
    user = users.get(context.tenant_id, action.user_id)
    if user is None or not user.active:
        return {"outcome": "skipped", "detail": f"User {action.user_id} is not an active user."}
    return _patched(context, {"assigned_user_id": user.id})


def _assign_round_robin(action: Any, context: Context) -> dict[str, Any]:
    """The next turn of the step's atomic counter, modulo the users still active (in the order named)."""
    active = {user.id for user in users.all_users(context.tenant_id) if user.active}
    turns = [user for user in action.user_ids if user in active]
    if not turns:
        return {"outcome": "skipped", "detail": "None of the round robin's users is active."}
    turn = store.next_turn(context.tenant_id, context.automation_id, context.step)
    outcome = _patched(context, {"assigned_user_id": turns[turn % len(turns)]})
    inactive = [user for user in action.user_ids if user not in active]
    return outcome | ({"detail": f"Inactive users skipped: {inactive}."} if inactive else {})


def _add_tag(action: Any, context: Context) -> dict[str, Any]:
    leads.add_tag(context.tenant_id, context.lead_id, action.tag, None)
    return DONE


def _remove_tag(action: Any, context: Context) -> dict[str, Any]:
    try:
        leads.remove_tag(context.tenant_id, context.lead_id, action.tag, None)
    except errors.NotFound:
        return {"outcome": "unchanged", "detail": f"The lead has no tag {action.tag!r}."}
    return DONE


def _move_to_stage(action: Any, context: Context) -> dict[str, Any]:
    return _patched(context, {"pipeline_stage_id": action.stage_id})


def _set_field(action: Any, context: Context) -> dict[str, Any]:
    if not action.field.startswith("custom_fields."):
        return _patched(context, {action.field: action.value})
    current = leads.get_lead(context.tenant_id, context.lead_id)
    merged = {**current.data.custom_fields, action.field.split(".", 1)[1]: action.value}
    return _patched(context, {"custom_fields": merged}, current.etag)  # a concurrent change: retried


def _patched(context: Context, values: dict[str, Any], if_match: str | None = None) -> dict[str, Any]:
    """A PATCH of the lead as the API makes it (a value it holds already writes nothing)."""
    leads.patch_lead(context.tenant_id, context.lead_id, validation.parse(LeadPatch, values), if_match)
    return DONE


def _send_webhook(action: Any, context: Context) -> dict[str, Any]:
    """POSTs the lead as it is now, signed per Standard Webhooks with the automation's secret; `webhook-id` is
    the same on every attempt of the step (`msg_{automation}_{step}_{event id}`)."""
    if context.secret_arn is None:
        return {"outcome": "failed", "detail": "The automation has no signing secret."}
    url = action.url
    lead = leads.get_lead(context.tenant_id, context.lead_id)
    message_id = f"msg_{context.automation_id}_{context.step}_{context.event.id}"
    now = clock.now()
    body = json.dumps(
        {
            "type": "automation.webhook",
            "timestamp": clock.iso(now),
            "automation_id": context.automation_id,
            "event": {"id": context.event.id, "type": context.event.type},
            "data": lead.record(),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    headers = signing.headers(message_id, body, secrets.signing_secrets(context.secret_arn), now)
    try:
        target = ssrf.resolve(url, allow_loopback=get_settings().allow_loopback_urls)
    except ssrf.UnsafeUrl as refused:
        return {"outcome": "failed", "detail": f"unsafe address: {refused.errors.get('url', [refused.message])[0]}"}
    try:
        with ssrf.pinned_session(target) as session:
            response = session.post(url, data=body.encode(), headers=headers, timeout=WEBHOOK_TIMEOUT)
    except requests.RequestException as exc:
        raise Retry(f"network error: {type(exc).__name__}") from exc
    if response.status_code in RETRIED_STATUSES:
        raise Retry(f"HTTP {response.status_code}")
    if not 200 <= response.status_code < 300:
        return {"outcome": "failed", "detail": f"HTTP {response.status_code}"}
    return {"outcome": "done", "detail": f"HTTP {response.status_code}"}


_PERFORMERS = {
    "assign": _assign,
    "assign_round_robin": _assign_round_robin,
    "add_tag": _add_tag,
    "remove_tag": _remove_tag,
    "move_to_stage": _move_to_stage,
    "set_field": _set_field,
    "send_webhook": _send_webhook,
}
