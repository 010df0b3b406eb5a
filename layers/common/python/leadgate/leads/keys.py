"""Keys of the leads table (docs/access-patterns.md): every key starts with the tenant's partition.

Pure functions, no I/O: the repository writes what these build and the list planner queries by them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from leadgate import normalize
from leadgate.leads.fields import MAX_SCORE
from leadgate.leads.ids import ALPHABET, ULID_LENGTH
from leadgate.leads.records import StoredLead
from leadgate.leads.requests import LeadData

LEAD = "LEAD#"
EMAIL = "EMAIL#"
PHONE = "PHONE#"
EXTERNAL = "EXT#"
TAG = "TAG#"
SEARCH = "SEARCH#"
INQUIRY = "INQ#"
STAGE_MOVE = "MOVE#"
CONSENT = "CONSENT#"
ERASURE = "ERASURE#"
STATS_SK = "STATS"
TOTAL_COUNTER = "leads"

FIRST_ID = ALPHABET[0] * ULID_LENGTH
LAST_ID = ALPHABET[-1] * ULID_LENGTH

# Sort keys: a present value sorts before every missing one (the sentinel), so missing values come last
# in ascending order; " " separates the value from the id, and values have no character below "!".
_PRESENT, _MISSING, _SEPARATOR = "0", "1", " "
_BELOW_BANG = re.compile(r"[\x00-\x20]")


def partition(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def lead_sk(lead_id: str) -> str:
    return f"{LEAD}{lead_id}"


def email_sk(canonical_email: str) -> str:
    return f"{EMAIL}{canonical_email}"


def phone_sk(e164: str) -> str:
    return f"{PHONE}{e164}"


def external_sk(provider: str, external_id: str) -> str:
    """A record's id in another system (`EXT#hubspot#151`): one lead per provider and id, as for emails."""
    return f"{EXTERNAL}{provider}#{external_id}"


def tag_sk(tag: str, lead_id: str) -> str:
    return f"{TAG}{tag}#{lead_id}"


def search_sk(token: str, lead_id: str) -> str:
    return f"{SEARCH}{token}#{lead_id}"


def inquiry_prefix(lead_id: str) -> str:
    return f"{INQUIRY}{lead_id}#"


def inquiry_sk(lead_id: str, inquiry_id: str) -> str:
    return f"{inquiry_prefix(lead_id)}{inquiry_id}"


FORM_INDEX = "by_form"  # a form's submissions (inquiries with a `form_id`), newest first: sparse


def form_key(tenant_id: str, form_id: int) -> str:
    return f"{tenant_id}#{form_id}"


def form_submission_attributes(tenant_id: str, form_id: int, inquiry_id: str) -> dict[str, str]:
    """The `by_form` index's attributes of a submission's inquiry item (its id is a ULID: time order)."""
    return {"form_key": form_key(tenant_id, form_id), "form_sort": inquiry_id}


def stage_move_prefix(lead_id: str) -> str:
    """A lead's stage history (leadgate.leads.stage_history): one item per move, in the order of its versions."""
    return f"{STAGE_MOVE}{lead_id}#"


def stage_move_sk(lead_id: str, version: int) -> str:
    return f"{stage_move_prefix(lead_id)}{version:010d}"


def consent_prefix(lead_id: str) -> str:
    return f"{CONSENT}{lead_id}#"


def consent_sk(lead_id: str, consent_id: str) -> str:
    return f"{consent_prefix(lead_id)}{consent_id}"


def erasure_sk(erased_at: str, lead_id: str) -> str:
    """An erasure's tombstone record, listed newest first by the time of the erasure."""
    return f"{ERASURE}{erased_at}#{lead_id}"


