"""`Idempotency-Key` on creating POSTs, with the IETF draft's and Stripe's semantics, on Powertools.

- The key is scoped to the calling client (`client_id` + the header), across every function.
- The same key and request replays the stored status, body and headers with `Idempotent-Replayed: true`
  and runs nothing; the same key with another request (method, path, query, JSON body) is a 422
  IDEMPOTENCY_KEY_REUSED; while the first request runs, 409 IDEMPOTENCY_IN_PROGRESS with `Retry-After`.
- Only successful responses are kept. A request that fails raised before writing anything, and Powertools
  deletes its in-progress record, so the client may retry it with the same key.
- Records live in IDEMPOTENCY_TABLE for `EXPIRES_AFTER_SECONDS` (24 h).

The Powertools utility (and its boto3 import) is loaded on first use, so paths without the header, and
functions that never take one, don't pay for it at import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from leadgate import aws, errors
from leadgate.settings import get_settings

if TYPE_CHECKING:
    from leadgate.api import LeadgateResolver

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
EXPIRES_AFTER_SECONDS = 24 * 60 * 60
RETRY_AFTER_SECONDS = 1
# One prefix for every function, so a client's key means one request whichever function serves it.
KEY_PREFIX = "leadgate"

# The key's one rule, checked where handlers declare the header: 1 to 255 printable ASCII characters, not
# starting or ending with a space, bare or in the IETF sf-string's quotes (`"abc"` is the key `abc`).
KEY_PATTERN = r'^(?:[!#-~](?:[ -~]{0,253}[!-~])?|"[ -~]{1,255}")$'
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        pattern=KEY_PATTERN,
        description="Makes the request safe to retry: the same key and request replay the first answer.",
    ),
]


class IdempotencyKeyReused(errors.ApiError):
    status, code = 422, "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was already used with a different request."


class IdempotencyInProgress(errors.ApiError):
    status, code = 409, "IDEMPOTENCY_IN_PROGRESS"
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."


def idempotent_response(app: LeadgateResolver, header: str | None, handler: Callable[[], Response]) -> Response:
    """`handler()`'s response, run at most once per (client, key); without the header (`None`), just run.

    `header` is the declared `IdempotencyKey` parameter, so it already matches KEY_PATTERN."""
    if header is None:
        return handler()
    key = header[1:-1] if header.startswith('"') else header
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        response_hook=_mark_replayed,
    )
    if hasattr(app.lambda_context, "get_remaining_time_in_millis"):
        # An in-progress record outlives a crashed invocation only until the invocation's own deadline.
        config.register_lambda_context(app.lambda_context)

    @idempotent_function(
        data_keyword_argument="request", persistence_store=_persistence_store(), config=config, key_prefix=KEY_PREFIX
    )
    def run_once(request: dict[str, Any]) -> dict[str, Any]:
        return _stored(handler())

    try:
        stored = run_once(request={"key": f"{app.caller.client_id}\n{key}", "request": _fingerprint(app)})
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused() from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyInProgress(headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from exc
    return _restored(stored)


def _fingerprint(app: LeadgateResolver) -> dict[str, Any]:
    """What makes two requests "the same": method, path, query and the JSON body (whitespace aside)."""
    event = app.current_event
    body = event.decoded_body or ""
    try:
        content: Any = json.loads(body)
    except ValueError:
        content = body
    query = event.multi_value_query_string_parameters or {}
    return {
        "method": event.http_method,
        "path": event.path,
        "query": {name: sorted(values) for name, values in sorted(query.items())},
        "body": content,
    }


def _stored(response: Response) -> dict[str, Any]:
    return {"status": response.status_code, "headers": dict(response.headers), "body": response.body or ""}


def _restored(stored: dict[str, Any]) -> Response:
    return Response(status_code=stored["status"], body=stored["body"], headers=dict(stored["headers"]))


def _mark_replayed(stored: dict[str, Any], _record: Any) -> dict[str, Any]:
    return {**stored, "headers": {**stored["headers"], REPLAYED_HEADER: "true"}}


def _persistence_store() -> Any:
    return _store_for(get_settings().idempotency_table, aws.dynamodb())


@lru_cache(maxsize=4)
def _store_for(table: str, client: Any) -> Any:
    """One persistence layer per table and client (tests and the local stack switch clients)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table, boto3_client=client)
