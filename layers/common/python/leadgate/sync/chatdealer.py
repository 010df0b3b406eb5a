"""Chat Dealer pull: visitors by date window (the reference: chatdealer-api-spec.ja.txt).

`POST https://{domain}/api/v1/visitor/get` with `X-CD-apitoken` and
`{"limit": N, "offset": O, "search": {"dateFrom": "yyyy/mm/dd", "dateTo": "yyyy/mm/dd"}}` (offset starts
at 1). The answer's envelope: `status` ("success"), `code` (the HTTP status, as a string), `count` (a
string), `items`; an error carries `errors: {code, msg, description}`:

| errors.code | meaning | here |
| --- | --- | --- |
| 1 (HTTP 401) | token refused | `AuthenticationFailed`: the run fails |
| 6 (HTTP 429) | over 60 requests a minute | retried (the transport), after the limiter already paced us |
| 200 (HTTP 400) | no data in the window | an empty page: the window is done |
| 999 / HTTP 500, 503 | internal error, maintenance | retried with backoff |
| 2, 3, 4, 5, 7, 8, 100, 201 | not contracted, bad URL, forbidden, too large, IP refused, input | the run fails |

There is no modified-since filter. A checkpoint is either a window in progress
(`{"window": [from, to], "offset": O}`) or the date the next window starts (`{"next_from": D}`); each
window runs from the day the previous one ended to today (Japan time), so consecutive windows overlap by
one day and dedup (the content hash) absorbs the overlap. Item keys are configured per environment: the
connection's field map (`leadgate.connections.models.ChatDealerFieldMap`) names them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from leadgate import normalize
from leadgate.clock import Budget, Clock, timestamp
from leadgate.connections.models import CUSTOM_FIELD_PREFIX, ChatDealerFieldMap
from leadgate.integrations.errors import AuthenticationFailed
from leadgate.integrations.transport import Transport
from leadgate.sync.connector import (
    Checkpoint,
    ConnectorConfig,
    ConnectorError,
    Page,
    Record,
)
from leadgate.sync.limiter import limiter_for

JST = timezone(timedelta(hours=9))
DATE_FORMAT = "%Y/%m/%d"
REQUESTS_PER_MINUTE = 60
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 15_000
DEFAULT_INITIAL_DAYS = 30
NO_DATA = "200"
UNAUTHORIZED = "1"

# A full name and the two lead fields it is split into (family first); a part mapped on its own wins.
SPLIT_NAMES = {"name": ("last_name", "first_name"), "name_kana": ("last_name_kana", "first_name_kana")}
# Mapped names that are not lead fields as they are: the record's key and time, and the full names.
NOT_LEAD_FIELDS = frozenset({"external_id", "updated_at", *SPLIT_NAMES})
ACTIVITY_FORMATS = ("%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


class ChatDealerConnector:
    def __init__(self, config: ConnectorConfig, http: Transport | None = None, clock: Clock = timestamp) -> None:
        token = config.secrets.get("api_token")
        domain = config.settings.get("domain")
        if not token or not domain:
            raise ConnectorError("The Chat Dealer connection needs a domain and an API token.")
        self.config = config
        self.clock = clock
        self.base_url = (config.base_url or f"https://{domain}").rstrip("/")
        self.item_keys = item_keys(config.settings.get("field_map") or {})
        self.page_size = max(1, min(int(config.settings.get("page_size", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE))
        self.initial_days = int(config.settings.get("initial_days", DEFAULT_INITIAL_DAYS))
        limiter = limiter_for(domain, REQUESTS_PER_MINUTE)
        self.http = http or Transport.for_run("chatdealer", clock=clock, before_request=limiter.acquire)
        self._headers = {"Content-Type": "application/json", "X-CD-apitoken": token}

    def fetch_changes(self, checkpoint: Checkpoint | None, budget: Budget) -> Iterator[Page]:
        today = datetime.fromtimestamp(self.clock(), JST).date()
        checkpoint = checkpoint or {}
        if "window" in checkpoint:
            date_from, date_to = (_date(value) for value in checkpoint["window"])
            offset = int(checkpoint["offset"])
        else:
            start = checkpoint.get("next_from")
            date_from = min(_date(start), today) if start else today - timedelta(days=self.initial_days)
            date_to, offset = today, 1
        while True:
            items = self._visitors(date_from, date_to, offset, budget)
            records = [to_record(item, self.item_keys) for item in items]
            if len(items) < self.page_size:
                yield Page(records, {"next_from": _text(date_to)}, has_more=False)
                return
            offset += len(items)
            yield Page(records, {"window": [_text(date_from), _text(date_to)], "offset": offset}, has_more=True)

    def _visitors(self, date_from: date, date_to: date, offset: int, budget: Budget) -> list[dict[str, Any]]:
        body = {
            "limit": self.page_size,
            "offset": offset,
            "search": {"dateFrom": _text(date_from), "dateTo": _text(date_to)},
        }
        response = self.http.post(
            f"{self.base_url}/api/v1/visitor/get", json=body, headers=self._headers, budget=budget
        )
        try:
            answer = response.json()
        except ValueError as exc:
            raise ConnectorError(f"Chat Dealer answered {response.status_code} without JSON.") from exc
        if not isinstance(answer, dict):
            raise ConnectorError(f"Chat Dealer answered {response.status_code} with JSON that is not an object.")
        error = answer.get("errors")
        if response.status_code == 200 and answer.get("status") == "success" and not error:
            items = answer.get("items") or []
            if not isinstance(items, list):
                raise ConnectorError("Chat Dealer's items are not a list.")
            return items
        code = str((error or {}).get("code", ""))
        if code == NO_DATA:
            return []
        if response.status_code == 401 or code == UNAUTHORIZED:
            raise AuthenticationFailed("Chat Dealer refused the API token (401, errors.code 1).", status=401)
        message = (error or {}).get("msg", "")
        raise ConnectorError(f"Chat Dealer answered {response.status_code}, errors.code {code or '-'}: {message}")


def item_keys(configured: Mapping[str, str]) -> dict[str, str]:
    """Our name -> the item key, for every name the connector reads, by the connection's field map."""
    try:
        return ChatDealerFieldMap.model_validate(configured).item_keys()
    except ValidationError as exc:
        reasons = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise ConnectorError(f"The Chat Dealer field_map is invalid: {reasons}.") from exc


