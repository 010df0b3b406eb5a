"""Dedup and merge: every intake lands exactly once, and every person is one lead, under any race.

The decision is made from identity items read strongly consistently (never from an index):

1. Read who owns the canonical email and phone (ONE GetItem, or ONE BatchGetItem for both). A new lead's
   workspace needs ride in the same BatchGetItem (`_Lookahead`): the default pipeline's marker when the
   intake names no stage, and the catalog's entries for its tags.
2. Nobody: create the lead, its identities (each `attribute_not_exists`) and the inquiry in ONE transaction.
   Losing the race to claim an identity returns the winner(s), read strongly consistently: go to 3.
3. One lead: read it (strongly consistent), merge, and write the lead and the inquiry in ONE transaction
   conditional on the version read. Losing that race reads again and retries, with jittered backoff.
4. The email and the phone belong to two different leads: AmbiguousDuplicate, nothing written.

An intake from another system (`Intake.external`: provider and record id) reads its `EXT#` identity in the
same call and matches it FIRST: the linked lead takes the intake even when the email changed. An email or
phone that belongs to another lead is not moved: the linked lead keeps its own value and the merge record
says `conflicts`. A change older than the last one the lead took from that provider is `stale`: recorded
as an inquiry, nothing overwritten. Without a link, email and phone match as above and the lead gains the
link (its own `attribute_not_exists` identity item, so two first events for one record make one lead).

A dry run takes the same decisions and writes nothing.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from leadgate import dependencies, errors
from leadgate.intake.contracts import ExternalRef, Intake, IntakeLead
from leadgate.intake.merge import Merge, merge
from leadgate.leads import MAX_LEAD_BYTES, repository
from leadgate.leads.consents import Origin
from leadgate.leads.records import NewInquiry, StoredLead
from leadgate.leads.requests import LeadData
from leadgate.text import json_size
from leadgate.validation import parse
from leadgate.workspace import tags as tag_catalog
from leadgate.workspace.pipelines import placement
from leadgate.workspace.pipelines import store as pipeline_store

logger = Logger(child=True)

MAX_ATTEMPTS = 20
BACKOFF_BASE_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.5

# In a dry-run batch, identities that an earlier item would have claimed: (kind, key) -> lead id or item.
Planned = MutableMapping[tuple[str, str], "str | int"]


@dataclass(frozen=True)
class _Lookahead:
    """What creating the lead would need from the workspace, read with its identities: where a lead naming
    no stage lands (None: not read, or before the tenant's first lead), and the catalog's answer for its tags."""

    default_marker: dict[str, Any] | None = None
    tags: tag_catalog.Resolution | None = None


@dataclass(frozen=True)
class Outcome:
    """What dedup did with one intake."""

    created: bool
    lead: StoredLead | None = None  # None in a dry run
    lead_id: str | None = None  # None when a dry run would create the lead
    matched_on: tuple[str, ...] = ()
    merge: Merge | None = None
    matched_item: int | None = None  # a dry-run batch item matching a lead an earlier item would create
    dry_run: bool = False
    stale: bool = False  # an older change than the lead already took from the provider: nothing applied
    conflicts: Mapping[str, str] = dataclasses.field(default_factory=dict)  # kind -> the lead owning it

    @property
    def result(self) -> str:
        return "created" if self.created else "matched"

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "result": self.result,
            "is_new": self.created,
            "lead_id": self.lead_id,
            "matched_on": list(self.matched_on),
        }
        if self.merge is not None:
            summary["merge"] = self.merge.record()
        if self.matched_item is not None:
            summary["matched_item"] = self.matched_item
        if self.dry_run:
            summary["dry_run"] = True
        if self.stale:
            summary["stale"] = True
        if self.conflicts:
            summary["conflicts"] = dict(self.conflicts)
        return summary


def take_in(
    tenant_id: str,
    intake: Intake,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    planned: Planned | None = None,
    item: int = 0,
) -> Outcome:
    """Create the lead or merge into the one it matches, recording the inquiry either way.

    `planned` (dry-run batches) holds the identities earlier items would have claimed; `item` is this
    item's index there."""
    matches: dict[str, str | int] | None = None
    lookahead = _Lookahead()
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            _back_off(attempt)
        if matches is None:
            matches, lookahead = _owners(tenant_id, intake, planned, first=not attempt and not dry_run)
        linked = matches.pop("external", None)
        if isinstance(linked, str):
            try:
                outcome = _merge_into(
                    tenant_id,
                    linked,
                    intake,
                    matched_on=("external", *_kinds(matches)),
                    overwrite=overwrite,
                    dry_run=dry_run,
                    planned=planned,
                    conflicts={kind: str(owner) for kind, owner in matches.items() if owner != linked},
                )
            except (repository.IdentityTaken, repository.ConcurrentModification):
                outcome = None
            if outcome is not None:
                return outcome
            matches = None
            continue
        owner = _single_owner(matches)
        if isinstance(owner, int):
            return Outcome(False, matched_on=_kinds(matches), matched_item=owner, dry_run=True)
        try:
            if owner is None:
                return _create(tenant_id, intake, dry_run=dry_run, planned=planned, item=item, lookahead=lookahead)
            outcome = _merge_into(
                tenant_id,
                owner,
                intake,
                matched_on=_kinds(matches),
                overwrite=overwrite,
                dry_run=dry_run,
                planned=planned,
            )
        except repository.IdentityTaken as taken:
            # Creating: the winners of the race, read strongly consistently by the repository. Merging, or a
            # link taken by another lead: read every owner again.
            matches = dict(taken.matches) if owner is None and "external" not in taken.matches else None
            continue
        except repository.ConcurrentModification:
            matches = None
            continue
        if outcome is not None:
            return outcome
        matches = None  # the lead was deleted between the identity read and the lead read
    logger.warning("Intake gave up after repeated write conflicts", extra={"attempts": MAX_ATTEMPTS})
    raise _busy()


def _owners(
    tenant_id: str, intake: Intake, planned: Planned | None, *, first: bool
) -> tuple[dict[str, str | int], _Lookahead]:
    """Who owns the intake's identities; on the `first` read, with what a new lead would need from the
    workspace, in the same call. Reads after a lost race need the owners only."""
    external = intake.external.identity if intake.external else None
    identities = {"email": intake.email_key, "phone": intake.phone_key, "external": external}
    lookahead = _Lookahead()
    alongside = _lookahead_keys(tenant_id, intake) if first else []
    if alongside:
        found, read = repository.find_by_identity_alongside(tenant_id, alongside, **identities)
        lookahead = _lookahead_from(tenant_id, intake, read)
    else:
        found = repository.find_by_identity(tenant_id, **identities)
    owners: dict[str, str | int] = dict(found)
    for kind, key in _identities(intake.email_key, intake.phone_key):
        if kind not in owners and planned and (kind, key) in planned:
            owners[kind] = planned[(kind, key)]
    return owners, lookahead


def _intake_tags(intake: Intake) -> list[str]:
    tags = intake.values.get("tags", intake.defaults.get("tags"))
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _names_no_stage(intake: Intake) -> bool:
    values = {**intake.defaults, **intake.values}
    return values.get(placement.PIPELINE_FIELD) is None and values.get(placement.STAGE_FIELD) is None


def _lookahead_keys(tenant_id: str, intake: Intake) -> list[dict[str, Any]]:
    wanted = [pipeline_store.default_marker_key(tenant_id)] if _names_no_stage(intake) else []
    tags = _intake_tags(intake)
    return wanted + (tag_catalog.resolution_keys(tenant_id, tags) if tags else [])


def _lookahead_from(tenant_id: str, intake: Intake, read: list[dict[str, Any]]) -> _Lookahead:
    tags = _intake_tags(intake)
    return _Lookahead(
        default_marker=pipeline_store.default_marker_in(tenant_id, read) if _names_no_stage(intake) else None,
        tags=tag_catalog.resolution_from(tenant_id, tags, read) if tags else None,
    )


def _single_owner(matches: Mapping[str, str | int]) -> str | int | None:
    owners = set(matches.values())
    if len(owners) > 1:
        raise errors.AmbiguousDuplicate({kind: str(owner) for kind, owner in matches.items()})
    return next(iter(owners), None)


def _kinds(matches: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(matches))


def _create(
    tenant_id: str, intake: Intake, *, dry_run: bool, planned: Planned | None, item: int, lookahead: _Lookahead
) -> Outcome:
    values = parse(LeadData, {**intake.defaults, **intake.values})
    data = placement.place(tenant_id, values, None, default=not dry_run, default_marker=lookahead.default_marker)
    if dry_run:
        _plan(planned, data, item)
        return Outcome(True, dry_run=True)
    external = intake.external
    lead = repository.create(
        tenant_id,
        data,
        inquiries=[intake.inquiry],
        external_ids={external.provider: external.id} if external else None,
        external_updated_at=_stamp({}, external),
        tag_resolution=lookahead.tags,
        consents=intake.consents,
    )
    return Outcome(True, lead=lead, lead_id=lead.id)


def _stamp(stamps: Mapping[str, str], external: ExternalRef | None) -> dict[str, str]:
    """The lead's last-change times with this intake's: the later one per provider."""
    stamps = dict(stamps)
    if external and external.updated_at:
        stamps[external.provider] = max(stamps.get(external.provider, ""), external.updated_at)
    return stamps


def is_stale(lead: StoredLead, external: ExternalRef) -> bool:
    """Whether the lead already took a later change from the provider than this one."""
    if not external.updated_at:
        return False
    taken = lead.external_updated_at.get(external.provider)
    return taken is not None and external.updated_at < taken


def _merge_into(
    tenant_id: str,
    lead_id: str,
    intake: Intake,
    *,
    matched_on: tuple[str, ...],
    overwrite: bool,
    dry_run: bool,
    planned: Planned | None,
    conflicts: Mapping[str, str] | None = None,
) -> Outcome | None:
    current = _live(tenant_id, lead_id)
    if current is None:
        return None
    external = intake.external
    if external is not None and is_stale(current, external):
        return _record_stale(tenant_id, current, intake, external, matched_on=matched_on, dry_run=dry_run)
    conflicts = dict(conflicts or {})
    values = {name: value for name, value in intake.values.items() if name not in conflicts}
    merged = merge(current.data, values, overwrite=overwrite)
    placed = placement.place(tenant_id, merged.data, current.data)
    if dry_run:
        _plan(planned, merged.data, lead_id)
        return Outcome(False, lead_id=lead_id, matched_on=matched_on, merge=merged, dry_run=True, conflicts=conflicts)
    record = merged.record()
    if conflicts:
        record["conflicts"] = conflicts
    external_ids = None
    if external:
        previous = current.external_ids.get(external.provider)
        if previous not in (None, external.id):  # the provider's record was replaced: the link follows
            record["replaced"][f"external_ids.{external.provider}"] = previous
        external_ids = {**current.external_ids, external.provider: external.id}
    lead = repository.update(
        tenant_id,
        current,
        placed,
        inquiries=[dataclasses.replace(intake.inquiry, merge=record)],
        external_ids=external_ids,
        external_updated_at=_stamp(current.external_updated_at, external) if external else None,
        consents=intake.consents,
    )
    return Outcome(False, lead=lead, lead_id=lead_id, matched_on=matched_on, merge=merged, conflicts=conflicts)


def _record_stale(
    tenant_id: str,
    current: StoredLead,
    intake: Intake,
    external: ExternalRef,
    *,
    matched_on: tuple[str, ...],
    dry_run: bool,
) -> Outcome:
    """Keep the stale change's payload as an inquiry on the lead; the lead's values stay as they are."""
    if not dry_run:
        record = {
            "policy": "stale",
            "received_at_provider": external.updated_at,
            "lead_has": current.external_updated_at.get(external.provider),
            "kept": dict(intake.values),
        }
        current = repository.update(
            tenant_id, current, current.data, inquiries=[dataclasses.replace(intake.inquiry, merge=record)]
        )
    return Outcome(False, lead=current, lead_id=current.id, matched_on=matched_on, dry_run=dry_run, stale=True)


def unlink_external(tenant_id: str, external: ExternalRef, inquiry: NewInquiry) -> Outcome | None:
    """The provider deleted its record: the linked lead keeps its data and loses the link; the deletion is
    recorded as an inquiry on it. None when no lead is linked. An older deletion than the last change the
    lead took from the provider is stale, like any change."""
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            _back_off(attempt)
        lead_id = repository.find_by_identity(tenant_id, external=external.identity).get("external")
        current = _live(tenant_id, lead_id) if lead_id else None
        if current is None:
            return None
        intake = Intake(values={}, inquiry=inquiry, external=external)
        try:
            if is_stale(current, external):
                return _record_stale(tenant_id, current, intake, external, matched_on=("external",), dry_run=False)
            record = {"policy": "unlink", "external_ids": {external.provider: external.id}}
            lead = repository.update(
                tenant_id,
                current,
                current.data,
                inquiries=[dataclasses.replace(inquiry, merge=record)],
                external_ids={name: value for name, value in current.external_ids.items() if name != external.provider},
                external_updated_at=_stamp(current.external_updated_at, external),
            )
        except repository.ConcurrentModification:
            continue
        return Outcome(False, lead=lead, lead_id=lead.id, matched_on=("external",))
    raise _busy()


def _live(tenant_id: str, lead_id: str) -> StoredLead | None:
    """The lead, strongly consistent; None when it is gone (deleted, or erased after its identity was read: the
    identities are read again)."""
    try:
        return repository.get(tenant_id, lead_id, consistent=True)
    except repository.LeadErased:
        return None


def _busy() -> errors.Conflict:
    """Gave up on write conflicts: trying again a moment later succeeds."""
    return errors.Conflict("The lead is being changed by many requests at once; retry shortly.", retry_after=1)


def _plan(planned: Planned | None, data: LeadData, owner: str | int) -> None:
    if planned is None:
        return
    for identity in _identities(data.email_normalized, data.phone_e164):
        planned.setdefault(identity, owner)


def _identities(email: str | None, phone: str | None) -> list[tuple[str, str]]:
    return [(kind, key) for kind, key in (("email", email), ("phone", phone)) if key]


def _back_off(attempt: int) -> None:
    """Full jitter: concurrent writers to one lead spread out instead of colliding again."""
    time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))  # noqa: S311


