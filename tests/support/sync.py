"""Helpers for the sync tests: connection configs against the fakes, and what leadgate holds afterwards."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from leadgate import aws
from leadgate.settings import get_settings
from leadgate.sync import intercom as intercom_api
from leadgate.sync.apply import RecordResult, apply_page
from leadgate.sync.connector import ConnectorConfig, Record


def intercom_config(url: str, *, tenant: str = "acme", connection: str = "conn-intercom", page_size: int = 2):
    return ConnectorConfig(
        tenant_id=tenant,
        connection_id=connection,
        provider="intercom",
        base_url=url,
        settings={"page_size": page_size},
        secrets={"access_token": "intercom-token"},
    )


def intercom(config: ConnectorConfig, **http: Any) -> intercom_api.IntercomConnector:
    """The connector with its transport's sleeps recorded instead of slept (`connector.sleeps`)."""
    sleeps: list[float] = []
    options = {"sleep": sleeps.append, **http}
    connector = intercom_api.IntercomConnector(config, http=intercom_api.transport(**options))
    connector.sleeps = sleeps  # type: ignore[attr-defined]
    return connector


def leads_of(tenant: str) -> list[dict[str, Any]]:
    """Every lead item of a tenant (a test-only Query of its LEAD# items)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "TableName": get_settings().leads_table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :lead)",
        "ExpressionAttributeValues": {":pk": {"S": f"T#{tenant}"}, ":lead": {"S": "LEAD#"}},
    }
    while True:
        page = aws.dynamodb().query(**params)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def inquiries_of(tenant: str, lead_id: str) -> list[dict[str, Any]]:
    page = aws.dynamodb().query(
        TableName=get_settings().leads_table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :inq)",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant}"}, ":inq": {"S": f"INQ#{lead_id}#"}},
    )
    return page["Items"]


def by_email(tenant: str) -> dict[str, dict[str, Any]]:
    return {lead["email"]["S"]: lead for lead in leads_of(tenant) if "email" in lead}


def text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value.get("S") if value else None


def payload(inquiry: dict[str, Any]) -> Any:
    raw = inquiry["payload"]
    return json.loads(raw["S"]) if "S" in raw else raw


class PageHook:
    """An `apply` that applies each page, then runs `after(page_number)`: a clock moving on, or a crash."""

    def __init__(self, after: Callable[[int], None]) -> None:
        self.after = after
        self.pages = 0

    def __call__(self, config: ConnectorConfig, records: Sequence[Record]) -> list[RecordResult]:
        results = apply_page(config, records)
        self.pages += 1
        self.after(self.pages)
        return results