def to_record(item: Mapping[str, Any], keys: Mapping[str, str]) -> Record:
    """An item as lead fields, by the environment's item keys. Values come as strings, often padded."""
    values = {name: text for name, key in keys.items() if (text := _trimmed(item.get(key)))}
    fields: dict[str, Any] = {}
    for name, text in values.items():
        if name.startswith(CUSTOM_FIELD_PREFIX):
            fields.setdefault("custom_fields", {})[name.removeprefix(CUSTOM_FIELD_PREFIX)] = text
        elif name not in NOT_LEAD_FIELDS:
            fields[name] = text
    for whole, parts in SPLIT_NAMES.items():
        if whole in values:
            for part, text in zip(parts, normalize.split_name(values[whole]), strict=True):
                if text is not None:
                    fields.setdefault(part, text)
    if "name" in values:
        fields.setdefault("display_name", values["name"])
    return Record(
        external_id=values.get("external_id") or _identity_id(fields, item),
        fields=fields,
        payload=dict(item),
        updated_at=_last_activity(values.get("updated_at")),
    )


def _trimmed(raw: Any) -> str | None:
    text = str(raw).strip() if raw is not None else ""
    return text or None


def _identity_id(fields: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    """Items without a visitor id (an environment that does not map it) are known by their identity."""
    email = normalize.canonical_email(fields.get("email"))
    if email:
        return f"email:{email}"
    phone = normalize.canonical_phone(fields.get("phone"))
    if phone:
        return f"phone:{phone}"
    canonical = json.dumps(dict(item), sort_keys=True, ensure_ascii=False)
    return f"item:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _last_activity(text: str | None) -> str | None:
    """`yyyy/mm/dd hh:mi` (seconds optional) in Japan time, as ISO 8601 UTC; None when absent or malformed."""
    if not text:
        return None
    for layout in ACTIVITY_FORMATS:
        try:
            moment = datetime.strptime(text, layout).replace(tzinfo=JST)
        except ValueError:
            continue
        return moment.astimezone(UTC).isoformat()
    return None


def _date(text: str) -> date:
    return datetime.strptime(text, DATE_FORMAT).date()


def _text(day: date) -> str:
    return day.strftime(DATE_FORMAT)
