"""A small client for the leads handler in tests: API Gateway REST events in, parsed replies out."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from leadgate_dev.harness import Reply, call
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event
from tests.support.samples import sample_event


class LeadsApi:
    """Calls `functions/leads/app.py` as one tenant's client would, through API Gateway REST events."""

    def __init__(self, tenant: str = "acme") -> None:
        self.tenant = tenant

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        event = rest_event(
            method,
            path,
            query=query,
            body=body,
            headers={"Host": "api.example.com", **(headers or {})},
            authorizer=caller_context(tenant=self.tenant, client_id=f"client-{self.tenant}"),
        )
        return self.send(event)

    def send(self, event: dict[str, Any]) -> Reply:
        return call("leads", event, budget_ms=30_000)

    def create(self, **fields: Any) -> dict[str, Any]:
        reply = self.call("POST", "/api/v1/leads", body={"first_name": "Test", **fields})
        assert reply.status == 201, reply.body
        return reply.data

    def get(self, lead_id: str) -> Reply:
        return self.call("GET", f"/api/v1/leads/{lead_id}")

    def list(self, **query: Any) -> Reply:
        return self.call("GET", "/api/v1/leads", query={name: str(value) for name, value in query.items()})

    def follow(self, url: str) -> Reply:
        """GET a link from a list response (its path and query)."""
        parts = urlsplit(url)
        return self.call("GET", parts.path, query=dict(parse_qsl(parts.query, keep_blank_values=True)))

    def pages(self, path: str = "/api/v1/leads", **query: Any) -> Iterator[Reply]:
        """Every page of a list, following links.next from the first."""
        reply = self.call("GET", path, query={name: str(value) for name, value in query.items()})
        while True:
            assert reply.status == 200, reply.body
            yield reply
            if not reply.body["links"]["next"]:
                return
            reply = self.follow(reply.body["links"]["next"])

    def every(self, path: str = "/api/v1/leads", **query: Any) -> list[str]:
        """The ids of every lead (or inquiry) a client following links.next receives, in order."""
        return [record["id"] for page in self.pages(path, **query) for record in page.data]


def leads_event(case: str, lead_id: str | None = None, tenant: str | None = None) -> dict[str, Any]:
    """A sample event from events/leads/, aimed at `lead_id` and `tenant` when given."""
    event = copy.deepcopy(sample_event("leads", case))
    if lead_id:
        sample_id = event["pathParameters"]["id"]
        event["path"] = event["path"].replace(sample_id, lead_id)
        event["requestContext"]["path"] = event["requestContext"]["path"].replace(sample_id, lead_id)
        event["pathParameters"]["id"] = lead_id
    if tenant:
        event["requestContext"]["authorizer"] = caller_context(tenant=tenant, client_id=f"client-{tenant}")
    return event


START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
