"""The workspace REST API (docs/workspace.md): pipelines and stages, users, the tags catalog, jobs.

The HTTP edge, one function for every workspace resource (they share models and one cold start): parameters,
status codes, headers, URLs and envelopes are here; the services of `leadgate.workspace` take validated models
and return records and pages. A path id that is not a workspace id (`leadgate.workspace.ids.from_path`) names
nothing: 404.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from leadgate.api import IfMatch, create_resolver, json_response, public_url, record_response
from leadgate.envelopes import (
    PipelineEnvelope,
    PipelinePage,
    PipelineStatsEnvelope,
    ReassignedEnvelope,
    StageEnvelope,
    StagePage,
    UserEnvelope,
    UserPage,
    answer,
    errors_of,
    list_envelope,
)
from leadgate.observability import observed
from leadgate.workspace import catalog_service, jobs
from leadgate.workspace.envelopes import JobEnvelope, TagEnvelope, TagPage
from leadgate.workspace.ids import from_path
from leadgate.workspace.pages import WorkspacePageParams
from leadgate.workspace.pipelines import service as pipelines
from leadgate.workspace.pipelines.requests import (
    PipelineCreate,
    PipelinePatch,
    PipelineReplace,
    StageCreate,
    StagePatch,
    StageReplace,
)
from leadgate.workspace.pipelines.stats import pipeline_stats
from leadgate.workspace.tag_requests import TagCreate, TagListParams, TagPatch, TagReplace
from leadgate.workspace.users import service as users
from leadgate.workspace.users.requests import UserCreate, UserDeleteParams, UserPatch, UserReplace

app = create_resolver()


def _url(created_id: int) -> str:
    """The created record's URL: this request's (the collection's) plus its id."""
    return f"{public_url(app.current_event.raw_event)}/{created_id}"


# ------------------------------------------------------------------ pipelines and stages

PIPELINE = answer(PipelineEnvelope, "The pipeline with its stages in order, with its `ETag`.")
STAGE = answer(StageEnvelope, "The stage, with its `ETag`.")
NO_PIPELINE = "No such pipeline in the caller's tenant (`NOT_FOUND`)."
NO_STAGE = "No such pipeline, or no such stage in it (`NOT_FOUND`)."
IN_USE = "Leads are in it (`RESOURCE_IN_USE`, with `lead_count`): archive it instead; or `CONFLICT`."


def _pipeline_id(text: str) -> int:
    return from_path(text, "pipeline")


def _stage_id(text: str) -> int:
    return from_path(text, "stage")


@app.get(
    "/api/v1/pipelines",
    responses={200: answer(PipelinePage, "A page of pipelines, in position order."), **errors_of(400, 422)},
)
def list_pipelines(params: Annotated[WorkspacePageParams, Query()]):
    app.refuse_undeclared_query(WorkspacePageParams)
    return json_response(200, list_envelope(pipelines.list_pipelines(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/pipelines",
    responses={201: answer(PipelineEnvelope, "Created, with `ETag` and `Location`."), **errors_of(409, 422)},
)
@app.idempotent
def create_pipeline(body: Annotated[PipelineCreate, Body()]):
    tenant_id = app.caller.tenant_id
    created = pipelines.create_pipeline(tenant_id, body)
    record = pipelines.pipeline_record(tenant_id, created)
    return json_response(201, {"data": record}, {"ETag": created.etag, "Location": _url(created.id)})


@app.get("/api/v1/pipelines/<pipeline_id>", responses={200: PIPELINE, **errors_of(404, _404=NO_PIPELINE)})
def get_pipeline(pipeline_id: str):
    tenant_id = app.caller.tenant_id
    found = pipelines.pipeline(tenant_id, _pipeline_id(pipeline_id))
    return record_response(pipelines.pipeline_record(tenant_id, found), etag=found.etag)


@app.get(
    "/api/v1/pipelines/<pipeline_id>/stats",
    responses={
        200: answer(PipelineStatsEnvelope, "Per stage: lead count, median time in stage over the last 90 days."),
        **errors_of(404, _404=NO_PIPELINE),
    },
)
def get_pipeline_stats(pipeline_id: str):
    return json_response(200, {"data": pipeline_stats(app.caller.tenant_id, _pipeline_id(pipeline_id))})


PIPELINE_CHANGED = {200: PIPELINE, **errors_of(404, 409, 412, 422, _404=NO_PIPELINE)}


@app.put("/api/v1/pipelines/<pipeline_id>", responses=PIPELINE_CHANGED)
def replace_pipeline(pipeline_id: str, body: Annotated[PipelineReplace, Body()], if_match: IfMatch = None):
    tenant_id = app.caller.tenant_id
    changed = pipelines.replace_pipeline(tenant_id, _pipeline_id(pipeline_id), body, if_match)
    return record_response(pipelines.pipeline_record(tenant_id, changed), etag=changed.etag)


@app.patch("/api/v1/pipelines/<pipeline_id>", responses=PIPELINE_CHANGED)
def patch_pipeline(pipeline_id: str, body: Annotated[PipelinePatch, Body()], if_match: IfMatch = None):
    tenant_id = app.caller.tenant_id
    changed = pipelines.patch_pipeline(tenant_id, _pipeline_id(pipeline_id), body, if_match)
    return record_response(pipelines.pipeline_record(tenant_id, changed), etag=changed.etag)


@app.delete(
    "/api/v1/pipelines/<pipeline_id>",
    responses={
        204: answer(None, "Deleted with its stages."),
        **errors_of(404, 409, 412, _404=NO_PIPELINE, _409=IN_USE),
    },
)
def delete_pipeline(pipeline_id: str, if_match: IfMatch = None):
    pipelines.delete_pipeline(app.caller.tenant_id, _pipeline_id(pipeline_id), if_match)
    return json_response(204, None)


@app.get(
    "/api/v1/pipelines/<pipeline_id>/stages",
    responses={
        200: answer(StagePage, "A page of the pipeline's stages, in order."),
        **errors_of(400, 404, 422, _404=NO_PIPELINE),
    },
)
def list_stages(pipeline_id: str, params: Annotated[WorkspacePageParams, Query()]):
    app.refuse_undeclared_query(WorkspacePageParams)
    page = pipelines.list_stages(app.caller.tenant_id, _pipeline_id(pipeline_id), params)
    return json_response(200, list_envelope(page, app.link))


@app.post(
    "/api/v1/pipelines/<pipeline_id>/stages",
    responses={
        201: answer(StageEnvelope, "Created, with `ETag` and `Location`."),
        **errors_of(404, 409, 422, _404=NO_PIPELINE),
    },
)
@app.idempotent
def create_stage(pipeline_id: str, body: Annotated[StageCreate, Body()]):
    tenant_id = app.caller.tenant_id
    owner, stage = pipelines.create_stage(tenant_id, _pipeline_id(pipeline_id), body)
    headers = {"ETag": stage.etag, "Location": _url(stage.id)}
    return json_response(201, {"data": stage.record(owner.position_of(stage.id), 0)}, headers)


@app.get("/api/v1/pipelines/<pipeline_id>/stages/<stage_id>", responses={200: STAGE, **errors_of(404, _404=NO_STAGE)})
def get_stage(pipeline_id: str, stage_id: str):
    tenant_id = app.caller.tenant_id
    owner, stage = pipelines.stage_of(tenant_id, _pipeline_id(pipeline_id), _stage_id(stage_id))
    return record_response(pipelines.stage_record(tenant_id, owner, stage), etag=stage.etag)


STAGE_CHANGED = {200: STAGE, **errors_of(404, 409, 412, 422, _404=NO_STAGE)}


@app.put("/api/v1/pipelines/<pipeline_id>/stages/<stage_id>", responses=STAGE_CHANGED)
def replace_stage(pipeline_id: str, stage_id: str, body: Annotated[StageReplace, Body()], if_match: IfMatch = None):
    tenant_id = app.caller.tenant_id
    owner, stage = pipelines.replace_stage(tenant_id, _pipeline_id(pipeline_id), _stage_id(stage_id), body, if_match)
    return record_response(pipelines.stage_record(tenant_id, owner, stage), etag=stage.etag)


@app.patch("/api/v1/pipelines/<pipeline_id>/stages/<stage_id>", responses=STAGE_CHANGED)
def patch_stage(pipeline_id: str, stage_id: str, body: Annotated[StagePatch, Body()], if_match: IfMatch = None):
    tenant_id = app.caller.tenant_id
    owner, stage = pipelines.patch_stage(tenant_id, _pipeline_id(pipeline_id), _stage_id(stage_id), body, if_match)
    return record_response(pipelines.stage_record(tenant_id, owner, stage), etag=stage.etag)


@app.delete(
    "/api/v1/pipelines/<pipeline_id>/stages/<stage_id>",
    responses={204: answer(None, "Deleted."), **errors_of(404, 409, 412, _404=NO_STAGE, _409=IN_USE)},
)
def delete_stage(pipeline_id: str, stage_id: str, if_match: IfMatch = None):
    pipelines.delete_stage(app.caller.tenant_id, _pipeline_id(pipeline_id), _stage_id(stage_id), if_match)
    return json_response(204, None)


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
        202: answer(
            JobEnvelope,
            "More than 100 leads to reassign: the user is deactivated and a job moves the leads, then deletes the "
            "user (`Location`: the job).",
        ),
        204: answer(None, "Deleted (no leads were assigned to the user)."),
        **errors_of(
            404,
            409,
            412,
            422,
            _404=NO_USER,
            _409="Leads are assigned to the user (`RESOURCE_IN_USE`, with `lead_count`): pass `reassign_to` or "
            "deactivate; or `CONFLICT`.",
            _422="`reassign_to` is not an active user (`VALIDATION_FAILED`).",
        ),
    },
)
def delete_user(user_id: str, params: Annotated[UserDeleteParams, Query()], if_match: IfMatch = None):
    app.refuse_undeclared_query(UserDeleteParams)
    deleted = users.delete_user(app.caller.tenant_id, _user_id(user_id), if_match, params.reassign_to)
    if deleted.job is not None:
        return _job_started(deleted.job)
    if params.reassign_to is None:
        return json_response(204, None)
    return json_response(200, {"data": {"reassigned": deleted.reassigned}})


def _api_url(path: str) -> str:
    """`path` on the API as clients reach it (links and `Location`)."""
    event = app.current_event.raw_event
    requested = public_url(event)
    return requested[: len(requested) - len(event.get("path") or "/")] + path


# ------------------------------------------------------------------ tags catalog and jobs

UNKNOWN_TAG = "No such tag in the caller's tenant (`NOT_FOUND`)."
TAG = answer(TagEnvelope, "The tag, with its `ETag`.")
STARTED = answer(JobEnvelope, "More leads hold the tag than one request changes: a job does it (`Location`).")
TAG_CHANGED = {200: TAG, 202: STARTED, **errors_of(404, 409, 412, 422, _404=UNKNOWN_TAG)}


@app.get("/api/v1/tags", responses={200: answer(TagPage, "A page of the tags catalog."), **errors_of(400, 422)})
def list_tags(params: Annotated[TagListParams, Query()]):
    app.refuse_undeclared_query(TagListParams)
    return json_response(200, list_envelope(catalog_service.list_tags(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/tags",
    responses={201: answer(TagEnvelope, "Created, with `ETag` and `Location`."), **errors_of(409, 422)},
)
@app.idempotent
def create_tag(body: Annotated[TagCreate, Body()]):
    tag = catalog_service.create_tag(app.caller.tenant_id, body)
    return json_response(201, {"data": tag.record()}, {"ETag": tag.etag, "Location": _url(tag.id)})


@app.get("/api/v1/tags/<tag_id>", responses={200: TAG, **errors_of(404, _404=UNKNOWN_TAG)})
def get_tag(tag_id: str):
    tag = catalog_service.get_tag(app.caller.tenant_id, from_path(tag_id, "tag"))
    return record_response(tag.record(), etag=tag.etag)


@app.put("/api/v1/tags/<tag_id>", responses=TAG_CHANGED)
def replace_tag(tag_id: str, body: Annotated[TagReplace, Body()], if_match: IfMatch = None):
    changed = catalog_service.change_tag(app.caller.tenant_id, from_path(tag_id, "tag"), body, if_match)
    return _tag_changed(changed)


@app.patch("/api/v1/tags/<tag_id>", responses=TAG_CHANGED)
def patch_tag(tag_id: str, body: Annotated[TagPatch, Body()], if_match: IfMatch = None):
    changed = catalog_service.change_tag(app.caller.tenant_id, from_path(tag_id, "tag"), body, if_match)
    return _tag_changed(changed)


@app.delete(
    "/api/v1/tags/<tag_id>",
    responses={204: answer(None, "Deleted, and removed from every lead."), 202: STARTED, **errors_of(404, 409, 412)},
)
def delete_tag(tag_id: str, if_match: IfMatch = None):
    changed = catalog_service.delete_tag(app.caller.tenant_id, from_path(tag_id, "tag"), if_match)
    return _tag_changed(changed)


def _tag_changed(changed: catalog_service.Changed):
    if changed.job is not None:
        return _job_started(changed.job)
    if changed.tag is None:
        return json_response(204, None)
    return record_response(changed.tag.record(), etag=changed.tag.etag)


def _job_started(job: jobs.Job):
    location = _api_url(f"/api/v1/jobs/{job.id}")
    return json_response(202, {"data": {**job.record(), "url": location}}, {"Location": location})


@app.get(
    "/api/v1/jobs/<job_id>",
    responses={200: answer(JobEnvelope, "The job: status and counts."), **errors_of(404)},
)
def get_job(job_id: str):
    job = jobs.get(app.caller.tenant_id, from_path(job_id, "job"))
    return record_response({**job.record(), "url": _api_url(f"/api/v1/jobs/{job.id}")})


lambda_handler = observed(app)
