"""HubSpot, both ways: pull contacts changed since the checkpoint, push leads changed in leadgate.

The connector talks through `leadgate.integrations.hubspot.HubSpotClient` (its OAuth refresh before expiry
and on 401, rotated refresh tokens handed to `on_tokens`, private-app tokens), built by
`leadgate.integrations.clients`; every call goes through the one outbound transport with the run's budget,
and its errors (`leadgate.integrations.errors`) reach the engine as they are.

**Pull** (`fetch_changes`): CRM v3 search, `lastmodifieddate GTE since`, ascending, paged with `after`.
Checkpoint `{"since": ms, "after": cursor, "walked": n, "max_ms": ms, "boundary": [ids]}`. HubSpot answers at
most 10,000 results per query, so before a page would cross that cap the walk re-anchors: `since` becomes
the last modified time seen (`max_ms`) and the cursor is dropped. GTE fetches the contacts at that very
millisecond again; those already taken (`boundary`: the ids seen at `max_ms`) are left out. A finished walk
re-anchors the same way, so the next run starts at the last change seen.

**Push** (`push`): v3 batch upsert with `idProperty=email` (up to 100 a call): one call creates or updates
each contact by its email and answers its id; v1's createOrUpdate did one contact per call and is sunset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from leadgate.clock import Budget
from leadgate.connections.secrets import ConnectionSecrets
from leadgate.integrations import clients
from leadgate.integrations import hubspot as api
from leadgate.integrations.contacts import hubspot_fields
from leadgate.leads.records import StoredLead
from leadgate.sync.connector import Checkpoint, ConnectorConfig, ConnectorError, Page, PushResult, Record

PROVIDER = "hubspot"
DEFAULT_PAGE_SIZE = 100
MAX_BOUNDARY_IDS = 1000  # contacts sharing the last millisecond seen; beyond, the content hash absorbs repeats
# lead field -> HubSpot property, for the push.
PUSHED_PROPERTIES = {
    "email": "email",
    "first_name": "firstname",
    "last_name": "lastname",
    "phone": "phone",
    "company": "company",
}


class HubSpotConnector:
    def __init__(self, config: ConnectorConfig, client: api.HubSpotClient | None = None) -> None:
        """`client` defaults to one built from the config's secrets alone (tools and tests: refreshed tokens are
        then kept in memory only)."""
        self.config = config
        self.page_size = min(int(config.settings.get("page_size", DEFAULT_PAGE_SIZE)), api.MAX_SEARCH_LIMIT)
        self.search_cap = int(config.settings.get("search_cap", 10_000))
        self.client = client or clients.hubspot_client(
            config.base_url, ConnectionSecrets.model_validate(dict(config.secrets))
        )

    # ------------------------------------------------------------------ pull

    def fetch_changes(self, checkpoint: Checkpoint | None, budget: Budget) -> Iterator[Page]:
        state = dict(checkpoint or {})
        since = int(state.get("since", 0))
        cursor = state.get("after")
        walked = int(state.get("walked", 0))
        max_ms = int(state.get("max_ms", since))
        boundary = set(state.get("boundary", []))
        while True:
            if cursor and walked + self.page_size > self.search_cap:  # the next page would pass the cap
                if max_ms == since:
                    raise ConnectorError("More contacts than HubSpot's search cap share one lastmodifieddate.")
                since, cursor, walked = max_ms, None, 0
            page = self.client.search_contacts_modified_since(_moment(since), cursor, self.page_size, budget=budget)
            records = []
            for contact in page.contacts:
                modified = _modified_ms(contact)
                if modified == max_ms and contact.id in boundary:
                    continue  # taken at the previous anchor
                if modified > max_ms:
                    max_ms, boundary = modified, set()
                if modified == max_ms and len(boundary) < MAX_BOUNDARY_IDS:
                    boundary.add(contact.id)
                records.append(to_record(contact))
            walked += len(page.contacts)
            cursor = page.after
            more = cursor is not None
            if not more:
                since, walked = max_ms, 0
            yield Page(
                records,
                {"since": since, "after": cursor, "walked": walked, "max_ms": max_ms, "boundary": sorted(boundary)},
                has_more=more,
            )
            if not more:
                return

    # ------------------------------------------------------------------ push

    def push(self, leads: Sequence[StoredLead], budget: Budget) -> list[PushResult]:
        """Each lead with an email, upserted by that email; a lead without one cannot be matched in HubSpot
        and is refused here (not sent)."""
        results = [PushResult(lead.id, error="NO_EMAIL") for lead in leads if not lead.data.email]
        sendable = [lead for lead in leads if lead.data.email]
        for start in range(0, len(sendable), api.MAX_BATCH_INPUTS):
            batch = sendable[start : start + api.MAX_BATCH_INPUTS]
            by_email = {lead.data.email.lower(): lead for lead in batch if lead.data.email}
            answers = self.client.batch_upsert_by_email([contact_properties(lead) for lead in batch], budget=budget)
            answered = {}
            for answer in answers:
                email = (answer.contact.properties.get("email") or "").lower()
                if email in by_email:
                    answered[by_email[email].id] = answer.contact.id
            results += [
                PushResult(
                    lead.id, external_id=answered.get(lead.id), error=None if lead.id in answered else "NO_ANSWER"
                )
                for lead in batch
            ]
        return results


def to_record(contact: api.Contact) -> Record:
    return Record(
        external_id=contact.id,
        fields=hubspot_fields(contact.properties),
        payload={"id": contact.id, "properties": dict(contact.properties), "updatedAt": contact.updated_at},
        updated_at=_iso(_modified_ms(contact)),
    )


def contact_properties(lead: StoredLead) -> dict[str, str]:
    values = lead.data.model_dump(include=set(PUSHED_PROPERTIES))
    return {PUSHED_PROPERTIES[name]: str(value) for name, value in values.items() if value not in (None, "")}


def _modified_ms(contact: api.Contact) -> int:
    raw = contact.properties.get("lastmodifieddate") or contact.updated_at
    if not raw:
        return 0
    if raw.isdigit():
        return int(raw)
    return round(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() * 1000)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=(ms % 1000) * 1000)


def _iso(ms: int) -> str | None:
    return _moment(ms).isoformat(timespec="milliseconds") if ms else None
