"""The workspace REST API (issue 15, docs/workspace.md): pipelines and stages, users, the tags catalog, jobs.

The HTTP edge, one function for every workspace resource (they share models and one cold start): parameters,
status codes, headers, URLs and envelopes are here; the services of `leadgate.workspace` take validated models
and return records and pages. A path id that is not a workspace id (`leadgate.workspace.ids.from_path`) names
nothing: 404.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from leadgate.api import create_resolver, json_response, public_url, record_response
from leadgate.envelopes import answer, errors_of, list_envelope
from leadgate.observability import observed
from leadgate.workspace import catalog_service, ids, jobs
from leadgate.workspace.envelopes import JobEnvelope, TagEnvelope, TagPage
from leadgate.workspace.tag_requests import TagCreate, TagListParams, TagPatch, TagReplace

app = create_resolver()

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1024,
        description="The resource's ETag (or `*`): the change happens only if it still holds, else 412.",
    ),
]


def _url(path: str) -> str:
    """`path` on the API as clients reach it (links and `Location`)."""
    event = app.current_event.raw_event
    requested = public_url(event)
    return requested[: len(requested) - len(event.get("path") or "/")] + path


# ------------------------------------------------------------------ tags catalog and jobs (issue 15 §3, §4)

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
    return json_response(201, {"data": tag.record()}, {"ETag": tag.etag, "Location": _url(f"/api/v1/tags/{tag.id}")})


@app.get("/api/v1/tags/<tag_id>", responses={200: TAG, **errors_of(404, _404=UNKNOWN_TAG)})
def get_tag(tag_id: str):
    tag = catalog_service.get_tag(app.caller.tenant_id, ids.from_path(tag_id, "tag"))
    return record_response(tag.record(), etag=tag.etag)


@app.put("/api/v1/tags/<tag_id>", responses=TAG_CHANGED)
def replace_tag(tag_id: str, body: Annotated[TagReplace, Body()], if_match: IfMatch = None):
    changed = catalog_service.change_tag(app.caller.tenant_id, ids.from_path(tag_id, "tag"), body, if_match)
    return _tag_changed(changed)


@app.patch("/api/v1/tags/<tag_id>", responses=TAG_CHANGED)
def patch_tag(tag_id: str, body: Annotated[TagPatch, Body()], if_match: IfMatch = None):
    changed = catalog_service.change_tag(app.caller.tenant_id, ids.from_path(tag_id, "tag"), body, if_match)
    return _tag_changed(changed)


@app.delete(
    "/api/v1/tags/<tag_id>",
    responses={204: answer(None, "Deleted, and removed from every lead."), 202: STARTED, **errors_of(404, 409, 412)},
)
def delete_tag(tag_id: str, if_match: IfMatch = None):
    changed = catalog_service.delete_tag(app.caller.tenant_id, ids.from_path(tag_id, "tag"), if_match)
    return _tag_changed(changed)


def _tag_changed(changed: catalog_service.Changed):
    if changed.job is not None:
        return _job_started(changed.job)
    if changed.tag is None:
        return json_response(204, None)
    return record_response(changed.tag.record(), etag=changed.tag.etag)


def _job_started(job: jobs.Job):
    location = _url(f"/api/v1/jobs/{job.id}")
    return json_response(202, {"data": {**job.record(), "url": location}}, {"Location": location})


@app.get(
    "/api/v1/jobs/<job_id>",
    responses={200: answer(JobEnvelope, "The job: status and counts."), **errors_of(404)},
)
def get_job(job_id: str):
    job = jobs.get(app.caller.tenant_id, ids.from_path(job_id, "job"))
    return record_response({**job.record(), "url": _url(f"/api/v1/jobs/{job.id}")})


lambda_handler = observed(app)
