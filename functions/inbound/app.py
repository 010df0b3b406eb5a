"""Lead intake: HOTLEAD's registration, LeadHub's inbound endpoint, upsert and batch (docs/intake.md).

The HTTP edge of intake: bodies, the tenant check, `dry_run`, status codes and each caller's answer shape.
Every route takes an `Idempotency-Key`; dedup and merge live in `leadgate.intake.service`.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel

from leadgate import bodies, errors
from leadgate.api import create_resolver, json_response
from leadgate.envelopes import LeadRecord, answer, errors_of
from leadgate.idempotency import IdempotencyKey, idempotent_response
from leadgate.intake.contracts import BatchBody, HotleadLead, InboundLead, Intake, IntakeLead
from leadgate.intake.requests import parse
from leadgate.intake.service import Outcome, take_in, take_in_batch
from leadgate.observability import lambda_handler as observed
from leadgate.text import json_size

app = create_resolver()

MAX_ITEM_BYTES = bodies.SINGLE_LEAD.max_bytes  # a batch item is held to the single-lead routes' limit
ITEM_STATUSES = ("created", "matched", "failed")

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
def hotlead_registration(
    body: Annotated[HotleadLead, Body()], dry_run: DryRun = False, idempotency_key: IdempotencyKey = None
):
    """HOTLEAD's registration: 204 with HOTLEAD's headers."""

    def register():
        caller = app.caller
        body.check_unit(caller.tenant_id)
        take_in(caller.tenant_id, body.intake(app.json_body(), caller.client_id), dry_run=dry_run)
        return json_response(204, None, HOTLEAD_HEADERS)

    return idempotent_response(app, idempotency_key, register)


@app.post(
    "/api/inbound/leads",
    responses={
        201: answer(InboundAnswer, "Created."),
        200: answer(InboundAnswer, "A duplicate of an existing lead (`is_duplicate`)."),
        **INTAKE_ERRORS,
    },
)
def leadhub_inbound(
    body: Annotated[InboundLead, Body()],
    tenant: Annotated[str, Query(min_length=1, max_length=100, description="The client's tenant slug.")],
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
):
    """LeadHub's inbound endpoint: 201 created, 200 duplicate (`is_duplicate` says which)."""

    def receive():
        caller = app.caller
        if tenant != caller.tenant_id:
            raise errors.Forbidden(
                "The tenant is not the one this client belongs to.", errors={"tenant": ["Not yours."]}
            )
        outcome = take_in(caller.tenant_id, body.intake("leadhub", app.json_body(), caller.client_id), dry_run=dry_run)
        answer: dict[str, Any] = {
            "status": "created" if outcome.created else "duplicate",
            "lead_id": outcome.lead_id,
            "is_duplicate": not outcome.created,
            "matched_on": list(outcome.matched_on),
        }
        if dry_run:
            answer["dry_run"] = True
        return json_response(_status(outcome), answer)

    return idempotent_response(app, idempotency_key, receive)


@app.post(
    "/api/v1/leads/upsert",
    responses={
        201: answer(UpsertAnswer, "Created."),
        200: answer(UpsertAnswer, "The matched lead, updated."),
        **INTAKE_ERRORS,
    },
)
def upsert_lead(body: Annotated[IntakeLead, Body()], dry_run: DryRun = False, idempotency_key: IdempotencyKey = None):
    """Create, or update the lead matched by email or phone (createOrUpdate)."""

    def upsert():
        caller = app.caller
        intake = body.intake("api", app.json_body(), caller.client_id)
        outcome = take_in(caller.tenant_id, intake, overwrite=True, dry_run=dry_run)
        stored = outcome.lead
        return json_response(
            _status(outcome),
            {"data": stored.record() if stored else None, "meta": outcome.summary()},
            {"ETag": stored.etag} if stored else None,
        )

    return idempotent_response(app, idempotency_key, upsert)


@app.post(
    "/api/v1/leads/batch",
    responses={200: answer(BatchAnswer, "A result per item: created, matched or failed."), **INTAKE_ERRORS},
)
def batch_intake(body: Annotated[BatchBody, Body()], dry_run: DryRun = False, idempotency_key: IdempotencyKey = None):
    """Up to 100 leads, each validated and taken in on its own."""

    def take_batch():
        caller = app.caller

        def to_intake(item: Any) -> Intake:
            size = json_size(item)
            if size > MAX_ITEM_BYTES:
                raise errors.PayloadTooLarge(f"The item is {size} bytes; at most {MAX_ITEM_BYTES} are accepted.")
            return parse(IntakeLead, item).intake("batch", item, caller.client_id)

        results = [
            result.record() for result in take_in_batch(caller.tenant_id, body.leads, to_intake, dry_run=dry_run)
        ]
        counts = {status: sum(1 for result in results if result["status"] == status) for status in ITEM_STATUSES}
        meta: dict[str, Any] = {"total": len(results), **counts}
        if dry_run:
            meta["dry_run"] = True
        return json_response(200, {"data": results, "meta": meta})

    return idempotent_response(app, idempotency_key, take_batch)


def _status(outcome: Outcome) -> int:
    return 201 if outcome.created and not outcome.dry_run else 200


lambda_handler = observed(app)
