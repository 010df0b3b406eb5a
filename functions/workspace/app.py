"""The workspace REST API (issue 15, docs/workspace.md): pipelines and stages, users, the tags catalog, jobs.

The HTTP edge, one function for every workspace resource (they share models and one cold start): parameters,
status codes, headers, URLs and envelopes are here; the services of `leadgate.workspace` take validated models
and return records and pages. A path id that is not a workspace id (`leadgate.workspace.ids.from_path`) names
nothing: 404.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from leadgate.api import create_resolver, json_response, public_url, record_response
from leadgate.envelopes import ReassignedEnvelope, UserEnvelope, UserPage, answer, errors_of, list_envelope
from leadgate.observability import observed
from leadgate.workspace.ids import from_path
from leadgate.workspace.pages import WorkspacePageParams
from leadgate.workspace.users import service as users
from leadgate.workspace.users.requests import UserCreate, UserDeleteParams, UserPatch, UserReplace

app = create_resolver()

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1024,
        description="The record's ETag (or `*`): the change happens only if it still holds, else 412.",
    ),
]


def _url(created_id: int) -> str:
    """The created record's URL: this request's (the collection's) plus its id."""
    return f"{public_url(app.current_event.raw_event)}/{created_id}"


# ------------------------------------------------------------------ users

USER = answer(UserEnvelope, "The user, with its exact `open_lead_count` and its `ETag`.")
NO_USER = "No such user in the caller's tenant (`NOT_FOUND`)."
USER_CHANGED = {200: USER, **errors_of(404, 409, 412, 422, _404=NO_USER)}


def _user_id(text: str) -> int:
    return from_path(text, "user")


@app.get("/api/v1/users", responses={200: answer(UserPage, "A page of users, in id order."), **errors_of(400, 422)})
def list_users(params: Annotated[WorkspacePageParams, Query()]):
    app.refuse_undeclared_query(WorkspacePageParams)
    return json_response(200, list_envelope(users.list_users(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/users",
    responses={
        201: answer(UserEnvelope, "Created, with `ETag` and `Location`."),
        **errors_of(409, 422, _422="Invalid, or the email belongs to another user (`VALIDATION_FAILED`)."),
    },
)
@app.idempotent
def create_user(body: Annotated[UserCreate, Body()]):
    created = users.create_user(app.caller.tenant_id, body)
    return json_response(201, {"data": created.record(0)}, {"ETag": created.etag, "Location": _url(created.id)})


@app.get("/api/v1/users/<user_id>", responses={200: USER, **errors_of(404, _404=NO_USER)})
def get_user(user_id: str):
    tenant_id = app.caller.tenant_id
    found = users.user(tenant_id, _user_id(user_id))
    return record_response(users.user_record(tenant_id, found), etag=found.etag)


@app.put("/api/v1/users/<user_id>", responses=USER_CHANGED)
def replace_user(user_id: str, body: Annotated[UserReplace, Body()], if_match: IfMatch = None):
    tenant_id = app.caller.tenant_id
    changed = users.replace_user(tenant_id, _user_id(user_id), body, if_match)
    return record_response(users.user_record(tenant_id, changed), etag=changed.etag)


@app.patch("/api/v1/users/<user_id>", responses=USER_CHANGED)
def patch_user(user_id: str, body: Annotated[UserPatch, Body()], if_match: IfMatch = None):
    tenant_id = app.caller.tenant_id
    changed = users.patch_user(tenant_id, _user_id(user_id), body, if_match)
    return record_response(users.user_record(tenant_id, changed), etag=changed.etag)


@app.delete(
    "/api/v1/users/<user_id>",
    responses={
        200: answer(ReassignedEnvelope, 'Deleted after `reassign_to` took its leads: `{"reassigned": n}`.'),
        204: answer(None, "Deleted (no leads were assigned to the user)."),
        **errors_of(
            404,
            409,
            412,
            422,
            _404=NO_USER,
            _409="Leads are assigned to the user (`RESOURCE_IN_USE`, with `lead_count`): pass `reassign_to` or "
            "deactivate; more than 100 to reassign (`REASSIGNMENT_TOO_LARGE`); or `CONFLICT`.",
            _422="`reassign_to` is not an active user (`VALIDATION_FAILED`).",
        ),
    },
)
def delete_user(user_id: str, params: Annotated[UserDeleteParams, Query()], if_match: IfMatch = None):
    app.refuse_undeclared_query(UserDeleteParams)
    moved = users.delete_user(app.caller.tenant_id, _user_id(user_id), if_match, params.reassign_to)
    if params.reassign_to is None:
        return json_response(204, None)
    return json_response(200, {"data": {"reassigned": moved}})


lambda_handler = observed(app)
