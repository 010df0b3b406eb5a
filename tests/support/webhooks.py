"""Connections, signed deliveries and queue reads for the webhook tests (moto, in-process)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import boto3
from standardwebhooks import Webhook

from leadgate.connections import registry as registry_module
from leadgate.connections.registry import ConnectionRegistry
from leadgate.connections.secrets import default_store
from leadgate.settings import get_settings
from leadgate_admin.connections import ConnectionAdmin
from leadgate_dev.harness.events import rest_event

HOST = "abc123.execute-api.us-east-1.amazonaws.com"
STAGE = "dev"


def admin() -> ConnectionAdmin:
    return ConnectionAdmin(ConnectionRegistry.from_settings(), default_store(), f"https://{HOST}/{STAGE}")


def create(provider: str, **options) -> dict:
    registry_module.clear_cache()
    return admin().create("acme", provider, options, base_url=options.pop("base_url", None))


def hubspot_events(*contact_ids: int, first_event_id: int = 1) -> list[dict]:
    now = int(time.time() * 1000)
    return [
        {
            "eventId": first_event_id + number,
            "subscriptionId": 1,
            "portalId": 42,
            "appId": 7,
            "occurredAt": now,
            "subscriptionType": "contact.creation",
            "attemptNumber": 0,
            "objectId": contact_id,
            "changeSource": "CRM",
        }
        for number, contact_id in enumerate(contact_ids)
    ]


def hubspot_signature(secret: str, uri: str, body: bytes, timestamp_ms: int | None = None) -> dict[str, str]:
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), b"POST" + uri.encode() + body + timestamp.encode(), hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(), "X-HubSpot-Request-Timestamp": timestamp}


def standard_headers(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body.decode()),
    }


def delivery_event(connection_id: str, body: bytes, headers: dict[str, str], *, source_ip="203.0.113.9", query=None):
    """The REST proxy event API Gateway makes of a POST to the execute-api URL (stage in requestContext.path)."""
    return rest_event(
        "POST",
        f"/webhooks/{connection_id}",
        resource="/webhooks/{connection_id}",
        path_parameters={"connection_id": connection_id},
        headers={"Host": HOST, "Content-Type": "application/json", **headers},
        body=body,
        source_ip=source_ip,
        stage=STAGE,
        query=query,
    )


def url_of(connection_id: str) -> str:
    return f"https://{HOST}/{STAGE}/webhooks/{connection_id}"


def queued_messages(max_messages: int = 100) -> list[dict]:
    """Everything visible in the webhook queue (received, then made visible again)."""
    sqs = boto3.client("sqs")
    url = get_settings().webhook_queue_url
    messages: list[dict] = []
    while len(messages) < max_messages:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        if not batch:
            break
        messages += batch
    for message in messages:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return messages


def bodies(messages: list[dict]) -> list[dict]:
    return [json.loads(message["Body"]) for message in messages]
