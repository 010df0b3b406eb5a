"""The integrations API (`/api/v1/integrations`, LeadHub's), and `/api/v1/connections`, its older name: the same
resource, served by the same routes' code (reads only under the older name).

- `GET /api/v1/integrations/types`: the providers, their settings' and secrets' JSON Schema, their capabilities;
- `GET/POST /api/v1/integrations`, `GET/PUT/PATCH/DELETE /api/v1/integrations/{id}`: secrets are write-only
  (`has_<field>` instead), `ETag`/`If-Match` on every write, a Standard Webhooks integration's signing secret
  answered once by its POST;
- `POST /api/v1/integrations/{id}/test` (the provider's verdict on the credentials, as an outcome) and
  `POST /api/v1/integrations/{id}/sync` (202 and the queued run); `GET .../{id}/runs`.

The HTTP edge: parameters, status codes, URLs and envelopes are here; `leadgate.connections.manage` (writes, the
CLI's too), `leadgate.connections.service` (lists), `leadgate.connections.probe` and `leadgate.connections.types`
take validated models and return domain objects.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from leadgate.api import IfMatch, create_resolver, json_response, public_url, record_response
from leadgate.connections import service
from leadgate.connections.params import ConnectionListParams
from leadgate.connections.requests import IntegrationPatch, IntegrationWrite
from leadgate.envelopes import (
    ConnectionEnvelope,
    ConnectionPage,
    CreatedConnectionEnvelope,
    IntegrationTypesEnvelope,
    ProbeEnvelope,
    SyncRunEnvelope,
    SyncRunPage,
    answer,
    errors_of,
    list_envelope,
)
from leadgate.observability import observed

app = create_resolver()
UNKNOWN = "No such integration in the caller's tenant (`NOT_FOUND`)."
INTEGRATION = answer(ConnectionEnvelope, "The integration, with its `ETag`.")
CHANGED = {200: INTEGRATION, **errors_of(404, 412, 422, _404=UNKNOWN)}


def _manager():
    from leadgate.connections.manage import ConnectionManager

    return ConnectionManager.from_settings()


@app.get(
    "/api/v1/integrations/types",
    responses={200: answer(IntegrationTypesEnvelope, "The providers leadgate connects to.")},
)
def integration_types():
    from leadgate.connections.types import integration_types

    return json_response(200, {"data": integration_types()})


@app.get(
    "/api/v1/integrations", responses={200: answer(ConnectionPage, "A page of integrations."), **errors_of(400, 422)}
)
def list_integrations(params: Annotated[ConnectionListParams, Query()]):
    app.refuse_undeclared_query(ConnectionListParams)
    return json_response(200, list_envelope(service.list_connections(app.caller.tenant_id, params), app.link))


@app.get(
    "/api/v1/connections", responses={200: answer(ConnectionPage, "A page of integrations."), **errors_of(400, 422)}
)
def list_connections(params: Annotated[ConnectionListParams, Query()]):
    return list_integrations(params)


@app.post(
    "/api/v1/integrations",
    responses={
        201: answer(CreatedConnectionEnvelope, "Created, with `ETag` and `Location`."),
        **errors_of(422),
    },
)
def create_integration(body: Annotated[IntegrationWrite, Body()]):
    created = _manager().create(app.caller.tenant_id, body)
    connection = created.connection
    record = connection.public() | ({"signing_secret": created.signing_secret} if created.signing_secret else {})
    location = f"{public_url(app.current_event.raw_event)}/{connection.connection_id}"
    return json_response(201, {"data": record}, {"ETag": connection.etag, "Location": location})


@app.get("/api/v1/integrations/<connection_id>", responses={200: INTEGRATION, **errors_of(404, _404=UNKNOWN)})
def get_integration(connection_id: str):
    connection = service.tenant_connection(app.caller.tenant_id, connection_id)
    return record_response(connection.public(), etag=connection.etag)


@app.get("/api/v1/connections/<connection_id>", responses={200: INTEGRATION, **errors_of(404, _404=UNKNOWN)})
def get_connection(connection_id: str):
    return get_integration(connection_id)


@app.put("/api/v1/integrations/<connection_id>", responses=CHANGED)
def replace_integration(connection_id: str, body: Annotated[IntegrationWrite, Body()], if_match: IfMatch = None):
    changed = _manager().replace(app.caller.tenant_id, connection_id, body, if_match)
    return record_response(changed.public(), etag=changed.etag)


@app.patch("/api/v1/integrations/<connection_id>", responses=CHANGED)
def patch_integration(connection_id: str, body: Annotated[IntegrationPatch, Body()], if_match: IfMatch = None):
    changed = _manager().patch(app.caller.tenant_id, connection_id, body, if_match)
    return record_response(changed.public(), etag=changed.etag)


@app.delete(
    "/api/v1/integrations/<connection_id>",
    responses={204: answer(None, "Deleted: its secret and schedule too."), **errors_of(404, 412, _404=UNKNOWN)},
)
def delete_integration(connection_id: str, if_match: IfMatch = None):
    _manager().delete(app.caller.tenant_id, connection_id, if_match)
    return json_response(204, None)


@app.post(
    "/api/v1/integrations/<connection_id>/test",
    responses={
        200: answer(ProbeEnvelope, "The provider's verdict on the credentials (`ok`), whatever it was."),
        **errors_of(404, _404=UNKNOWN),
    },
)
def test_integration(connection_id: str):
    from leadgate.connections.probe import probe

    connection = service.tenant_connection(app.caller.tenant_id, connection_id)
    return json_response(200, {"data": probe(connection).to_json()})


@app.post(
    "/api/v1/integrations/<connection_id>/sync",
    responses={
        202: answer(SyncRunEnvelope, "The run, queued: `GET .../runs` follows it."),
        **errors_of(404, 409, _404=UNKNOWN, _409="The integration cannot sync (webhooks only) or is disabled."),
    },
)
def start_sync(connection_id: str):
    run = _manager().start_run(app.caller.tenant_id, connection_id)
    return json_response(202, {"data": run.to_json()})


@app.get(
    "/api/v1/integrations/<connection_id>/runs",
    responses={
        200: answer(SyncRunPage, "A page of the integration's sync runs, newest first."),
        **errors_of(400, 404, 422, _404=UNKNOWN),
    },
)
def list_runs(connection_id: str, params: Annotated[ConnectionListParams, Query()]):
    app.refuse_undeclared_query(ConnectionListParams)
    page = service.list_runs(app.caller.tenant_id, connection_id, params)
    return json_response(200, list_envelope(page, app.link))


@app.get(
    "/api/v1/connections/<connection_id>/runs",
    responses={
        200: answer(SyncRunPage, "A page of the integration's sync runs, newest first."),
        **errors_of(400, 404, 422, _404=UNKNOWN),
    },
)
def list_connection_runs(connection_id: str, params: Annotated[ConnectionListParams, Query()]):
    return list_runs(connection_id, params)


lambda_handler = observed(app)
