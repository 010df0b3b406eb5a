"""HubSpot's CRM v3 API for one connection: OAuth (or private-app) tokens, bounded retries, contacts.

docs/integrations-hubspot.md has the endpoints, the property mapping and how they differ from the old
reference document (v1 contacts, API keys).

- **Tokens.** A private-app token is used as is. OAuth: an access token comes from the refresh token
  (`POST /oauth/v1/token`, grant_type=refresh_token), lives `expires_in` seconds (30 minutes today) and is
  refreshed REFRESH_MARGIN_SECONDS before it expires, and once more on a 401. Every refresh hands the new
  tokens to `on_tokens` before they are used, so that a rotated refresh token is stored before the old one
  is dropped; it answers the tokens to use (another writer's, when that one stored first:
  `leadgate.integrations.clients.TokenStore`).
- **Transport**: every call, the token refresh included, goes through `leadgate.integrations.transport`
  (retries, `Retry-After`, HubSpot's rate-limit headers, at most `max_attempts` attempts within the caller's
  budget, else `time_budget` seconds, and never past the invocation's deadline). Throttling and failures
  past that are TransientError (the caller's queue or run retries later); other 4xx are PermanentError,
  404 `ProviderNotFound`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from leadgate.clock import Budget, Clock, timestamp
from leadgate.integrations.errors import AuthenticationFailed, PermanentError, ProviderNotFound
from leadgate.integrations.transport import DEFAULT_TIMEOUT, HUBSPOT_RATE_LIMIT, Transport

DEFAULT_BASE_URL = "https://api.hubapi.com"
TOKEN_PATH = "/oauth/v1/token"
CONTACTS_PATH = "/crm/v3/objects/contacts"
# The contact properties we map to lead fields (leadgate.integrations.contacts) or keep as custom fields.
CONTACT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "phone",
    "mobilephone",
    "company",
    "jobtitle",
    "zip",
    "state",
    "city",
    "address",
    "lifecyclestage",
    "hs_lead_status",
    "lastmodifieddate",
)
REFRESH_MARGIN_SECONDS = 300
MAX_BATCH_INPUTS = 100
MAX_SEARCH_LIMIT = 200


class HubSpotCredentials(BaseModel):
    """What the connection's secret holds: a private-app `access_token`, or OAuth's client and refresh token."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    access_token: SecretStr | None = None  # without a refresh token: a private app's, never expires or refreshed

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> HubSpotCredentials:
        complete_oauth = self.client_id and self.client_secret and self.refresh_token
        if (self.refresh_token and not complete_oauth) or not (complete_oauth or self.access_token):
            raise ValueError("HubSpot needs a private-app access_token, or client_id, client_secret and refresh_token")
        return self

    @property
    def oauth(self) -> bool:
        """OAuth when there is a refresh token: a stored secret then also holds the cached OAuth access token
        (`access_token`, `access_token_expires_at`, written by whoever refreshed last), not a private app's."""
        return self.refresh_token is not None


