"""What an automation names must exist in its tenant: checked on every save, 422 naming the place
(`actions.0.user_id`, `trigger.tag`). Users must exist and be active (one deactivated later is skipped at run
time, and the run says why); stages must take leads (the workspace's `placement` check); tags must be in the
catalog; forms must exist; a webhook URL must be safe to call (`leadgate.ssrf`)."""

from __future__ import annotations

from leadgate import errors, ssrf
from leadgate.automations.definitions import AutomationCreate
from leadgate.forms import store as forms
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from leadgate.workspace import tags
from leadgate.workspace.pipelines import placement
from leadgate.workspace.pipelines import store as pipelines
from leadgate.workspace.users import store as users

ACTIONS = "actions"


def check(tenant_id: str, definition: AutomationCreate) -> AutomationCreate:
    """`definition` when everything it names is real; ValidationFailed naming every place that is not."""
    found: dict[str, list[str]] = {}
    named_tags = _trigger_problems(tenant_id, definition, found)
    active_users = _active_users(tenant_id) if _names_users(definition) else set()
    for index, action in enumerate(definition.actions):
        place = f"{ACTIONS}.{index}"
        if action.type == "assign" and action.user_id not in active_users:
            found[f"{place}.user_id"] = [f"No active user {action.user_id} in this workspace."]
        elif action.type == "assign_round_robin":
            missing = [user for user in action.user_ids if user not in active_users]
            if missing:
                found[f"{place}.user_ids"] = [f"No active users {missing} in this workspace."]
        elif action.type in {"add_tag", "remove_tag"}:
            named_tags[f"{place}.tag"] = action.tag
        elif action.type == "move_to_stage":
            problem = _stage_problem(tenant_id, action.stage_id)
            if problem:
                found[f"{place}.stage_id"] = [problem]
        elif action.type == "send_webhook":
            found.update(_url_problem(action.url, f"{place}.url"))
    known = tags.resolve(tenant_id, named_tags.values())
    found.update(
        {place: [f"No tag {name!r} in this workspace."] for place, name in named_tags.items() if name not in known}
    )
    if found:
        raise errors.ValidationFailed(errors=found)
    return definition


def _trigger_problems(tenant_id: str, definition: AutomationCreate, found: dict[str, list[str]]) -> dict[str, str]:
    """Adds the trigger's unknown form or stages to `found`; answers the tags it names (checked with the rest)."""
    trigger = definition.trigger
    if trigger.type == "form.submitted" and forms.get(tenant_id, trigger.form_id) is None:
        found["trigger.form_id"] = [f"No form {trigger.form_id} in this workspace."]
    if trigger.type == "lead.stage_changed":
        for name, stage_id in (("from", trigger.from_), ("to", trigger.to)):
            if stage_id is not None and pipelines.get_stage(tenant_id, stage_id) is None:
                found[f"trigger.{name}"] = [f"No stage {stage_id} in this workspace."]
    return {"trigger.tag": trigger.tag} if trigger.type == "lead.tagged" else {}


def _active_users(tenant_id: str) -> set[int]:
    return {user.id for user in users.all_users(tenant_id) if user.active}


def _url_problem(url: str, place: str) -> dict[str, list[str]]:
    try:
        ssrf.check_url(url, allow_loopback=get_settings().allow_loopback_urls, field=place)
    except ssrf.UnsafeUrl as unsafe:
        return dict(unsafe.errors)
    return {}


def _names_users(definition: AutomationCreate) -> bool:
    return any(action.type in {"assign", "assign_round_robin"} for action in definition.actions)


def _stage_problem(tenant_id: str, stage_id: int) -> str | None:
    """The workspace's own check of a stage a lead is moved to (`placement.place`, a dry run)."""
    try:
        placement.place(tenant_id, LeadData(pipeline_stage_id=stage_id), None, default=False)
    except errors.ValidationFailed as refused:
        return " ".join(message for messages in refused.errors.values() for message in messages)
    return None
