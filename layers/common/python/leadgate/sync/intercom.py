"""Intercom pull: contacts (users and leads) updated since the checkpoint, oldest change first.

`POST {base_url}/contacts/search` (API version pinned with `Intercom-Version`, bearer access token):

    {"query": {"field": "updated_at", "operator": ">", "value": changed_from(since)},
     "sort": {"field": "updated_at", "order": "ascending"},
     "pagination": {"per_page": 150, "starting_after": cursor}}

Checkpoint: `{"since": S, "cursor": C, "max_seen": M}`. A walk keeps its `since` and follows Intercom's
cursor (`pages.next.starting_after`); a run cut off mid-walk resumes with the cursor, and a cursor Intercom
no longer accepts (400) restarts the walk from `since`. When the walk ends, the next one has `since = M`,
the latest change seen. Intercom matches timestamps by UTC day, not by second (`> T` means "from the day
after T's"; there is no `>=`), so a walk asks for everything changed from the start of `since`'s day: the
contacts of that day already taken are fetched again, and their content hash makes them cost no write.
Rate limits: `X-RateLimit-Remaining` / `X-RateLimit-Reset` (Unix seconds) are honoured.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from leadgate.clock import Budget
from leadgate.integrations.errors import AuthenticationFailed
from leadgate.integrations.transport import INTERCOM_RATE_LIMIT, Transport
from leadgate.sync.connector import Checkpoint, ConnectorConfig, ConnectorError, Page, Record

DEFAULT_BASE_URL = "https://api.intercom.io"
API_VERSION = "2.11"
DEFAULT_PAGE_SIZE = 150  # Intercom's maximum per_page for search
DAY_SECONDS = 86_400


def transport(**options: Any) -> Transport:
    """Intercom's HTTP client for one run (options: the transport's clock, sleep, timeouts, retry bounds)."""
    return Transport.for_run("intercom", rate_limit_headers=INTERCOM_RATE_LIMIT, **options)


class IntercomConnector:
    def __init__(self, config: ConnectorConfig, http: Transport | None = None) -> None:
        token = config.secrets.get("access_token")
        if not token:
            raise ConnectorError("The Intercom connection has no access token.")
        self.config = config
        self.base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.page_size = int(config.settings.get("page_size", DEFAULT_PAGE_SIZE))
        self.http = http or transport()
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Intercom-Version": API_VERSION,
        }

    def fetch_changes(self, checkpoint: Checkpoint | None, budget: Budget) -> Iterator[Page]:
        since = int((checkpoint or {}).get("since", 0))
        cursor = (checkpoint or {}).get("cursor")
        max_seen = int((checkpoint or {}).get("max_seen", since))
        while True:
            answer = self._search(since, cursor, budget)
            if answer is None:  # the saved cursor has expired: walk again from `since`
                cursor = None
                continue
            contacts = answer.get("data") or []
            records = [to_record(contact) for contact in contacts]
            max_seen = max([max_seen, *(int(contact.get("updated_at") or 0) for contact in contacts)])
            cursor = ((answer.get("pages") or {}).get("next") or {}).get("starting_after")
            if cursor:
                yield Page(records, {"since": since, "cursor": cursor, "max_seen": max_seen}, has_more=True)
                continue
            yield Page(records, {"since": max(since, max_seen), "max_seen": max_seen}, has_more=False)
            return

    def _search(self, since: int, cursor: str | None, budget: Budget) -> dict[str, Any] | None:
        pagination: dict[str, Any] = {"per_page": self.page_size}
        if cursor:
            pagination["starting_after"] = cursor
        body = {
            "query": {"field": "updated_at", "operator": ">", "value": changed_from(since)},
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": pagination,
        }
        response = self.http.post(f"{self.base_url}/contacts/search", json=body, headers=self._headers, budget=budget)
        if response.status_code == 200:
            return response.json()
        if response.status_code == 401:
            raise AuthenticationFailed("Intercom refused the access token (401).", status=401)
        if response.status_code == 400 and cursor:
            return None
        raise ConnectorError(f"Intercom answered {response.status_code} to the contact search.")


def changed_from(since: int) -> int:
    """The `>` value that makes Intercom's day-granular search start at the first second of `since`'s UTC day:
    a second of the day before (0, the epoch, for a first walk)."""
    return max(0, since - since % DAY_SECONDS - 1)


def to_record(contact: Mapping[str, Any]) -> Record:
    """An Intercom contact as lead fields. `name` is one free-form string, kept as the display name."""
    fields: dict[str, Any] = {}
    for ours, theirs in (("display_name", "name"), ("email", "email"), ("phone", "phone")):
        if contact.get(theirs):
            fields[ours] = contact[theirs]
    if contact.get("role"):
        fields["custom_fields"] = {"intercom_role": contact["role"]}
    updated = contact.get("updated_at")
    return Record(
        external_id=str(contact["id"]),
        fields=fields,
        payload=dict(contact),
        updated_at=datetime.fromtimestamp(int(updated), UTC).isoformat() if updated else None,
    )
