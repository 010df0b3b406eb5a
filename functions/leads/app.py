"""The leads REST API (LeadHub's semantics): list, create, lookup, read, replace, patch, delete, tags, inquiries."""

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.openapi.params import Body

from leadgate.api import create_resolver, json_response, public_url, record_response
from leadgate.idempotency import idempotent_response
from leadgate.leads import service
from leadgate.leads.requests import LeadCreate, LeadPatch, LeadReplace, TagBody
from leadgate.observability import lambda_handler as observed

app = create_resolver()


def _query() -> dict[str, str]:
    return dict(app.current_event.query_string_parameters or {})


def _if_match() -> str | None:
    return app.current_event.headers.get("If-Match")


def _url(*segments: str) -> str:
    return "/".join([public_url(app.current_event.raw_event), *segments])


@app.get("/api/v1/leads")
def list_leads():
    return json_response(200, service.list_leads(app.caller.tenant_id, _query(), _url()))


@app.post("/api/v1/leads")
def create_lead(body: Annotated[LeadCreate, Body()]):
    def create():
        lead = service.create_lead(app.caller.tenant_id, body)
        return json_response(201, {"data": lead.record()}, {"ETag": lead.etag, "Location": _url(lead.id)})

    return idempotent_response(app, create)


@app.get("/api/v1/leads/lookup")
def lookup_lead():
    lead = service.lookup(app.caller.tenant_id, _query())
    return record_response(lead.record(), etag=lead.etag)


@app.get("/api/v1/leads/<lead_id>")
def get_lead(lead_id: str):
    lead = service.get_lead(app.caller.tenant_id, lead_id)
    return record_response(lead.record(), etag=lead.etag)


@app.put("/api/v1/leads/<lead_id>")
def replace_lead(lead_id: str, body: Annotated[LeadReplace, Body()]):
    lead = service.replace_lead(app.caller.tenant_id, lead_id, body, _if_match())
    return record_response(lead.record(), etag=lead.etag)


@app.patch("/api/v1/leads/<lead_id>")
def patch_lead(lead_id: str, body: Annotated[LeadPatch, Body()]):
    lead = service.patch_lead(app.caller.tenant_id, lead_id, body, _if_match())
    return record_response(lead.record(), etag=lead.etag)


@app.delete("/api/v1/leads/<lead_id>")
def delete_lead(lead_id: str):
    service.delete_lead(app.caller.tenant_id, lead_id, _if_match())
    return json_response(204, None)


@app.post("/api/v1/leads/<lead_id>/tags")
def add_tag(lead_id: str, body: Annotated[TagBody, Body()]):
    lead = service.add_tag(app.caller.tenant_id, lead_id, body.tag, _if_match())
    return record_response(lead.record(), etag=lead.etag)


@app.delete("/api/v1/leads/<lead_id>/tags/<tag>")
def remove_tag(lead_id: str, tag: str):
    # REST API events keep the path percent-encoded.
    lead = service.remove_tag(app.caller.tenant_id, lead_id, unquote(tag), _if_match())
    return json_response(204, None, {"ETag": lead.etag})


@app.get("/api/v1/leads/<lead_id>/inquiries")
def list_inquiries(lead_id: str):
    return json_response(200, service.list_inquiries(app.caller.tenant_id, lead_id, _query(), _url()))


lambda_handler = observed(app)
