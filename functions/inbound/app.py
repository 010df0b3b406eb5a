"""Lead intake: HOTLEAD's registration, LeadHub's inbound endpoint, upsert and batch (docs/intake.md).

The HTTP edge of intake: bodies, the tenant check, `dry_run`, status codes and each caller's answer shape.
Every route takes an `Idempotency-Key`; dedup and merge live in `leadgate.intake.service`.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel

from leadgate.api import create_resolver, json_response
from leadgate.envelopes import LeadRecord, answer, errors_of
from leadgate.http_errors import Forbidden
from leadgate.intake.contracts import BatchBody, HotleadLead, InboundLead, IntakeLead
from leadgate.intake.service import Outcome, take_in, take_in_batch
from leadgate.observability import observed

app = create_resolver()

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

DryRun = Annotated[bool, Query(description="Validate and match, but write nothing.")]
INTAKE_ERRORS = errors_of(400, 403, 409, 413, 415, 422, _403="The tenant or unit is not the client's.")


class InboundAnswer(BaseModel):
    status: str
    lead_id: str | None
    is_duplicate: bool
    matched_on: list[str]
    dry_run: bool | None = None


class UpsertAnswer(BaseModel):
    data: LeadRecord | None
    meta: dict[str, Any]


class BatchAnswer(BaseModel):
    data: list[dict[str, Any]]
    meta: dict[str, Any]


@app.post("/public/api/leads", responses={204: answer(None, "Registered (created or matched alike)."), **INTAKE_ERRORS})
@app.idempotent
def hotlead_registration(body: Annotated[HotleadLead, Body()], dry_run: DryRun = False):
    """HOTLEAD's registration: 204 with HOTLEAD's headers."""
    caller = app.caller
    if not body.is_unit_of(caller.tenant_id):
        raise Forbidden(
            "unit_id is not the unit this client registers inquiries for.", errors={"unit_id": ["Not your unit."]}
        )
    take_in(caller.tenant_id, body.intake(app.json_body(), caller.client_id), dry_run=dry_run)
    return json_response(204, None, HOTLEAD_HEADERS)


@app.post(
    "/api/inbound/leads",
    responses={
        201: answer(InboundAnswer, "Created."),
        200: answer(InboundAnswer, "A duplicate of an existing lead (`is_duplicate`)."),
        **INTAKE_ERRORS,
    },
)
@app.idempotent
def leadhub_inbound(
    body: Annotated[InboundLead, Body()],
    tenant: Annotated[str, Query(min_length=1, max_length=100, description="The client's tenant slug.")],
    dry_run: DryRun = False,
):
    """LeadHub's inbound endpoint: 201 created, 200 duplicate (`is_duplicate` says which)."""
    caller = app.caller
    if tenant != caller.tenant_id:
        raise Forbidden("The tenant is not the one this client belongs to.", errors={"tenant": ["Not yours."]})
    intake = body.intake("leadhub", app.json_body(), caller.client_id, origin=app.consent_origin())
    outcome = take_in(caller.tenant_id, intake, dry_run=dry_run)
    answer: dict[str, Any] = {
        "status": "created" if outcome.created else "duplicate",
        "lead_id": outcome.lead_id,
        "is_duplicate": not outcome.created,
        "matched_on": list(outcome.matched_on),
    }
    if dry_run:
        answer["dry_run"] = True
    return json_response(_status(outcome), answer)


@app.post(
    "/api/v1/leads/upsert",
    responses={
        201: answer(UpsertAnswer, "Created."),
        200: answer(UpsertAnswer, "The matched lead, updated."),
        **INTAKE_ERRORS,
    },
)
@app.idempotent
def upsert_lead(body: Annotated[IntakeLead, Body()], dry_run: DryRun = False):
    """Create, or update the lead matched by email or phone (createOrUpdate)."""
    caller = app.caller
    intake = body.intake("api", app.json_body(), caller.client_id, origin=app.consent_origin())
    outcome = take_in(caller.tenant_id, intake, overwrite=True, dry_run=dry_run)
    stored = outcome.lead
    return json_response(
        _status(outcome),
        {"data": stored.record() if stored else None, "meta": outcome.summary()},
        {"ETag": stored.etag} if stored else None,
    )


@app.post(
    "/api/v1/leads/batch",
    responses={200: answer(BatchAnswer, "A result per item: created, matched or failed."), **INTAKE_ERRORS},
)
@app.idempotent
def batch_intake(body: Annotated[BatchBody, Body()], dry_run: DryRun = False):
    """Up to 100 leads, each validated and taken in on its own."""
    caller = app.caller
    batch = take_in_batch(caller.tenant_id, body.leads, caller.client_id, dry_run=dry_run, origin=app.consent_origin())
    meta: dict[str, Any] = batch.counts()
    if dry_run:
        meta["dry_run"] = True
    return json_response(200, {"data": batch.records(), "meta": meta})


def _status(outcome: Outcome) -> int:
    return 201 if outcome.created and not outcome.dry_run else 200


lambda_handler = observed(app)
