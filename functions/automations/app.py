"""Automations (docs/automations.md): /api/v1/automations and each automation's runs.

The HTTP edge: parameters, status codes, headers, URLs and envelopes are here; `leadgate.automations.service`
takes validated models and returns automations and pages. A path id that is not an automation id names
nothing: 404.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from leadgate.api import IfMatch, create_resolver, json_response, public_url, record_response
from leadgate.automations import service
from leadgate.automations.definitions import AutomationCreate, AutomationPatch
from leadgate.automations.envelopes import AutomationEnvelope, AutomationPage, RunPage
from leadgate.automations.runs import RunListParams
from leadgate.envelopes import answer, errors_of, list_envelope
from leadgate.observability import observed
from leadgate.workspace.ids import from_path
from leadgate.workspace.pages import WorkspacePageParams

app = create_resolver()

AUTOMATION = answer(AutomationEnvelope, "The automation, with its `ETag`.")
NO_AUTOMATION = "No such automation in the caller's tenant (`NOT_FOUND`)."
INVALID = "Invalid, or it names a user, stage, tag or form the tenant lacks, or an unsafe URL (`VALIDATION_FAILED`)."


def _automation_id(text: str) -> int:
    return from_path(text, "automation")


def _saved(saved: service.Saved) -> dict:
    return {**saved.automation.record(), **({"secret": saved.secret} if saved.secret else {})}


@app.get(
    "/api/v1/automations",
    responses={200: answer(AutomationPage, "A page of automations, in id order."), **errors_of(400, 422)},
)
def list_automations(params: Annotated[WorkspacePageParams, Query()]):
    app.refuse_undeclared_query(WorkspacePageParams)
    return json_response(200, list_envelope(service.list_automations(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/automations",
    responses={
        201: answer(AutomationEnvelope, "Created, with its `ETag` and `Location` (and its signing secret, once)."),
        **errors_of(422, _422=INVALID),
    },
)
@app.idempotent
def create_automation(body: Annotated[AutomationCreate, Body()]):
    saved = service.create(app.caller.tenant_id, body)
    location = f"{public_url(app.current_event.raw_event)}/{saved.automation.id}"
    return json_response(201, {"data": _saved(saved)}, {"ETag": saved.automation.etag, "Location": location})


@app.get("/api/v1/automations/<automation_id>", responses={200: AUTOMATION, **errors_of(404, _404=NO_AUTOMATION)})
def get_automation(automation_id: str):
    found = service.get(app.caller.tenant_id, _automation_id(automation_id))
    return record_response(found.record(), etag=found.etag)


@app.put(
    "/api/v1/automations/<automation_id>",
    responses={200: AUTOMATION, **errors_of(404, 409, 412, 422, _404=NO_AUTOMATION, _422=INVALID)},
)
def replace_automation(automation_id: str, body: Annotated[AutomationCreate, Body()], if_match: IfMatch = None):
    saved = service.replace(app.caller.tenant_id, _automation_id(automation_id), body, if_match)
    return record_response(_saved(saved), etag=saved.automation.etag)


@app.patch(
    "/api/v1/automations/<automation_id>",
    responses={200: AUTOMATION, **errors_of(404, 409, 412, 422, _404=NO_AUTOMATION, _422=INVALID)},
)
def patch_automation(automation_id: str, body: Annotated[AutomationPatch, Body()], if_match: IfMatch = None):
    saved = service.patch(app.caller.tenant_id, _automation_id(automation_id), body, if_match)
    return record_response(_saved(saved), etag=saved.automation.etag)


@app.delete(
    "/api/v1/automations/<automation_id>",
    responses={204: answer(None, "Deleted, with its signing secret."), **errors_of(404, 409, 412, _404=NO_AUTOMATION)},
)
def delete_automation(automation_id: str, if_match: IfMatch = None):
    service.delete(app.caller.tenant_id, _automation_id(automation_id), if_match)
    return json_response(204, None)


@app.get(
    "/api/v1/automations/<automation_id>/runs",
    responses={
        200: answer(RunPage, "A page of the automation's runs (kept 30 days), newest first."),
        **errors_of(400, 404, 422, _404=NO_AUTOMATION),
    },
)
def list_runs(automation_id: str, params: Annotated[RunListParams, Query()]):
    app.refuse_undeclared_query(RunListParams)
    page = service.list_runs(app.caller.tenant_id, _automation_id(automation_id), params)
    return json_response(200, list_envelope(page, app.link))


lambda_handler = observed(app)
