"""The four intake endpoints: read the request, check the tenant, take the intake in, answer in the caller's
contract (docs/intake.md has the status codes)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from leadgate import bodies, errors
from leadgate.api import json_response
from leadgate.intake.contracts import BatchBody, HotleadLead, InboundLead, Intake, IntakeLead
from leadgate.intake.requests import flag, parse
from leadgate.intake.service import Outcome, take_in, take_in_batch

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

    from leadgate.api import LeadgateResolver

DRY_RUN = "dry_run"
MAX_ITEM_BYTES = bodies.SINGLE_LEAD.max_bytes  # a batch item is held to the single-lead routes' limit

# What HOTLEAD answers a registration with (hotlead-public-api.ja.txt), so its clients see no difference.
HOTLEAD_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "strict-transport-security": "max-age=10886400; includeSubdomains",
    "vary": "Origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "1; mode=block",
}


def hotlead(app: LeadgateResolver) -> Response:
    """POST /public/api/leads: 204 with HOTLEAD's headers, created or matched alike."""
    caller = app.caller
    body = app.json_body()
    registration = parse(HotleadLead, body)
    registration.check_unit(caller.tenant_id)
    take_in(caller.tenant_id, registration.intake(body, caller.client_id), dry_run=flag(app, DRY_RUN))
    return json_response(204, None, HOTLEAD_HEADERS)


def leadhub_inbound(app: LeadgateResolver) -> Response:
    """POST /api/inbound/leads?tenant={slug}: 201 created, 200 duplicate (`is_duplicate` says which)."""
    caller = app.caller
    slug = app.current_event.get_query_string_value("tenant")
    if not slug:
        raise errors.ValidationFailed(errors={"tenant": ["This field is required."]})
    if slug != caller.tenant_id:
        raise errors.Forbidden("The tenant is not the one this client belongs to.", errors={"tenant": ["Not yours."]})
    body = app.json_body()
    lead = parse(InboundLead, body)
    dry_run = flag(app, DRY_RUN)
    outcome = take_in(caller.tenant_id, lead.intake("leadhub", body, caller.client_id), dry_run=dry_run)
    answer: dict[str, Any] = {
        "status": "created" if outcome.created else "duplicate",
        "lead_id": outcome.lead_id,
        "is_duplicate": not outcome.created,
        "matched_on": list(outcome.matched_on),
    }
    if dry_run:
        answer["dry_run"] = True
    return json_response(_status(outcome), answer)


def upsert(app: LeadgateResolver) -> Response:
    """POST /api/v1/leads/upsert: create, or update the lead matched by email or phone (createOrUpdate)."""
    caller = app.caller
    body = app.json_body()
    lead = parse(IntakeLead, body)
    outcome = take_in(
        caller.tenant_id, lead.intake("api", body, caller.client_id), overwrite=True, dry_run=flag(app, DRY_RUN)
    )
    stored = outcome.lead
    return json_response(
        _status(outcome),
        {"data": stored.record() if stored else None, "meta": outcome.summary()},
        {"ETag": stored.etag} if stored else None,
    )


def batch(app: LeadgateResolver) -> Response:
    """POST /api/v1/leads/batch: up to 100 leads, 200 with a result per item (created, matched or failed)."""
    caller = app.caller
    body = parse(BatchBody, app.json_body())
    dry_run = flag(app, DRY_RUN)

    def to_intake(item: Any) -> Intake:
        size = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        if size > MAX_ITEM_BYTES:
            raise errors.PayloadTooLarge(f"The item is {size} bytes; at most {MAX_ITEM_BYTES} are accepted.")
        return parse(IntakeLead, item).intake("batch", item, caller.client_id)

    results = [result.record() for result in take_in_batch(caller.tenant_id, body.leads, to_intake, dry_run=dry_run)]
    counts = {status: sum(1 for result in results if result["status"] == status) for status in _ITEM_STATUSES}
    meta: dict[str, Any] = {"total": len(results), **counts}
    if dry_run:
        meta["dry_run"] = True
    return json_response(200, {"data": results, "meta": meta})


_ITEM_STATUSES = ("created", "matched", "failed")


def _status(outcome: Outcome) -> int:
    return 201 if outcome.created and not outcome.dry_run else 200
