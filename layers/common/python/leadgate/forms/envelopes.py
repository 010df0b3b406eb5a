"""The shapes of the forms API's answers, as the handlers declare them (`responses=`); built as plain JSON by
`Form.record()` and `leadgate.forms.submissions`. Records allow fields beyond the ones named here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from leadgate.envelopes import ListLinks, ListMeta


class FormRecord(BaseModel):
    """A form: `public_id` addresses its public submission route (`POST /public/forms/{public_id}/submissions`)."""

    model_config = ConfigDict(extra="allow")

    id: int
    public_id: str
    name: str
    fields: list[dict[str, Any]]
    target: dict[str, Any]
    allowed_origins: list[str]
    redirect_url: str | None
    success_message: str | None
    consents: list[dict[str, Any]]
    honeypot_field: str | None
    turnstile: bool
    active: bool
    created_at: str
    updated_at: str


class FormEnvelope(BaseModel):
    data: FormRecord


class FormPage(BaseModel):
    data: list[FormRecord]
    meta: ListMeta
    links: ListLinks


class SubmissionRecord(BaseModel):
    """A submission as kept: an inquiry of its lead, with the values as sent and the page it came from."""

    model_config = ConfigDict(extra="allow")

    id: str
    form_id: int
    lead_id: str
    page_url: str | None
    values: dict[str, Any]
    client_id: str | None
    received_at: str


class SubmissionPage(BaseModel):
    data: list[SubmissionRecord]
    meta: ListMeta
    links: ListLinks


class SubmissionResult(BaseModel):
    """LeadHub's intake answer: `created` or `matched` (`is_duplicate`), the lead's id."""

    status: Literal["created", "matched"]
    lead_id: str
    is_duplicate: bool
    form_id: int
    consents: list[dict[str, Any]]


class PublicSubmissionResult(BaseModel):
    """A browser's answer: the same whether the person was new or known (a public caller learns nothing)."""

    status: Literal["success"]
    message: str | None


class HubspotSubmissionResult(BaseModel):
    """HubSpot's answer shape: `inlineMessage`, or `redirectUri` when the form redirects."""

    inlineMessage: str | None = None  # noqa: N815 - HubSpot's name
    redirectUri: str | None = None  # noqa: N815 - HubSpot's name
