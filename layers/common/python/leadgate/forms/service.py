"""What the forms handlers call: each function is one API operation on the caller's tenant, raising
`leadgate.errors` types (another tenant's form is a 404, as a missing one).

A form's target names the workspace's objects as a lead does, and is checked as a lead write checks them
(leadgate.workspace.pipelines.placement, an active user): 422 naming `target.<field>`. Writes read the form
(strongly consistent), check If-Match against its ETag and commit ONE transaction conditional on the version
read (leadgate.forms.store: the form and its public copy).
"""

from __future__ import annotations

from typing import Any

from leadgate import clock, errors
from leadgate.forms import store
from leadgate.forms.records import Form
from leadgate.forms.requests import FormCreate, FormPatch, FormReplace
from leadgate.leads.requests import LeadData
from leadgate.lists import Page
from leadgate.validation import parse
from leadgate.workspace import ids
from leadgate.workspace.pages import WorkspacePageParams, page_of
from leadgate.workspace.pipelines import placement
from leadgate.workspace.pipelines.service import check_precondition
from leadgate.workspace.users import store as users

LIST_NAME = "forms"


def form(tenant_id: str, form_id: int) -> Form:
    found = store.get(tenant_id, form_id)
    if found is None:
        raise errors.NotFound(f"No form with id {form_id}.")
    return found


def list_forms(tenant_id: str, params: WorkspacePageParams) -> Page:
    """Every form in id order: ONE Query, whatever the page."""
    page = page_of(store.all_forms(tenant_id), params, LIST_NAME)
    return Page(
        [found.record() for found in page.records],
        page.per_page,
        page.next_cursor,
        number=page.number,
        offset=page.offset,
        counted=page.counted,
        numbered_pages=page.numbered_pages,
        max_offset=page.max_offset,
    )


def create_form(tenant_id: str, body: FormCreate) -> Form:
    """The target checked, ONE UpdateItem (the id), then ONE transaction (the form and its public copy)."""
    check_target(tenant_id, body)
    stamp = clock.iso(clock.now())
    created = Form(
        id=ids.allocate_one(tenant_id, store.FORM),
        tenant_id=tenant_id,
        public_id=store.new_public_id(),
        created_at=stamp,
        updated_at=stamp,
        **_values(body),
    )
    _committing(store.writes(created, before=None), if_match=None)
    return created


def replace_form(tenant_id: str, form_id: int, body: FormReplace, if_match: str | None) -> Form:
    return _change(tenant_id, form_id, if_match, lambda current: body)


def patch_form(tenant_id: str, form_id: int, body: FormPatch, if_match: str | None) -> Form:
    """Only the fields sent change; the form they make is checked whole (422 naming the field)."""
    return _change(
        tenant_id, form_id, if_match, lambda current: parse(FormReplace, {**current.editable(), **body.changes()})
    )


def rotate_public_id(tenant_id: str, form_id: int, if_match: str | None) -> Form:
    """A new public id: the old one stops working at once (its public copy is deleted in the transaction)."""
    current = form(tenant_id, form_id)
    check_precondition(current.etag, if_match)
    changed = current.changed(clock.iso(clock.now()), public_id=store.new_public_id())
    _committing(store.writes(changed, before=current), if_match=if_match)
    return changed


def delete_form(tenant_id: str, form_id: int, if_match: str | None) -> None:
    """The form and its public copy; its submissions stay on their leads as inquiries."""
    current = form(tenant_id, form_id)
    check_precondition(current.etag, if_match)
    _committing(store.deletes(current), if_match=if_match)


def check_target(tenant_id: str, body: FormCreate) -> None:
    """The stage (or pipeline) and the user a target names must be ones a new lead could take now."""
    target = body.target
    if target.pipeline_id is not None or target.pipeline_stage_id is not None:
        placed = LeadData(pipeline_id=target.pipeline_id, pipeline_stage_id=target.pipeline_stage_id)
        try:
            placement.place(tenant_id, placed, None, default=False)
        except errors.ValidationFailed as refused:
            raise errors.ValidationFailed(
                errors={f"target.{name}": messages for name, messages in refused.errors.items()}
            ) from refused
    if target.assigned_user_id is not None:
        user = users.get(tenant_id, target.assigned_user_id)
        if user is None or not user.active:
            message = "The assigned_user_id must be the id of an active user of the tenant."
            raise errors.ValidationFailed(errors={"target.assigned_user_id": [message]})


def _values(body: FormCreate) -> dict[str, Any]:
    dumped = body.model_dump(mode="json", exclude_none=False)
    dumped["target"] = {name: value for name, value in dumped["target"].items() if value not in (None, [])}
    dumped["fields"] = [
        {name: value for name, value in entry.items() if value is not None} for entry in dumped["fields"]
    ]
    return dumped


def _change(tenant_id: str, form_id: int, if_match: str | None, body_of: Any) -> Form:
    current = form(tenant_id, form_id)
    check_precondition(current.etag, if_match)
    body = body_of(current)
    values = _values(body)
    if all(getattr(current, name) == value for name, value in values.items()):
        return current  # nothing changes: no write, same ETag
    check_target(tenant_id, body)
    changed = current.changed(clock.iso(clock.now()), **values)
    _committing(store.writes(changed, before=current), if_match=if_match)
    return changed


def _committing(entries: list[dict[str, Any]], *, if_match: str | None) -> None:
    try:
        store.commit(entries)
    except store.StaleWrite as exc:
        if if_match is not None:
            raise errors.PreconditionFailed("The form was changed by another request.") from exc
        raise errors.Conflict("The form was changed by another request; read it again and retry.") from exc
