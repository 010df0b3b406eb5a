"""Webhook endpoints (docs/webhooks-out.md): /api/v1/webhook-endpoints, its secret's rotation, its delivery log,
redelivery and recovery.

The HTTP edge: parameters, status codes, headers, URLs and envelopes are here; `leadgate.outbound.service` takes
validated models and returns endpoints, pages and secrets. A path id that is not an endpoint id names nothing: 404.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from leadgate.api import IfMatch, create_resolver, json_response, public_url, record_response
from leadgate.envelopes import answer, errors_of, list_envelope
from leadgate.instants import IsoInstant
from leadgate.observability import observed
from leadgate.outbound import service
from leadgate.outbound.deliveries import DeliveryListParams
from leadgate.outbound.endpoints import EndpointCreate, EndpointPatch
from leadgate.outbound.envelopes import (
    CreatedEndpointEnvelope,
    DeliveryEnvelope,
    DeliveryPage,
    EndpointEnvelope,
    EndpointPage,
    RecoveryEnvelope,
    SecretEnvelope,
    recovery,
)
from leadgate.workspace.ids import from_path
from leadgate.workspace.pages import WorkspacePageParams

app = create_resolver()

ENDPOINT = answer(EndpointEnvelope, "The webhook endpoint (never its secret), with its `ETag`.")
NO_ENDPOINT = "No such webhook endpoint in the caller's tenant (`NOT_FOUND`)."
NO_DELIVERY = "No such webhook endpoint, or no such delivery to it (`NOT_FOUND`)."


class RecoverBody(BaseModel):
    """POST .../recover: send again every failed delivery since `since` (every one kept, 30 days, when absent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: IsoInstant | None = Field(default=None, description="ISO 8601 with an offset.")


def _endpoint_id(text: str) -> int:
    return from_path(text, "webhook endpoint")


@app.get(
    "/api/v1/webhook-endpoints",
    responses={200: answer(EndpointPage, "A page of webhook endpoints, in id order."), **errors_of(400, 422)},
)
def list_endpoints(params: Annotated[WorkspacePageParams, Query()]):
    app.refuse_undeclared_query(WorkspacePageParams)
    return json_response(200, list_envelope(service.list_endpoints(app.caller.tenant_id, params), app.link))


@app.post(
    "/api/v1/webhook-endpoints",
    responses={
        201: answer(CreatedEndpointEnvelope, "Created, with its signing secret (this once), `ETag` and `Location`."),
        **errors_of(422, _422="Invalid, or the URL is not safe to call (`VALIDATION_FAILED` naming `url`)."),
    },
)
@app.idempotent
def create_endpoint(body: Annotated[EndpointCreate, Body()]):
    created = service.create(app.caller.tenant_id, body)
    location = f"{public_url(app.current_event.raw_event)}/{created.endpoint.id}"
    record = {**created.endpoint.record(), "secret": created.secret}
    return json_response(201, {"data": record}, {"ETag": created.endpoint.etag, "Location": location})


@app.get("/api/v1/webhook-endpoints/<endpoint_id>", responses={200: ENDPOINT, **errors_of(404, _404=NO_ENDPOINT)})
def get_endpoint(endpoint_id: str):
    found = service.get(app.caller.tenant_id, _endpoint_id(endpoint_id))
    return record_response(found.record(), etag=found.etag)


@app.patch(
    "/api/v1/webhook-endpoints/<endpoint_id>",
    responses={200: ENDPOINT, **errors_of(404, 409, 412, 422, _404=NO_ENDPOINT)},
)
def patch_endpoint(endpoint_id: str, body: Annotated[EndpointPatch, Body()], if_match: IfMatch = None):
    changed = service.patch(app.caller.tenant_id, _endpoint_id(endpoint_id), body, if_match)
    return record_response(changed.record(), etag=changed.etag)


@app.delete(
    "/api/v1/webhook-endpoints/<endpoint_id>",
    responses={204: answer(None, "Deleted with its secret."), **errors_of(404, 409, 412, _404=NO_ENDPOINT)},
)
def delete_endpoint(endpoint_id: str, if_match: IfMatch = None):
    service.delete(app.caller.tenant_id, _endpoint_id(endpoint_id), if_match)
    return json_response(204, None)


@app.post(
    "/api/v1/webhook-endpoints/<endpoint_id>/rotate-secret",
    responses={
        200: answer(SecretEnvelope, "The new secret, this once; the old one signs beside it for 24 h."),
        **errors_of(404, 409, _404=NO_ENDPOINT),
    },
)
def rotate_secret(endpoint_id: str):
    return record_response(service.rotate_secret(app.caller.tenant_id, _endpoint_id(endpoint_id)))


@app.get(
    "/api/v1/webhook-endpoints/<endpoint_id>/deliveries",
    responses={
        200: answer(DeliveryPage, "A page of the endpoint's deliveries with their attempts, newest first."),
        **errors_of(400, 404, 422, _404=NO_ENDPOINT),
    },
)
def list_deliveries(endpoint_id: str, params: Annotated[DeliveryListParams, Query()]):
    app.refuse_undeclared_query(DeliveryListParams)
    page = service.list_deliveries(app.caller.tenant_id, _endpoint_id(endpoint_id), params)
    return json_response(200, list_envelope(page, app.link))


@app.post(
    "/api/v1/webhook-endpoints/<endpoint_id>/deliveries/<delivery_id>/retry",
    responses={
        202: answer(DeliveryEnvelope, "Queued: sent again with the same `webhook-id`."),
        **errors_of(404, 409, _404=NO_DELIVERY, _409="The delivery is already pending (`CONFLICT`)."),
    },
)
def retry_delivery(endpoint_id: str, delivery_id: str):
    delivery = service.retry(app.caller.tenant_id, _endpoint_id(endpoint_id), delivery_id)
    return record_response(delivery.record(), status=202)


@app.post(
    "/api/v1/webhook-endpoints/<endpoint_id>/recover",
    responses={
        202: answer(RecoveryEnvelope, "Queued: every failed delivery since `since` is sent again."),
        **errors_of(404, 422, _404=NO_ENDPOINT),
    },
)
def recover(endpoint_id: str, body: Annotated[RecoverBody, Body()]):
    endpoint = _endpoint_id(endpoint_id)
    since = service.recover(app.caller.tenant_id, endpoint, body.since)
    return record_response(recovery(endpoint, since), status=202)


lambda_handler = observed(app)