class OAuthTokens(BaseModel):
    """One refresh's result. `expires_at` is Unix seconds."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr
    expires_at: float


TokensCallback = Callable[[OAuthTokens], OAuthTokens]


@dataclass(frozen=True)
class Contact:
    """A CRM v3 contact: its id, properties (strings or None) and when HubSpot last changed it."""

    id: str
    properties: Mapping[str, str | None]
    updated_at: str | None = None
    archived: bool = False

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Contact:
        return cls(
            id=str(body["id"]),
            properties=dict(body.get("properties") or {}),
            updated_at=body.get("updatedAt"),
            archived=bool(body.get("archived", False)),
        )


@dataclass(frozen=True)
class SearchPage:
    contacts: list[Contact]
    after: str | None  # the cursor of the next page; None at the end
    total: int


@dataclass(frozen=True)
class UpsertResult:
    contact: Contact
    created: bool


class HubSpotClient:
    """One connection's HubSpot API client. Thread-safe; keep one per connection while warm."""

    def __init__(
        self,
        credentials: HubSpotCredentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        on_tokens: TokensCallback | None = None,
        tokens: OAuthTokens | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = 3,
        time_budget: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = timestamp,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.on_tokens = on_tokens
        self.tokens = tokens  # the current OAuth tokens (a cached access token may be handed in)
        self.clock = clock
        self.transport = Transport(
            "HubSpot",
            session=session,
            timeout=timeout,
            max_attempts=max_attempts,
            call_seconds=time_budget,
            rate_limit_headers=HUBSPOT_RATE_LIMIT,
            clock=clock,
            sleep=sleep,
        )
        self._refresh_lock = threading.Lock()

    # ------------------------------------------------------------------ API

    def get_contact(
        self,
        contact_id: str | int,
        properties: Sequence[str] = CONTACT_PROPERTIES,
        *,
        budget: Budget | None = None,
    ) -> Contact:
        """GET /crm/v3/objects/contacts/{id}: ProviderNotFound when HubSpot has no such (live) contact."""
        path = f"{CONTACTS_PATH}/{quote(str(contact_id), safe='')}"
        query = {"properties": ",".join(properties), "archived": "false"}
        response = self._call("GET", path, budget, params=query)
        return Contact.from_api(response.json())

    def search_contacts_modified_since(
        self,
        after_ts: datetime,
        after_cursor: str | None = None,
        limit: int = 100,
        properties: Sequence[str] = CONTACT_PROPERTIES,
        *,
        budget: Budget | None = None,
    ) -> SearchPage:
        """POST /crm/v3/objects/contacts/search: contacts with lastmodifieddate >= `after_ts`, oldest change
        first, `limit` per page (at most 200), paged by `after`. HubSpot stops at 10,000 results per query:
        a caller re-anchors `after_ts` on the last modified date it saw."""
        body: dict[str, Any] = {
            "filterGroups": [
                {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": _millis(after_ts)}]}
            ],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": min(limit, MAX_SEARCH_LIMIT),
        }
        if after_cursor:
            body["after"] = after_cursor
        answer = self._call("POST", f"{CONTACTS_PATH}/search", budget, json=body).json()
        cursor = ((answer.get("paging") or {}).get("next") or {}).get("after")
        return SearchPage(
            [Contact.from_api(item) for item in answer.get("results", [])], cursor, answer.get("total", 0)
        )

    def batch_upsert_by_email(
        self, inputs: Sequence[Mapping[str, Any]], *, budget: Budget | None = None
    ) -> list[UpsertResult]:
        """POST /crm/v3/objects/contacts/batch/upsert with idProperty=email: each input is a contact's
        properties (with `email`); up to 100 per call. Creates or updates each contact by its email."""
        if len(inputs) > MAX_BATCH_INPUTS:
            raise ValueError(f"at most {MAX_BATCH_INPUTS} contacts per batch")
        body = {
            "inputs": [
                {"idProperty": "email", "id": properties["email"], "properties": dict(properties)}
                for properties in inputs
            ]
        }
        answer = self._call("POST", f"{CONTACTS_PATH}/batch/upsert", budget, json=body).json()
        return [UpsertResult(Contact.from_api(item), bool(item.get("new"))) for item in answer.get("results", [])]

    def gdpr_delete_contact(self, contact_id: str | int, *, budget: Budget | None = None) -> None:
        """POST /crm/v3/objects/contacts/gdpr-delete: the contact deleted for good (HubSpot also blocklists its
        email). ProviderNotFound when HubSpot has no such contact."""
        self._call("POST", f"{CONTACTS_PATH}/gdpr-delete", budget, json={"objectId": str(contact_id)})

    # ------------------------------------------------------------------ calls

    def _call(self, method: str, path: str, budget: Budget | None, **kwargs: Any) -> requests.Response:
        """One API call through the transport, the response when 2xx. A 401 refreshes an OAuth token once."""
        if budget is None:  # one budget for the call and its refresh: together they may not outrun it
            budget = Budget(self.clock, self.transport.call_seconds)
        response = self._send(method, path, self._access_token(budget), budget, **kwargs)
        if response.status_code == 401 and self.credentials.oauth:
            response = self._send(method, path, self._refresh(rejected=self.tokens, budget=budget), budget, **kwargs)
        if response.status_code == 401:
            raise AuthenticationFailed(
                f"HubSpot refused the connection's credentials: {_message(response)}", status=401
            )
        if response.status_code == 404:
            raise ProviderNotFound(f"HubSpot {method} {path}: not found", status=404)
        if response.status_code >= 400:
            raise PermanentError(
                f"HubSpot {method} {path}: {response.status_code} {_message(response)}", status=response.status_code
            )
        return response

    def _send(self, method: str, path: str, token: str, budget: Budget, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return self.transport.request(method, self.base_url + path, budget=budget, headers=headers, **kwargs)

    # ------------------------------------------------------------------ tokens

    def _access_token(self, budget: Budget) -> str:
        if not self.credentials.oauth:
            return self.credentials.access_token.get_secret_value()  # type: ignore[union-attr]
        tokens = self.tokens
        if tokens is not None and tokens.expires_at - REFRESH_MARGIN_SECONDS > self.clock():
            return tokens.access_token.get_secret_value()
        return self._refresh(rejected=tokens, budget=budget)

    def _refresh(self, *, rejected: OAuthTokens | None, budget: Budget) -> str:
        """A new access token; `rejected` is the token found wanting (a concurrent refresh may have replaced
        it already, and then its result is used)."""
        with self._refresh_lock:
            if self.tokens is not None and self.tokens is not rejected:
                return self.tokens.access_token.get_secret_value()
            current = self.tokens.refresh_token if self.tokens else self.credentials.refresh_token
            form = {
                "grant_type": "refresh_token",
                "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret.get_secret_value(),  # type: ignore[union-attr]
                "refresh_token": current.get_secret_value(),  # type: ignore[union-attr]
            }
            response = self.transport.request("POST", self.base_url + TOKEN_PATH, budget=budget, data=form)
            if response.status_code != 200:
                raise AuthenticationFailed(
                    f"HubSpot refused the refresh token: {_message(response)}", status=response.status_code
                )
            answer = response.json()
            tokens = OAuthTokens(
                access_token=answer["access_token"],
                refresh_token=answer.get("refresh_token") or current,
                expires_at=self.clock() + float(answer.get("expires_in", 1800)),
            )
            if self.on_tokens is not None:  # stored before use: a rotated refresh token is never lost
                tokens = self.on_tokens(tokens)
            self.tokens = tokens
            return tokens.access_token.get_secret_value()


def _millis(moment: datetime) -> str:
    return str(round(moment.astimezone(UTC).timestamp() * 1000))  # round: float seconds lose the last ms


def _message(response: requests.Response) -> str:
    """HubSpot's error message (its JSON `message`, or OAuth's `error_description`), never a token."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error_description") or body.get("error") or "")[:300]
    return ""
