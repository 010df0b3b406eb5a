"""Idempotency keys on creating requests, with the IETF draft's and Stripe's semantics, on Powertools' utility.

- A key is scoped to the calling client (`client_id` + the key), across every function.
- The same key and request returns the stored answer (marked `replayed`) and runs nothing; the same key with
  another request is `IdempotencyKeyReused`; while the first request runs, `IdempotencyInProgress` (retry
  after `RETRY_AFTER_SECONDS`).
- Only successful answers are kept. A request that fails raised before writing anything, and Powertools
  deletes its in-progress record, so the client may retry it with the same key.
- Records live in IDEMPOTENCY_TABLE for `EXPIRES_AFTER_SECONDS` (24 h).

The edge (`leadgate.api`'s `@idempotent`) reads the header and turns answers into responses; this module keeps
them. The Powertools utility (and its boto3 import) is loaded on first use, so requests without a key, and
functions that never take one, don't pay for it at import.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from leadgate import aws, errors
from leadgate.settings import get_settings

EXPIRES_AFTER_SECONDS = 24 * 60 * 60
RETRY_AFTER_SECONDS = 1
# One prefix for every function, so a client's key means one request whichever function serves it.
KEY_PREFIX = "leadgate"

Answer = dict[str, Any]  # what is kept of an answer: JSON-serialisable


def run_once(
    client_id: str, key: str, request: dict[str, Any], produce: Callable[[], Answer], *, lambda_context: Any = None
) -> tuple[Answer, bool]:
    """`produce()`'s answer, produced at most once per (client, key), and whether it is a replay.

    `request` is what makes two requests "the same" (JSON); `lambda_context` bounds an in-progress record's life
    by the invocation's deadline."""
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
    if hasattr(lambda_context, "get_remaining_time_in_millis"):
        # An in-progress record outlives a crashed invocation only until the invocation's own deadline.
        config.register_lambda_context(lambda_context)

    @idempotent_function(
        data_keyword_argument="request", persistence_store=_persistence_store(), config=config, key_prefix=KEY_PREFIX
    )
    def produce_once(request: dict[str, Any]) -> dict[str, Any]:
        return {"answer": produce()}

    try:
        kept = produce_once(request={"key": f"{client_id}\n{key}", "request": request})
    except IdempotencyValidationError as exc:
        raise errors.IdempotencyKeyReused() from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise errors.IdempotencyInProgress(retry_after=RETRY_AFTER_SECONDS) from exc
    return kept["answer"], bool(kept.get("replayed"))


def _mark_replayed(kept: dict[str, Any], _record: Any) -> dict[str, Any]:
    return {**kept, "replayed": True}


def _persistence_store() -> Any:
    return _store_for(get_settings().idempotency_table, aws.dynamodb())


@lru_cache(maxsize=4)
def _store_for(table: str, client: Any) -> Any:
    """One persistence layer per table and client (tests and the local stack switch clients)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table, boto3_client=client)
