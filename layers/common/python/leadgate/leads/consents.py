"""Consent: what a person agreed to (or withdrew) and under which text, kept as an append-only record on the lead.

- `ConsentGiven` is what a request body sends in its optional `consents` list (purpose, status, text version,
  optionally the text shown and the page it was shown on).
- `ConsentRecord` is one record as stored: that, plus where it came from (`source`: `client` for an API client,
  `form` for a form's submission; the client, form and route) and the sender's address. Forms hand their
  records to intake as `ConsentRecord`s too (`Intake.consents`), so every consent is recorded the same way.
- The lead keeps the current status per purpose (`StoredLead.consents`: the last record of each purpose wins);
  the records themselves are `CONSENT#{lead id}#{ulid}` items written in the lead write's transaction
  (leadgate.leads.repository) and listed by `GET /api/v1/leads/{id}/consents` (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadgate.text import Text

MAX_CONSENTS = 10  # per request: each is one item of the lead write's transaction
MAX_TEXT_LENGTH = 5_000
MAX_URL_LENGTH = 2_048

Purpose = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,39}$")]
ConsentStatus = Literal["granted", "withdrawn"]
ConsentSource = Literal["client", "form"]
GRANTED: ConsentStatus = "granted"


class ConsentGiven(BaseModel):
    """One consent as a request sends it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    purpose: Purpose = Field(description="What the person consents to: `contact`, `marketing`, ...")
    status: ConsentStatus
    text_version: Text(50) = Field(description="The version of the consent text the person was shown.")
    text: Text(MAX_TEXT_LENGTH, multiline=True) | None = Field(default=None, description="The text shown.")
    page_url: Text(MAX_URL_LENGTH) | None = Field(default=None, description="The page the consent was given on.")


Consents = Annotated[list[ConsentGiven], Field(max_length=MAX_CONSENTS)]


@dataclass(frozen=True)
class Origin:
    """Where a request's consents come from: the edge knows it (client, route, the sender's address)."""

    source: ConsentSource
    client_id: str | None = None
    form_id: str | None = None
    route: str | None = None
    address: str | None = None

    def records(self, given: Sequence[ConsentGiven] | None, recorded_at: str) -> tuple[ConsentRecord, ...]:
        return tuple(
            ConsentRecord(
                purpose=consent.purpose,
                status=consent.status,
                text_version=consent.text_version,
                recorded_at=recorded_at,
                text=consent.text,
                page_url=consent.page_url,
                **asdict(self),
            )
            for consent in given or ()
        )


@dataclass(frozen=True)
class ConsentRecord:
    """One consent given or withdrawn, as stored (append-only). `id` is set once stored."""

    purpose: str
    status: ConsentStatus
    text_version: str
    recorded_at: str
    source: ConsentSource
    client_id: str | None = None
    form_id: str | None = None
    route: str | None = None
    address: str | None = None
    text: str | None = None
    page_url: str | None = None
    id: str | None = None
    lead_id: str | None = None

    def record(self) -> dict[str, Any]:
        return asdict(self)

    def attributes(self, consent_id: str, lead_id: str) -> dict[str, Any]:
        """The CONSENT# item's attributes (those with a value), before serialisation."""
        stored = {**asdict(self), "id": consent_id, "lead_id": lead_id}
        return {name: value for name, value in stored.items() if value is not None}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> ConsentRecord:
        names = cls.__dataclass_fields__
        return cls(**{name: value for name, value in attributes.items() if name in names})


def current(before: Mapping[str, Mapping[str, str]], records: Sequence[ConsentRecord]) -> dict[str, dict[str, str]]:
    """The lead's current status per purpose after `records` (in order: the last of a purpose wins)."""
    statuses = {purpose: dict(state) for purpose, state in before.items()}
    for record in records:
        statuses[record.purpose] = {
            "status": record.status,
            "text_version": record.text_version,
            "updated_at": record.recorded_at,
        }
    return statuses


def granted(statuses: Mapping[str, Mapping[str, str]], purpose: str) -> bool:
    """Whether the lead may be contacted for `purpose`: its last record for it granted it."""
    return statuses.get(purpose, {}).get("status") == GRANTED
