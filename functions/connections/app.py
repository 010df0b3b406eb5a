"""GET /api/v1/connections, /{id} and /{id}/runs: the caller's tenant's connections (without secrets), sync runs."""

from leadgate.api import create_resolver, json_response, public_url, record_response
from leadgate.connections import service
from leadgate.envelopes import answer, errors_of
from leadgate.observability import lambda_handler as observed

app = create_resolver()


@app.get("/api/v1/connections", responses={200: answer(None, "A page of connections."), **errors_of(400, 422)})
def list_connections():
    query = dict(app.current_event.query_string_parameters or {})
    url = public_url(app.current_event.raw_event)
    return json_response(200, service.list_connections(app.caller.tenant_id, query, url))


@app.get("/api/v1/connections/<connection_id>", responses={200: answer(None, "The connection."), **errors_of(404)})
def get_connection(connection_id: str):
    return record_response(service.get_connection(app.caller.tenant_id, connection_id))


@app.get("/api/v1/connections/<connection_id>/runs")
def list_runs(connection_id: str):
    query = dict(app.current_event.query_string_parameters or {})
    url = public_url(app.current_event.raw_event)
    return json_response(200, service.list_runs(app.caller.tenant_id, connection_id, query, url))


lambda_handler = observed(app)
