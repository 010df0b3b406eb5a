"""GET /api/v1/events: the caller's tenant's events of the last 30 days (the journal, docs/events.md).

The HTTP edge: parameters and the `data`/`meta`/`links` envelope; `leadgate.events.service` reads the journal.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from leadgate.api import create_resolver, json_response
from leadgate.envelopes import EventPage, answer, errors_of, list_envelope
from leadgate.events import service
from leadgate.events.params import EventListParams
from leadgate.observability import observed

app = create_resolver()


@app.get(
    "/api/v1/events",
    responses={200: answer(EventPage, "A page of events, newest first unless `order=oldest`."), **errors_of(400, 422)},
)
def list_events(params: Annotated[EventListParams, Query()]):
    app.refuse_undeclared_query(EventListParams)
    page = service.list_events(app.caller.tenant_id, params)
    return json_response(200, list_envelope(page, app.link))


lambda_handler = observed(app)
