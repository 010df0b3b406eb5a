"""What every query model shares: frozen, no parameter it does not name, an empty value means "not given"
(LeadHub's forms send `?status=`), and `null` is refused (a query string has no null: leave the parameter out).

Handlers declare subclasses with Powertools' `Query()`, so the description states each parameter with the
constraints the model enforces. Powertools hands a query model only the fields it names; the resolver's
`refuse_undeclared_query` refuses the rest, so a misspelt filter never widens a list.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from leadgate import errors

NULL = "null"


class QueryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_not_given(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        nulls = sorted(name for name, value in values.items() if value == NULL)
        if nulls:
            message = "A query string has no null: leave the parameter out, or send it empty."
            raise errors.ValidationFailed(errors={name: [message] for name in nulls})
        return {name: value for name, value in values.items() if value != ""}
