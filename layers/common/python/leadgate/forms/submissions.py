"""A form's submission as an intake (docs/forms.md, "Submissions"), and the list of a form's submissions.

Every submission, from a server (`POST /api/v1/forms/{id}/submissions`) or a browser (the public route), goes
through the intake domain (`leadgate.intake.service.take_in`): its values are checked against the form's
fields (422 naming the field), mapped to lead fields, deduplicated by email and phone into one lead, and kept
as an inquiry with `form_id`, the page URL and the values as sent. The form's target (stage, tags, user) are
intake `defaults`: a new lead takes them, a matched lead keeps its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, StringConstraints
from pydantic_core import PydanticCustomError, PydanticKnownError

from leadgate import aws, clock, cursors, errors, normalize
from leadgate.forms import consents
from leadgate.forms.records import Form
from leadgate.forms.requests import CUSTOM_PREFIX
from leadgate.forms.values import Submitted
from leadgate.intake.contracts import Intake, IntakeLead
from leadgate.intake.service import Outcome, take_in
from leadgate.leads import keys as lead_keys
from leadgate.leads.consents import ConsentRecord
from leadgate.leads.records import NewInquiry
from leadgate.lists import Page
from leadgate.params import QueryModel
from leadgate.settings import get_settings
from leadgate.text import clean
from leadgate.validation import parse
from leadgate.workspace import items
from leadgate.workspace.pages import DEFAULT_PER_PAGE, MAX_PER_PAGE

MAX_TEXT = 1000
MAX_TEXTAREA = 10_000
DEFAULT_SOURCE = "form"
NO_SUCH_FIELD = "This form has no such field."
REQUIRED = "This field is required."
LIST_NAME = "form_submissions"


@dataclass(frozen=True)
class Accepted:
    """A submission taken in: the intake's outcome and the consent records it gave (recorded on the lead)."""

    outcome: Outcome
    consents: tuple[ConsentRecord, ...]


def submit(
    tenant_id: str, form: Form, submitted: Submitted, *, client_id: str | None = None, address: str | None = None
) -> Accepted:
    """Checks the values against the form and takes them in, with the consents given (recorded on the lead in
    its write)."""
    if not form.active:
        raise errors.ValidationFailed("This form takes no submissions.", errors={"form": ["The form is not active."]})
    values = checked_values(form, submitted.values)
    given = consents.granted(
        form.consents,
        submitted.values,
        submitted.legal_consent,
        form_id=form.id,
        client_id=client_id,
        page_url=submitted.page_url,
        address=address,
        at=clock.iso(clock.now()),
    )
    outcome = take_in(tenant_id, intake_of(form, values, submitted, client_id, given))
    return Accepted(outcome, given)


def checked_values(form: Form, sent: Mapping[str, Any]) -> dict[str, Any]:
    """The submission's values as the form's fields define them (text cleaned, checkboxes as booleans); 422
    naming every field that is missing, unknown or wrong."""
    known = {entry["name"] for entry in form.fields}
    extra = {form.honeypot_field} | {consents.checkbox(entry["purpose"]) for entry in form.consents}
    problems: dict[str, list[str]] = {name: [NO_SUCH_FIELD] for name in sent if name not in known and name not in extra}
    values: dict[str, Any] = {}
    for declared in form.fields:
        name = declared["name"]
        try:
            value = _field_value(declared, sent.get(name))
        except (PydanticCustomError, PydanticKnownError) as refused:
            problems[name] = [refused.message() if refused.message().endswith(".") else refused.message() + "."]
            continue
        if value is None and declared.get("required"):
            problems[name] = [REQUIRED]
        elif value is not None:
            values[name] = value
    if problems:
        raise errors.ValidationFailed(errors=problems)
    return values


def _field_value(declared: Mapping[str, Any], raw: Any) -> Any:
    kind = declared.get("type", "text")
    if kind == "checkbox":
        return True if consents.is_checked(raw) else None
    if isinstance(raw, list):
        raise PydanticCustomError("single", "Send one value.")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | type(None)):
        raise PydanticCustomError("text", "Send text.")
    text = "" if raw is None else str(raw)
    if not text.strip():
        return None
    value = clean(text, max_length=MAX_TEXTAREA if kind == "textarea" else MAX_TEXT, multiline=kind == "textarea")
    if kind == "select" and value not in declared.get("options", []):
        raise PydanticCustomError("option", "Choose one of the field's options.")
    if kind == "email" and normalize.canonical_email(value) is None:
        raise PydanticCustomError("email", "Enter a valid email address.")
    if kind == "tel" and normalize.canonical_phone(value) is None:
        raise PydanticCustomError("tel", "Enter a valid phone number.")
    return value


