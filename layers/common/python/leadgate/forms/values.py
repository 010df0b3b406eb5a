"""A submission's body as field values, whatever shape it came in (docs/forms.md, "Submissions").

- `application/x-www-form-urlencoded`, a plain HTML `<form>`: name=value pairs (a repeated name, such as a
  group of checkboxes, becomes a list); the page is the `Referer` the browser sent.
- JSON key/value pairs, as LeadHub has it (`{"email": "...", "name": "..."}`); `page_url` names the page.
- HubSpot's submission shape: `fields: [{name, value}]`, `context.pageUri`, `legalConsentOptions`.

Pure: no I/O. Values are kept as sent; the form's fields decide what they mean (leadgate.forms.submissions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from leadgate import errors

TURNSTILE_FIELD = "cf-turnstile-response"  # the hidden field Cloudflare's widget adds to the form
PAGE_FIELD = "page_url"
MAX_PAGE_URL = 2000


@dataclass(frozen=True)
class Submitted:
    """What a submission sent: its values by field name, the page it came from, and what only the edge and
    the spam checks need (HubSpot's consent options, a Turnstile token)."""

    values: dict[str, Any]
    page_url: str | None = None
    hubspot: bool = False
    legal_consent: Mapping[str, Any] = field(default_factory=dict)
    turnstile_token: str | None = None


def from_form_encoded(text: str, referer: str | None) -> Submitted:
    values: dict[str, Any] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return _finished(values, referer)


def from_json(document: Any) -> Submitted:
    if not isinstance(document, dict):
        raise errors.ValidationFailed(errors={"body": ["Send the field values as a JSON object."]})
    if isinstance(document.get("fields"), list):
        return _from_hubspot(document)
    return _finished(dict(document), None)


def _from_hubspot(document: dict[str, Any]) -> Submitted:
    values: dict[str, Any] = {}
    for index, entry in enumerate(document["fields"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "value" not in entry:
            raise errors.ValidationFailed(errors={f"fields.{index}": ["Each field is {name, value}."]})
        values[entry["name"]] = entry["value"]
    context = document.get("context") if isinstance(document.get("context"), dict) else {}
    legal = document.get("legalConsentOptions") if isinstance(document.get("legalConsentOptions"), dict) else {}
    page = context.get("pageUri")
    submitted = _finished(values, page if isinstance(page, str) else None)
    return Submitted(
        submitted.values,
        submitted.page_url,
        hubspot=True,
        legal_consent=legal,
        turnstile_token=submitted.turnstile_token,
    )


def _finished(values: dict[str, Any], page_url: str | None) -> Submitted:
    token = values.pop(TURNSTILE_FIELD, None)
    sent_page = values.pop(PAGE_FIELD, None)
    page = sent_page if isinstance(sent_page, str) and sent_page else page_url
    return Submitted(
        values,
        page[:MAX_PAGE_URL] if page else None,
        turnstile_token=token if isinstance(token, str) else None,
    )
