"""The leads REST API (LeadHub's semantics): list, create, lookup, read, replace, patch, delete, tags, inquiries,
stage history; and the privacy routes: a lead's consent records, its erasure, the erasures' records (docs/privacy.md).

The HTTP edge: parameters, status codes, headers, URLs and the list envelope are here; `leadgate.leads.service`
takes validated models and returns leads and pages.
"""

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BeforeValidator

from leadgate.api import IfMatch, create_resolver, json_response, public_url, record_response
from leadgate.envelopes import (
    ConsentPage,
    ErasureEnvelope,
    ErasurePage,
    InquiryPage,
    LeadEnvelope,
    LeadPage,
    StageMovePage,
    answer,
    errors_of,
    list_envelope,
)
from leadgate.erasure import service as erasure
from leadgate.leads import service
from leadgate.leads.fields import Tag
from leadgate.leads.params import LeadListParams, LookupParams, PageParams
from leadgate.leads.requests import LeadCreate, LeadPatch, LeadReplace, TagBody
from leadgate.observability import observed

app = create_resolver()

# REST API events keep the path percent-encoded; the tag is then read as in a body (matched in its stored form).
TagSegment = Annotated[Tag, BeforeValidator(unquote), Path(description="The tag, in any spelling of it (`VIP`).")]
LEAD = answer(LeadEnvelope, "The lead, with its `ETag`.")
CHANGED = {200: LEAD, **errors_of(404, 409, 410, 412, 422)}


def _url(*segments: str) -> str:
    return "/".join([public_url(app.current_event.raw_event), *segments])


@app.get("/api/v1/leads", responses={200: answer(LeadPage, "A page of leads."), **errors_of(400, 422)})
def list_leads(params: Annotated[LeadListParams, Query()]):
    app.refuse_undeclared_query(LeadListParams)
    return json_response(200, list_envelope(service.list_leads(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/leads",
    responses={201: answer(LeadEnvelope, "Created, with `ETag` and `Location`."), **errors_of(409, 422)},
)
@app.idempotent
def create_lead(body: Annotated[LeadCreate, Body()]):
    lead = service.create_lead(app.caller.tenant_id, body, app.consent_origin())
    return json_response(201, {"data": lead.record()}, {"ETag": lead.etag, "Location": _url(lead.id)})


@app.get(
    "/api/v1/leads/lookup",
    responses={200: LEAD, **errors_of(404, 409, 422, _409="The email and the phone belong to different leads.")},
)
def lookup_lead(params: Annotated[LookupParams, Query()]):
    app.refuse_undeclared_query(LookupParams)
    lead = service.lookup(app.caller.tenant_id, params)
    return record_response(lead.record(), etag=lead.etag)


@app.get("/api/v1/leads/<lead_id>", responses={200: LEAD, **errors_of(404, 410)})
def get_lead(lead_id: str):
    lead = service.get_lead(app.caller.tenant_id, lead_id)
    return record_response(lead.record(), etag=lead.etag)


@app.put("/api/v1/leads/<lead_id>", responses=CHANGED)
def replace_lead(lead_id: str, body: Annotated[LeadReplace, Body()], if_match: IfMatch = None):
    lead = service.replace_lead(app.caller.tenant_id, lead_id, body, if_match, app.consent_origin())
    return record_response(lead.record(), etag=lead.etag)


@app.patch("/api/v1/leads/<lead_id>", responses=CHANGED)
def patch_lead(lead_id: str, body: Annotated[LeadPatch, Body()], if_match: IfMatch = None):
    lead = service.patch_lead(app.caller.tenant_id, lead_id, body, if_match, app.consent_origin())
    return record_response(lead.record(), etag=lead.etag)


@app.delete("/api/v1/leads/<lead_id>", responses={204: answer(None, "Deleted."), **errors_of(404, 409, 410, 412)})
def delete_lead(lead_id: str, if_match: IfMatch = None):
    service.delete_lead(app.caller.tenant_id, lead_id, if_match)
    return json_response(204, None)


@app.post("/api/v1/leads/<lead_id>/tags", responses=CHANGED)
def add_tag(lead_id: str, body: Annotated[TagBody, Body()], if_match: IfMatch = None):
    lead = service.add_tag(app.caller.tenant_id, lead_id, body.tag, if_match)
    return record_response(lead.record(), etag=lead.etag)


@app.delete(
    "/api/v1/leads/<lead_id>/tags/<tag>",
    responses={204: answer(None, "Removed, with the lead's new `ETag`."), **errors_of(404, 409, 410, 412, 422)},
)
def remove_tag(lead_id: str, tag: TagSegment, if_match: IfMatch = None):
    lead = service.remove_tag(app.caller.tenant_id, lead_id, tag, if_match)
    return json_response(204, None, {"ETag": lead.etag})


@app.get(
    "/api/v1/leads/<lead_id>/inquiries",
    responses={
        200: answer(InquiryPage, "A page of the lead's inquiries, newest first."),
        **errors_of(400, 404, 410, 422),
    },
)
def list_inquiries(lead_id: str, params: Annotated[PageParams, Query()]):
    app.refuse_undeclared_query(PageParams)
    return json_response(200, list_envelope(service.list_inquiries(app.caller.tenant_id, lead_id, params), app.link))


@app.get(
    "/api/v1/leads/<lead_id>/stage-history",
    responses={
        200: answer(StageMovePage, "A page of the lead's moves between stages, newest first."),
        **errors_of(400, 404, 410, 422),
    },
)
def list_stage_history(lead_id: str, params: Annotated[PageParams, Query()]):
    app.refuse_undeclared_query(PageParams)
    return json_response(
        200, list_envelope(service.list_stage_history(app.caller.tenant_id, lead_id, params), app.link)
    )


@app.get(
    "/api/v1/leads/<lead_id>/consents",
    responses={
        200: answer(ConsentPage, "A page of the lead's consent records, newest first (append-only)."),
        **errors_of(400, 404, 410, 422),
    },
)
def list_consents(lead_id: str, params: Annotated[PageParams, Query()]):
    app.refuse_undeclared_query(PageParams)
    return json_response(200, list_envelope(service.list_consents(app.caller.tenant_id, lead_id, params), app.link))


@app.post(
    "/api/v1/leads/<lead_id>/erase",
    responses={
        200: answer(ErasureEnvelope, "Erased: the erasure's record (no personal data)."),
        **errors_of(404, 409, 410),
    },
)
def erase_lead(lead_id: str):
    """The person's data removed for good; the lead's id answers 410 from now on (docs/privacy.md)."""
    caller = app.caller
    return json_response(200, {"data": erasure.erase_lead(caller.tenant_id, lead_id, caller.client_id)})


@app.get(
    "/api/v1/erasures",
    responses={200: answer(ErasurePage, "A page of the erasures' records, newest first."), **errors_of(400, 422)},
)
def list_erasures(params: Annotated[PageParams, Query()]):
    app.refuse_undeclared_query(PageParams)
    return json_response(200, list_envelope(service.list_erasures(app.caller.tenant_id, params), app.link))


lambda_handler = observed(app)
