"""What an automation says, as pydantic types: its trigger, conditions and actions, and the API's bodies.

Shapes only (and their limits); whether the users, stages, tags and forms they name exist in the tenant is
`leadgate.automations.references`' concern, checked on every save.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from leadgate import errors
from leadgate.leads.fields import Tag
from leadgate.text import Text
from leadgate.workspace.ids import WorkspaceId

MAX_ACTIONS = 20
MAX_CONDITIONS = 20
MAX_WAIT_SECONDS = 30 * 24 * 3600
MAX_ROUND_ROBIN_USERS = 100
# The lead record's fields a condition may read, by the first segment of its dotted path.
CONDITION_ROOTS = (
    "first_name",
    "last_name",
    "display_name",
    "email",
    "phone",
    "company",
    "source",
    "status",
    "pipeline_id",
    "pipeline_stage_id",
    "assigned_user_id",
    "starred",
    "lead_score",
    "custom_fields",
    "tags",
    "consents",
    "created_at",
    "updated_at",
)
# The fields `set_field` may set (a lead's plain fields; tags, stage and assignment have actions of their own).
SETTABLE_FIELDS = ("first_name", "last_name", "company", "source", "status", "notes", "starred", "lead_score")

Name = Text(200)
FieldPath = Annotated[str, StringConstraints(pattern=r"^[a-z_]+(\.[A-Za-z0-9_\-]{1,100}){0,2}$", max_length=250)]
Scalar = str | int | float | bool


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------ triggers


class LeadCreated(_Shape):
    type: Literal["lead.created"]


class LeadUpdated(_Shape):
    type: Literal["lead.updated"]
    fields: list[FieldPath] = Field(
        min_length=1, max_length=50, description="The lead fields watched: a change to any other does not fire."
    )


class StageChanged(_Shape):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    type: Literal["lead.stage_changed"]
    from_: WorkspaceId | None = Field(default=None, alias="from", description="The stage left (any when absent).")
    to: WorkspaceId | None = Field(default=None, description="The stage entered (any when absent).")


class LeadTagged(_Shape):
    type: Literal["lead.tagged"]
    tag: Tag


class FormSubmitted(_Shape):
    type: Literal["form.submitted"]
    form_id: WorkspaceId


class InquiryReceived(_Shape):
    type: Literal["lead.inquiry_received"]


Trigger = Annotated[
    LeadCreated | LeadUpdated | StageChanged | LeadTagged | FormSubmitted | InquiryReceived,
    Field(discriminator="type"),
]


# ------------------------------------------------------------------ conditions


class Condition(_Shape):
    """One test on the lead as the API shows it. `field` is a dotted path: `source`, `lead_score`,
    `custom_fields.budget`, `tags`, `consents.marketing.status`."""

    field: FieldPath
    operator: Literal["equals", "not_equals", "in", "contains", "exists", "gt", "lt"]
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        root = self.field.split(".", 1)[0]
        if root not in CONDITION_ROOTS:
            raise ValueError(f"A condition reads one of {', '.join(CONDITION_ROOTS)}.")
        if self.operator == "exists":
            if self.value is not None and not isinstance(self.value, bool):
                raise ValueError("`exists` takes true, false or no value (true).")
        elif self.operator == "in":
            if not isinstance(self.value, list) or not self.value or len(self.value) > 100:
                raise ValueError("`in` takes a list of 1 to 100 values.")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"`{self.operator}` takes one value.")
        elif self.operator in {"gt", "lt"} and isinstance(self.value, bool):
            raise ValueError(f"`{self.operator}` takes a number or an ISO date.")
        return self


class Conditions(_Shape):
    """`all` of them hold, or `any` of them (one level deep); none: every lead the trigger fires for."""

    match: Literal["all", "any"] = "all"
    rules: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)


# ------------------------------------------------------------------ actions


class Assign(_Shape):
    type: Literal["assign"]
    user_id: WorkspaceId


class AssignRoundRobin(_Shape):
    type: Literal["assign_round_robin"]
    user_ids: list[WorkspaceId] = Field(min_length=1, max_length=MAX_ROUND_ROBIN_USERS)


class AddTag(_Shape):
    type: Literal["add_tag"]
    tag: Tag


class RemoveTag(_Shape):
    type: Literal["remove_tag"]
    tag: Tag


class MoveToStage(_Shape):
    type: Literal["move_to_stage"]
    stage_id: WorkspaceId


class SetField(_Shape):
    type: Literal["set_field"]
    field: FieldPath = Field(description=f"One of {', '.join(SETTABLE_FIELDS)}, or `custom_fields.<name>`.")
    value: Scalar | None

    @model_validator(mode="after")
    def _settable(self) -> SetField:
        if self.field not in SETTABLE_FIELDS and not (
            self.field.startswith("custom_fields.") and self.field.count(".") == 1
        ):
            raise ValueError(f"set_field sets one of {', '.join(SETTABLE_FIELDS)} or custom_fields.<name>.")
        return self


class SendWebhook(_Shape):
    type: Literal["send_webhook"]
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)] = Field(
        description="https (loopback and http only on the local stack); checked against SSRF on every save."
    )


class Wait(_Shape):
    type: Literal["wait"]
    seconds: Annotated[int, Field(strict=True, ge=1, le=MAX_WAIT_SECONDS)] = Field(
        description="Up to 30 days; the next actions run after it."
    )


Action = Annotated[
    Assign | AssignRoundRobin | AddTag | RemoveTag | MoveToStage | SetField | SendWebhook | Wait,
    Field(discriminator="type"),
]


# ------------------------------------------------------------------ bodies


class AutomationCreate(_Shape):
    """POST /api/v1/automations, and PUT (the whole automation)."""

    name: Name
    active: StrictBool = True
    trigger: Trigger
    conditions: Conditions = Field(default_factory=Conditions)
    actions: list[Action] = Field(min_length=1, max_length=MAX_ACTIONS)
    reenroll: StrictBool = Field(
        default=False,
        description="False: a lead runs through the automation once. True: again each time it goes from not "
        "matching to matching.",
    )

    @model_validator(mode="after")
    def _not_only_waits(self) -> AutomationCreate:
        if all(isinstance(action, Wait) for action in self.actions):
            raise ValueError("An automation needs an action besides `wait`.")
        return self


class AutomationPatch(_Shape):
    """PATCH /api/v1/automations/{id}: only the fields sent change; none may be null."""

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            nulls = sorted(name for name, value in raw.items() if value is None)
            if nulls:
                raise errors.ValidationFailed(errors={name: ["This field may not be null."] for name in nulls})
        return raw

    name: Name | None = None
    active: StrictBool | None = None
    trigger: Trigger | None = None
    conditions: Conditions | None = None
    actions: list[Action] | None = Field(default=None, min_length=1, max_length=MAX_ACTIONS)
    reenroll: StrictBool | None = None