# ------------------------------------------------------------------ batch


ITEM_STATUSES = ("created", "matched", "failed")


@dataclass(frozen=True)
class ItemResult:
    index: int
    outcome: Outcome | None = None
    error: errors.DomainError | None = None

    @property
    def status(self) -> str:
        return self.outcome.result if self.outcome is not None else "failed"

    def record(self) -> dict[str, Any]:
        if self.outcome is not None:
            return {"index": self.index, "status": self.status, **self.outcome.summary()}
        error = self.error or errors.DomainError()
        return {
            "index": self.index,
            "status": "failed",
            "code": error.code,
            "message": error.message,
            "errors": error.errors,
            **error.extra,
        }


@dataclass(frozen=True)
class BatchOutcome:
    items: list[ItemResult]

    def records(self) -> list[dict[str, Any]]:
        return [item.record() for item in self.items]

    def counts(self) -> dict[str, int]:
        """`total` and the number of items of each status."""
        statuses = [item.status for item in self.items]
        return {"total": len(statuses), **{status: statuses.count(status) for status in ITEM_STATUSES}}


def take_in_batch(
    tenant_id: str, items: Sequence[Any], client_id: str, *, dry_run: bool = False, origin: Origin | None = None
) -> BatchOutcome:
    """Each item on its own, in order: the first of several items for one person creates the lead and the
    later ones match it, in a dry run as in a real one. One item failing fails alone."""
    planned: Planned | None = {} if dry_run else None
    results = []
    for index, item in enumerate(items):
        try:
            intake = batch_item(item, client_id, origin=origin)
            outcome = take_in(tenant_id, intake, dry_run=dry_run, planned=planned, item=index)
            results.append(ItemResult(index, outcome=outcome))
        except errors.DomainError as error:
            results.append(ItemResult(index, error=error))
        except Exception as exc:  # one item's crash must not lose the results of the items already written
            if dependencies.unavailable(exc):
                raise  # the whole batch is unavailable: retrying it is safe (the items written are matched again)
            logger.exception("Batch item failed", extra={"index": index})
            results.append(ItemResult(index, error=errors.DomainError()))
    return BatchOutcome(results)


def batch_item(item: Any, client_id: str, *, origin: Origin | None = None) -> Intake:
    """One batch item as an intake: held to one lead's size (MAX_LEAD_BYTES), validated as the upsert's body."""
    size = json_size(item)
    if size > MAX_LEAD_BYTES:
        raise errors.PayloadTooLarge(f"The item is {size} bytes; at most {MAX_LEAD_BYTES} are accepted.")
    return parse(IntakeLead, item).intake("batch", item, client_id, origin=origin)