def key(tenant_id: str, sk: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": partition(tenant_id)}, "SK": {"S": sk}}


def lead_id_of(sk: str) -> str:
    """The lead id at the end of a LEAD#, TAG# or SEARCH# sort key."""
    return sk[-ULID_LENGTH:]


def token_of(search_sort_key: str) -> str:
    """The token of a SEARCH#{token}#{id} sort key."""
    return search_sort_key[len(SEARCH) : -ULID_LENGTH - 1]


def filter_value(value: Any) -> str:
    """Filter values compare as strings: `pipeline_id` 1 and "1" are the same pipeline."""
    return str(value)


def filter_key(tenant_id: str, value: Any) -> str:
    return f"{partition(tenant_id)}#{filter_value(value)}"


@dataclass(frozen=True)
class FilterIndex:
    """An equality filter served by a sparse GSI keyed `{attribute} = T#{tenant}#{value}`, sorted by SK."""

    param: str
    field: str
    index: str
    attribute: str
    counter: str


# In the planner's priority order: the first filter present picks the index (most selective first).
FILTER_INDEXES = (
    FilterIndex("assigned_user_id", "assigned_user_id", "by_assignee", "assignee_key", "assignee"),
    FilterIndex("stage_id", "pipeline_stage_id", "by_stage", "stage_key", "stage"),
    FilterIndex("pipeline_id", "pipeline_id", "by_pipeline", "pipeline_key", "pipeline"),
    FilterIndex("status", "status", "by_status", "status_key", "status"),
    FilterIndex("source", "source", "by_source", "source_key", "source"),
)
STARRED = FilterIndex("starred", "starred", "by_starred", "starred_key", "starred")
CREATED_INDEX = "by_created"
TENANT_ATTRIBUTE = "tenant_key"


@dataclass(frozen=True)
class SortIndex:
    sort: str
    index: str
    attribute: str


SORT_INDEXES = {
    "updated_at": SortIndex("updated_at", "by_updated", "updated_sort"),
    "lead_score": SortIndex("lead_score", "by_score", "score_sort"),
    "first_name": SortIndex("first_name", "by_first_name", "first_name_sort"),
    "last_name": SortIndex("last_name", "by_last_name", "last_name_sort"),
    "email": SortIndex("email", "by_email", "email_sort"),
}


def _ordered(text: str | None, lead_id: str) -> str:
    collated = _BELOW_BANG.sub("", normalize.search_text(text)) if text else ""
    if not collated:
        return f"{_MISSING}{_SEPARATOR}{lead_id}"
    return f"{_PRESENT}{collated}{_SEPARATOR}{lead_id}"


def sort_values(lead: StoredLead) -> dict[str, str]:
    """The sort key of each sort index. Names sort by their kana reading when there is one."""
    data = lead.data
    return {
        "updated_sort": f"{lead.updated_at}#{lead.id}",
        "score_sort": f"{data.lead_score + MAX_SCORE:010d}#{lead.id}",
        "first_name_sort": _ordered(data.first_name_kana or data.first_name, lead.id),
        "last_name_sort": _ordered(data.last_name_kana or data.last_name, lead.id),
        "email_sort": _ordered(data.email_normalized, lead.id),
    }


def index_attributes(tenant_id: str, lead: StoredLead) -> dict[str, str]:
    """Every GSI key attribute of a lead item; a filter attribute is absent when the lead has no value."""
    attributes = {TENANT_ATTRIBUTE: partition(tenant_id), **sort_values(lead)}
    for spec in FILTER_INDEXES:
        value = getattr(lead.data, spec.field)
        if value is not None:
            attributes[spec.attribute] = filter_key(tenant_id, value)
    if lead.data.starred:
        attributes[STARRED.attribute] = partition(tenant_id)
    return attributes


def counters(data: LeadData | None) -> Counter[str]:
    """The STATS counters a lead counts in: all leads, each filter value, starred, each tag."""
    if data is None:
        return Counter()
    names = [TOTAL_COUNTER]
    names += [
        counter_name(spec.counter, getattr(data, spec.field))
        for spec in FILTER_INDEXES
        if getattr(data, spec.field) is not None
    ]
    names += [STARRED.counter] if data.starred else []
    names += [counter_name("tag", tag) for tag in data.tags]
    return Counter(names)


def counter_name(kind: str, value: Any) -> str:
    return f"{kind}#{filter_value(value)}"


def counter_changes(old: LeadData | None, new: LeadData | None) -> dict[str, int]:
    """What one committed write adds to each counter (non-zero entries only)."""
    changes = Counter(counters(new))
    changes.subtract(counters(old))
    return {name: delta for name, delta in changes.items() if delta}
