"""GET /api/v1/connections, /{id} and /{id}/runs: the caller's tenant's connections (without secrets), sync runs.

The HTTP edge: parameters, status codes, URLs and the `data`/`meta`/`links` envelope are here;
`leadgate.connections.service` takes validated parameters and returns records and pages.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from leadgate.api import create_resolver, json_response, record_response
from leadgate.connections import service
from leadgate.connections.params import ConnectionListParams
from leadgate.envelopes import ConnectionEnvelope, ConnectionPage, SyncRunPage, answer, errors_of, list_envelope
from leadgate.observability import observed

app = create_resolver()
UNKNOWN_CONNECTION = "No such connection in the caller's tenant (`NOT_FOUND`)."


@app.get(
    "/api/v1/connections", responses={200: answer(ConnectionPage, "A page of connections."), **errors_of(400, 422)}
)
def list_connections(params: Annotated[ConnectionListParams, Query()]):
    app.refuse_undeclared_query(ConnectionListParams)
    page = service.list_connections(app.caller.tenant_id, params)
    return json_response(200, list_envelope(page, app.link))


@app.get(
    "/api/v1/connections/<connection_id>",
    responses={200: answer(ConnectionEnvelope, "The connection."), **errors_of(404, _404=UNKNOWN_CONNECTION)},
)
def get_connection(connection_id: str):
    return record_response(service.public_connection(app.caller.tenant_id, connection_id))


@app.get(
    "/api/v1/connections/<connection_id>/runs",
    responses={
        200: answer(SyncRunPage, "A page of the connection's sync runs, newest first."),
        **errors_of(400, 404, 422, _404=UNKNOWN_CONNECTION),
    },
)
def list_runs(connection_id: str, params: Annotated[ConnectionListParams, Query()]):
    app.refuse_undeclared_query(ConnectionListParams)
    page = service.list_runs(app.caller.tenant_id, connection_id, params)
    return json_response(200, list_envelope(page, app.link))


lambda_handler = observed(app)