def intake_of(
    form: Form,
    values: Mapping[str, Any],
    submitted: Submitted,
    client_id: str | None,
    given: tuple[ConsentRecord, ...] = (),
) -> Intake:
    """The intake a submission makes: mapped lead values (422 naming the form's field), the form's target
    as a new lead's defaults, and the inquiry (form id, page, values as sent)."""
    lead: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    rename: dict[str, str] = {}
    for declared in form.fields:
        target, name = declared.get("maps_to"), declared["name"]
        if not target or name not in values:
            continue
        if target.startswith(CUSTOM_PREFIX):
            custom[target.removeprefix(CUSTOM_PREFIX)] = values[name]
        else:
            lead[target] = values[name]
        rename[target] = name
    if custom:
        lead["custom_fields"] = custom
    parsed = parse(IntakeLead, lead, rename=rename)
    try:
        parsed.require_identity()
    except errors.ValidationFailed as refused:
        raise errors.ValidationFailed(
            errors={rename.get(name, name): messages for name, messages in refused.errors.items()}
        ) from refused
    page = submitted.page_url
    return Intake(
        values=parsed.values(),
        inquiry=NewInquiry(
            channel="form",
            payload={"values": _as_sent(submitted.values, form), "page_url": page},
            source=DEFAULT_SOURCE,
            media_domain=urlsplit(page).hostname if page else None,
            client_id=client_id,
            form_id=form.id,
        ),
        defaults={"source": DEFAULT_SOURCE, **form.target},
        consents=given,
    )


def _as_sent(values: Mapping[str, Any], form: Form) -> dict[str, Any]:
    """The values as the person sent them (the honeypot aside: it is empty on every submission kept)."""
    return {name: value for name, value in values.items() if name != form.honeypot_field}


# ------------------------------------------------------------------ the list


class SubmissionListParams(QueryModel):
    """`per_page` (1-100, 15 by default) and the `cursor` of `links.next`: newest first."""

    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None


def list_submissions(tenant_id: str, form_id: int, per_page: int, cursor: str | None) -> Page:
    """ONE Query of the leads table's `by_form` index (newest first); the cursor carries the last key."""
    query: dict[str, Any] = {
        "TableName": get_settings().leads_table,
        "IndexName": lead_keys.FORM_INDEX,
        "KeyConditionExpression": "form_key = :key",
        "ExpressionAttributeValues": {":key": {"S": lead_keys.form_key(tenant_id, form_id)}},
        "ScanIndexForward": False,
        "Limit": per_page,
    }
    if cursor is not None:
        query["ExclusiveStartKey"] = _position(cursor, tenant_id, form_id)
    page = aws.dynamodb().query(**query)
    last = page.get("LastEvaluatedKey")
    next_cursor = (
        cursors.encode({"l": LIST_NAME, "k": {name: value["S"] for name, value in last.items()}}) if last else None
    )
    return Page([_record(items.plain(item)) for item in page.get("Items", [])], per_page, next_cursor)


def _position(cursor: str, tenant_id: str, form_id: int) -> dict[str, Any]:
    body = cursors.decode(cursor)
    position = body.get("k")
    names = {"PK", "SK", "form_key", "form_sort"}
    if (
        body.get("l") != LIST_NAME
        or not isinstance(position, dict)
        or set(position) != names
        or not all(isinstance(value, str) for value in position.values())
        or position["form_key"] != lead_keys.form_key(tenant_id, form_id)
        or position["PK"] != lead_keys.partition(tenant_id)
    ):
        raise cursors.invalid(cursors.MALFORMED)
    return {name: {"S": value} for name, value in position.items()}


def _record(attributes: Mapping[str, Any]) -> dict[str, Any]:
    payload = json.loads(attributes.get("payload") or "{}")
    return {
        "id": attributes.get("id"),
        "form_id": attributes.get("form_id"),
        "lead_id": attributes.get("lead_id"),
        "page_url": payload.get("page_url") if isinstance(payload, dict) else None,
        "values": payload.get("values") if isinstance(payload, dict) else payload,
        "client_id": attributes.get("client_id"),
        "received_at": attributes.get("received_at"),
    }
