"""Lead intake: HOTLEAD's registration, LeadHub's inbound endpoint, upsert and batch (docs/intake.md).

Every route takes an `Idempotency-Key`; dedup and merge live in `leadgate.intake`.
"""

from leadgate.api import create_resolver
from leadgate.idempotency import idempotent_response
from leadgate.intake import endpoints
from leadgate.observability import lambda_handler as observed

app = create_resolver()


@app.post("/public/api/leads")
def hotlead_registration():
    return idempotent_response(app, lambda: endpoints.hotlead(app))


@app.post("/api/inbound/leads")
def leadhub_inbound():
    return idempotent_response(app, lambda: endpoints.leadhub_inbound(app))


@app.post("/api/v1/leads/upsert")
def upsert_lead():
    return idempotent_response(app, lambda: endpoints.upsert(app))


@app.post("/api/v1/leads/batch")
def batch_intake():
    return idempotent_response(app, lambda: endpoints.batch(app))


lambda_handler = observed(app)
