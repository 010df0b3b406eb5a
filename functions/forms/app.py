"""The forms REST API (docs/forms.md): forms, their public id, and their submissions from servers.

The HTTP edge: parameters, status codes, headers, URLs and envelopes are here; `leadgate.forms.service` and
`leadgate.forms.submissions` take validated models and return records and pages. A path id that is not a
workspace id names nothing: 404. Browsers post to the public route instead (functions/form_submissions).
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from leadgate.api import IfMatch, create_resolver, json_response, public_url, record_response
from leadgate.envelopes import answer, errors_of, list_envelope
from leadgate.forms import service, submissions, values
from leadgate.forms.envelopes import FormEnvelope, FormPage, SubmissionPage, SubmissionResult
from leadgate.forms.requests import FormCreate, FormPatch, FormReplace
from leadgate.forms.submissions import SubmissionListParams
from leadgate.observability import observed
from leadgate.workspace.ids import from_path
from leadgate.workspace.pages import WorkspacePageParams

app = create_resolver()

FORM = answer(FormEnvelope, "The form, with its `ETag`.")
NO_FORM = "No such form in the caller's tenant (`NOT_FOUND`)."
FORM_CHANGED = {200: FORM, **errors_of(404, 409, 412, 422, _404=NO_FORM)}


def _form_id(text: str) -> int:
    return from_path(text, "form")


@app.get("/api/v1/forms", responses={200: answer(FormPage, "A page of forms, in id order."), **errors_of(400, 422)})
def list_forms(params: Annotated[WorkspacePageParams, Query()]):
    app.refuse_undeclared_query(WorkspacePageParams)
    return json_response(200, list_envelope(service.list_forms(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/forms",
    responses={201: answer(FormEnvelope, "Created, with `ETag` and `Location`."), **errors_of(409, 422)},
)
@app.idempotent
def create_form(body: Annotated[FormCreate, Body()]):
    created = service.create_form(app.caller.tenant_id, body)
    location = f"{public_url(app.current_event.raw_event)}/{created.id}"
    return json_response(201, {"data": created.record()}, {"ETag": created.etag, "Location": location})


@app.get("/api/v1/forms/<form_id>", responses={200: FORM, **errors_of(404, _404=NO_FORM)})
def get_form(form_id: str):
    found = service.form(app.caller.tenant_id, _form_id(form_id))
    return record_response(found.record(), etag=found.etag)


@app.put("/api/v1/forms/<form_id>", responses=FORM_CHANGED)
def replace_form(form_id: str, body: Annotated[FormReplace, Body()], if_match: IfMatch = None):
    changed = service.replace_form(app.caller.tenant_id, _form_id(form_id), body, if_match)
    return record_response(changed.record(), etag=changed.etag)


@app.patch("/api/v1/forms/<form_id>", responses=FORM_CHANGED)
def patch_form(form_id: str, body: Annotated[FormPatch, Body()], if_match: IfMatch = None):
    changed = service.patch_form(app.caller.tenant_id, _form_id(form_id), body, if_match)
    return record_response(changed.record(), etag=changed.etag)


@app.delete(
    "/api/v1/forms/<form_id>",
    responses={204: answer(None, "Deleted; its submissions stay on their leads."), **errors_of(404, 409, 412)},
)
def delete_form(form_id: str, if_match: IfMatch = None):
    service.delete_form(app.caller.tenant_id, _form_id(form_id), if_match)
    return json_response(204, None)


@app.post(
    "/api/v1/forms/<form_id>/rotate-public-id",
    responses={
        200: answer(FormEnvelope, "The form with a new `public_id`; the old one answers 404 from now on."),
        **errors_of(404, 409, 412, _404=NO_FORM),
    },
)
def rotate_public_id(form_id: str, if_match: IfMatch = None):
    changed = service.rotate_public_id(app.caller.tenant_id, _form_id(form_id), if_match)
    return record_response(changed.record(), etag=changed.etag)


@app.post(
    "/api/v1/forms/<form_id>/submissions",
    responses={
        201: answer(SubmissionResult, "Taken in: a new lead (`created`) or an inquiry on the lead it matched."),
        **errors_of(404, 409, 422, _404=NO_FORM, _422="A field is missing, unknown or invalid (named)."),
    },
)
@app.idempotent
def submit(form_id: str, body: Annotated[dict, Body(description="The form's field values: name -> value.")]):
    tenant_id = app.caller.tenant_id
    form = service.form(tenant_id, _form_id(form_id))
    accepted = submissions.submit(tenant_id, form, values.from_json(body), client_id=app.caller.client_id)
    outcome = accepted.outcome
    result = {
        "status": outcome.result,
        "lead_id": outcome.lead_id,
        "is_duplicate": not outcome.created,
        "form_id": form.id,
        "consents": [record.record() for record in accepted.consents],
    }
    return json_response(201, result)


@app.get(
    "/api/v1/forms/<form_id>/submissions",
    responses={
        200: answer(SubmissionPage, "A page of the form's submissions, newest first."),
        **errors_of(400, 404, 422, _404=NO_FORM),
    },
)
def list_submissions(form_id: str, params: Annotated[SubmissionListParams, Query()]):
    app.refuse_undeclared_query(SubmissionListParams)
    tenant_id = app.caller.tenant_id
    form = service.form(tenant_id, _form_id(form_id))
    page = submissions.list_submissions(tenant_id, form.id, params.per_page, params.cursor)
    return json_response(200, list_envelope(page, app.link))


lambda_handler = observed(app)
