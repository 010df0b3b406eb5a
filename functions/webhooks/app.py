"""POST /webhooks/{connection_id}: a provider's signed delivery, queued for the worker (202 {"accepted": n})."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from leadgate.api import create_resolver, json_response, public_url
from leadgate.envelopes import answer, errors_of
from leadgate.observability import observed
from leadgate.webhooks.receiver import Delivery, receive

app = create_resolver()


class Accepted(BaseModel):
    accepted: int


@app.post(
    "/webhooks/<connection_id>",
    responses={
        202: answer(Accepted, "Queued for the worker: how many events."),
        **errors_of(
            400,
            401,
            404,
            413,
            422,
            503,
            _401="Unknown connection or a bad signature (`INVALID_SIGNATURE`).",
            _404="No such route: the connection id is not a path segment (`NOT_FOUND`).",
        ),
    },
)
def deliver(
    connection_id: str,
    _events: Annotated[
        dict[str, Any] | list[Any],
        Body(description="The provider's delivery: HubSpot's array of events, or one Intercom or Standard event."),
    ],
):
    event = app.current_event
    raw = event.raw_event
    accepted = app.accepted_body  # the signature covers these bytes as sent, never a re-serialised document
    query = [
        (name, value)
        for name, values in (raw.get("multiValueQueryStringParameters") or {}).items()
        for value in values or ()
    ]
    delivery = Delivery(
        connection_id=connection_id,
        method=event.http_method,
        url=public_url(raw),
        body=accepted.raw,
        document=accepted.document,
        headers=raw.get("headers") or {},
        source_ip=event.request_context.identity.source_ip or "unknown",
        query=query,
    )
    return json_response(202, {"accepted": receive(delivery)})


lambda_handler = observed(app)
