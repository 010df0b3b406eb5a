"""The consents a submission gives, as plain records (issue 16 §3): pure, no I/O.

A form declares its consents (purpose, text, version). A submission grants one by sending the checkbox
`consent_<purpose>` checked, or, in HubSpot's shape, by `legalConsentOptions`: `consent.consentToProcess`
grants `contact`, a communication with `value: true` grants `marketing`. Only declared purposes count, and each
record carries the declared text's version, so what the person saw is known.

The records ride in the submission's intake (`Intake.consents`): the lead write records them in its own
transaction, as a client's consents are (leadgate.leads.consents).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadgate.leads.consents import ConsentRecord

CHECKBOX_PREFIX = "consent_"
CHECKED = frozenset({"on", "true", "1", "yes"})


def checkbox(purpose: str) -> str:
    return f"{CHECKBOX_PREFIX}{purpose}"


def is_checked(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in CHECKED


def granted(
    declarations: list[Mapping[str, Any]],
    values: Mapping[str, Any],
    legal_consent: Mapping[str, Any],
    *,
    form_id: int,
    client_id: str | None,
    page_url: str | None,
    address: str | None,
    at: str,
) -> tuple[ConsentRecord, ...]:
    """One record per declared purpose the submission grants, with the text the form showed."""
    purposes = {name for name, value in values.items() if name.startswith(CHECKBOX_PREFIX) and is_checked(value)}
    purposes = {name.removeprefix(CHECKBOX_PREFIX) for name in purposes} | _hubspot_purposes(legal_consent)
    return tuple(
        ConsentRecord(
            purpose=declaration["purpose"],
            status="granted",
            text_version=declaration["version"],
            recorded_at=at,
            source="form",
            client_id=client_id,
            form_id=str(form_id),
            address=address,
            text=declaration.get("text"),
            page_url=page_url,
        )
        for declaration in declarations
        if declaration["purpose"] in purposes
    )


def _hubspot_purposes(legal_consent: Mapping[str, Any]) -> set[str]:
    consent = legal_consent.get("consent")
    if not isinstance(consent, Mapping):
        return set()
    purposes = {"contact"} if consent.get("consentToProcess") is True else set()
    communications = consent.get("communications")
    if isinstance(communications, list) and any(
        isinstance(entry, Mapping) and entry.get("value") is True for entry in communications
    ):
        purposes.add("marketing")
    return purposes
