"""The automations API's operations (the edge is functions/automations): validated models in, automations and
pages out, `leadgate.errors` raised. Every save checks what the automation names (`references`); the signing
secret of its `send_webhook` actions is made on the first save that has one and answered that once."""

from __future__ import annotations

from dataclasses import dataclass

from leadgate import clock, errors, validation
from leadgate.automations import references, runs, secrets, store
from leadgate.automations.definitions import AutomationCreate, AutomationPatch
from leadgate.automations.store import Automation
from leadgate.lists import Page
from leadgate.workspace import ids
from leadgate.workspace.pages import WorkspacePageParams, page_of


@dataclass(frozen=True)
class Saved:
    automation: Automation
    secret: str | None = None  # the new signing secret, answered once


def _check_precondition(current: Automation, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" not in tags and current.etag not in tags:
        raise errors.PreconditionFailed(f"The automation's ETag is {current.etag}.", etag=current.etag)


def _values(definition: AutomationCreate) -> dict:
    return definition.model_dump(mode="json", by_alias=True)


def _with_secret(tenant_id: str, automation_id: int, definition: AutomationCreate, arn: str | None):
    if arn is None and any(action.type == "send_webhook" for action in definition.actions):
        return secrets.create(tenant_id, automation_id)
    return arn, None


def create(tenant_id: str, body: AutomationCreate) -> Saved:
    definition = references.check(tenant_id, body)
    if len(store.all_automations(tenant_id, with_counters=False)) >= store.MAX_AUTOMATIONS:
        raise errors.ValidationFailed(
            errors={"name": [f"A tenant may have at most {store.MAX_AUTOMATIONS} automations."]}
        )
    automation_id = ids.allocate_one(tenant_id, store.KIND)
    arn, secret = _with_secret(tenant_id, automation_id, definition, None)
    now = clock.iso(clock.now())
    automation = Automation(
        tenant_id=tenant_id, id=automation_id, created_at=now, updated_at=now, secret_arn=arn, **_values(definition)
    )
    store.put(automation, expected_version=None)
    return Saved(automation, secret)


def list_automations(tenant_id: str, params: WorkspacePageParams) -> Page:
    return page_of([found.record() for found in store.all_automations(tenant_id)], params, "automations")


def get(tenant_id: str, automation_id: int) -> Automation:
    return store.require(tenant_id, automation_id)


def replace(tenant_id: str, automation_id: int, body: AutomationCreate, if_match: str | None) -> Saved:
    current = store.require(tenant_id, automation_id)
    _check_precondition(current, if_match)
    return _save(current, _checked(current, body), if_match)


def patch(tenant_id: str, automation_id: int, body: AutomationPatch, if_match: str | None) -> Saved:
    current = store.require(tenant_id, automation_id)
    _check_precondition(current, if_match)
    merged = validation.parse(
        AutomationCreate, _values(current.definition) | body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    )
    return _save(current, _checked(current, merged), if_match)


def _checked(current: Automation, definition: AutomationCreate) -> AutomationCreate:
    """What the definition names, checked when its trigger or actions change: renaming or pausing an automation
    whose user was deactivated since stays possible (the run skips that user and says why)."""
    values = _values(definition)
    if all(getattr(current, name) == values[name] for name in ("trigger", "actions")):
        return definition
    return references.check(current.tenant_id, definition)


def _save(current: Automation, definition: AutomationCreate, if_match: str | None) -> Saved:
    values = _values(definition)
    if all(getattr(current, name) == value for name, value in values.items()):
        return Saved(current)
    arn, secret = _with_secret(current.tenant_id, current.id, definition, current.secret_arn)
    changed = current.changed(clock.iso(clock.now()), secret_arn=arn, **values)
    try:
        store.put(changed, expected_version=current.version)
    except errors.Conflict as exc:
        if if_match is not None:
            raise errors.PreconditionFailed("The automation was changed by another request.") from exc
        raise
    return Saved(changed, secret)


def delete(tenant_id: str, automation_id: int, if_match: str | None) -> None:
    current = store.require(tenant_id, automation_id)
    _check_precondition(current, if_match)
    store.delete(current)
    if current.secret_arn:
        secrets.delete(current.secret_arn)


def list_runs(tenant_id: str, automation_id: int, params: runs.RunListParams) -> Page:
    store.require(tenant_id, automation_id)
    return runs.page(tenant_id, automation_id, params)
