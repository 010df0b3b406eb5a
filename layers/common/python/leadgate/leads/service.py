"""What the leads handlers call: each function is one API operation, raising `leadgate.errors` types.

Writes read the lead (strongly consistent), check If-Match against its ETag, and commit ONE transaction
conditional on the version they read. A write that loses a race to another writer is PreconditionFailed when
the client sent If-Match (its precondition no longer holds) and Conflict otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from leadgate import clock, cursors, errors, normalize, validation
from leadgate.leads import pages, repository
from leadgate.leads.consents import ConsentGiven, ConsentRecord, Origin
from leadgate.leads.fields import MAX_OFFSET, MAX_TAGS
from leadgate.leads.params import LeadListParams, LookupParams, PageParams, page_out_of_reach
from leadgate.leads.query import Cursor, KeySource, decode_cursor, digest, plan
from leadgate.leads.records import StoredLead, iso
from leadgate.leads.requests import LeadCreate, LeadData, LeadPatch, LeadReplace
from leadgate.lists import Page
from leadgate.workspace.pipelines import placement

Result = TypeVar("Result")


# ------------------------------------------------------------------ reads


def get_lead(tenant_id: str, lead_id: str) -> StoredLead:
    """The lead; UnreadableRecord (reported) when its stored item cannot be read."""
    try:
        lead = repository.get(tenant_id, lead_id)
    except repository.LeadErased as exc:
        raise errors.Gone(f"Lead {lead_id} was erased at {exc.erased_at}.", extra={"erased_at": exc.erased_at}) from exc
    except repository.UnreadableItem as exc:
        raise errors.UnreadableRecord(
            f"Lead {lead_id} is stored in a form that cannot be read; it has been reported."
        ) from exc
    if lead is None:
        raise errors.NotFound(f"No lead with id {lead_id}.")
    return lead


def lookup(tenant_id: str, params: LookupParams) -> StoredLead:
    """The lead that owns an email or phone number, written in any format (strongly consistent).

    With neither, no lead matches: a 404 like any lookup that finds nothing, without reading anything. (A rule
    across two query parameters cannot be stated in OpenAPI; "nothing matches nothing" needs none.)"""
    if params.email is None and params.phone is None:
        raise errors.NotFound("No lead matches: give an email or a phone number to look up.")
    matches = repository.find_by_identity(
        tenant_id,
        email=normalize.canonical_email(params.email),
        phone=normalize.canonical_phone(params.phone),
    )
    if len(set(matches.values())) > 1:
        raise errors.AmbiguousDuplicate(matches, "The email and the phone number belong to different leads.")
    if not matches:
        raise errors.NotFound("No lead has this email or phone number.")
    return get_lead(tenant_id, next(iter(matches.values())))


def list_leads(tenant_id: str, params: LeadListParams) -> Page:
    """GET /api/v1/leads: a page of the tenant's leads, filtered and sorted as `params` ask."""
    lead_plan = plan(tenant_id, params)
    window = _Window.of(params, tenant_id, lead_plan.source, lead_plan.fingerprint)
    if window.skip and not lead_plan.exact:
        raise page_out_of_reach("This combination of filters is read with a cursor: follow links.next.")
    if params.empty_range:
        return window.page_of([], None, counted=0, numbered_pages=True, unreadable=0)
    with _cursor_errors():
        page = pages.list_leads(tenant_id, lead_plan, per_page=params.per_page, start=window.start, skip=window.skip)
    counted = page.stats.get(lead_plan.counter, 0) if page.stats is not None and lead_plan.counter else None
    return window.page_of(
        page.leads,
        page.next_position,
        counted=counted,
        numbered_pages=lead_plan.exact,
        unreadable=page.unreadable,
    )


def list_inquiries(tenant_id: str, lead_id: str, params: PageParams) -> Page:
    """GET /api/v1/leads/{id}/inquiries, newest first, paginated like the lead list."""
    lead = get_lead(tenant_id, lead_id)
    source = pages.inquiry_source(tenant_id, lead.id)
    window = _Window.of(params, tenant_id, source, digest(tenant_id, {"inquiries_of": lead.id}))
    with _cursor_errors():
        page = pages.list_inquiries(tenant_id, lead.id, per_page=params.per_page, start=window.start, skip=window.skip)
    return window.page_of(
        page.inquiries,
        page.next_position,
        counted=lead.inquiry_count,
        numbered_pages=True,
        unreadable=page.unreadable,
    )


def list_stage_history(tenant_id: str, lead_id: str, params: PageParams) -> Page:
    """GET /api/v1/leads/{id}/stage-history: the lead's moves between stages, newest first, paginated like its
    inquiries (no total: moves are not counted)."""
    lead = get_lead(tenant_id, lead_id)
    source = pages.stage_move_source(tenant_id, lead.id)
    window = _Window.of(params, tenant_id, source, digest(tenant_id, {"stage_history_of": lead.id}))
    with _cursor_errors():
        moves, position = pages.list_stage_moves(
            tenant_id, lead.id, per_page=params.per_page, start=window.start, skip=window.skip
        )
    return window.page_of(moves, position, counted=None, numbered_pages=True, unreadable=0)


@dataclass(frozen=True)
class _Window:
    """Where a page starts: after a cursor's position, or `skip` keys in for a page number."""

    source: str
    fingerprint: str
    per_page: int
    page: int
    offset: int  # items before this page
    start: dict[str, str] | None = None
    skip: int = 0

    @classmethod
    def of(cls, params: PageParams, tenant_id: str, source: KeySource, fingerprint: str) -> _Window:
        if params.cursor is not None:
            cursor = decode_cursor(params.cursor, tenant_id=tenant_id, source=source, expected_fingerprint=fingerprint)
            return cls(source.name, fingerprint, params.per_page, cursor.page, cursor.offset, start=cursor.position)
        offset = (params.page - 1) * params.per_page
        return cls(source.name, fingerprint, params.per_page, params.page, offset, skip=offset)

    def page_of(
        self,
        items: Sequence[Any],  # StoredLead, StoredInquiry or StageMove: each has .record()
        position: dict[str, str] | None,
        *,
        counted: int | None,
        numbered_pages: bool,
        unreadable: int,
    ) -> Page:
        """The page read from this window; `position` is where the next page starts (None: this is the last)."""
        following = (
            Cursor(self.source, position, self.page + 1, self.offset + len(items), self.fingerprint).encode()
            if position is not None
            else None
        )
        return Page(
            records=[item.record() for item in items],
            per_page=self.per_page,
            next_cursor=following,
            number=self.page,
            offset=self.offset,
            counted=counted,
            numbered_pages=numbered_pages,
            max_offset=MAX_OFFSET,
            unreadable=unreadable,
        )


@contextmanager
def _cursor_errors() -> Iterator[None]:
    try:
        yield
    except pages.InvalidStartKey as exc:
        raise cursors.invalid("The cursor is outside this query.") from exc


# ------------------------------------------------------------------ writes


def create_lead(tenant_id: str, body: LeadCreate, origin: Origin | None = None) -> StoredLead:
    """POST /api/v1/leads. An email or phone that belongs to another lead is DuplicateLead. The consents sent
    are recorded in the lead's transaction, from `origin`."""
    data = placement.place(tenant_id, body.lead_data(), None)
    consents = _records(origin, body.consents)
    return _writing(lambda: repository.create(tenant_id, data, consents=consents), if_match=None)


def replace_lead(
    tenant_id: str, lead_id: str, body: LeadReplace, if_match: str | None, origin: Origin | None = None
) -> StoredLead:
    """PUT: every writable field from the body; fields not sent go back to their defaults."""
    _same_id(lead_id, body.id)
    data = body.lead_data()
    return _change(tenant_id, lead_id, if_match, lambda current: data, _records(origin, body.consents))


def record_consents(tenant_id: str, lead_id: str, consents: Sequence[ConsentRecord]) -> StoredLead:
    """Consent records (from any source: a client, a form) added to the lead, its data unchanged: ONE
    transaction conditional on the version read."""
    return _change(tenant_id, lead_id, None, lambda current: current, consents)


def list_consents(tenant_id: str, lead_id: str, params: PageParams) -> Page:
    """GET /api/v1/leads/{id}/consents: every consent record of the lead, newest first (append-only)."""
    lead = get_lead(tenant_id, lead_id)
    source = pages.consent_source(tenant_id, lead.id)
    window = _Window.of(params, tenant_id, source, digest(tenant_id, {"consents_of": lead.id}))
    with _cursor_errors():
        page = pages.list_consents(tenant_id, lead.id, per_page=params.per_page, start=window.start, skip=window.skip)
    return window.page_of(
        page.consents, page.next_position, counted=None, numbered_pages=True, unreadable=page.unreadable
    )


def list_erasures(tenant_id: str, params: PageParams) -> Page:
    """GET /api/v1/erasures: the tenant's erasure records (tombstones), newest first."""
    source = pages.erasure_source(tenant_id)
    window = _Window.of(params, tenant_id, source, digest(tenant_id, {"erasures": True}))
    with _cursor_errors():
        page = pages.list_erasures(tenant_id, per_page=params.per_page, start=window.start, skip=window.skip)
    return window.page_of(
        [_Plain(erasure) for erasure in page.erasures],
        page.next_position,
        counted=None,
        numbered_pages=True,
        unreadable=0,
    )


@dataclass(frozen=True)
class _Plain:
    """A record read as plain values, listed as it is."""

    values: dict[str, Any]

    def record(self) -> dict[str, Any]:
        return self.values


def _records(origin: Origin | None, given: Sequence[ConsentGiven] | None) -> tuple[ConsentRecord, ...]:
    """The consents a body sent, as records from `origin` (the edge gives it; by default an API client)."""
    return (origin or Origin("client")).records(given, iso(clock.now()))


def patch_lead(
    tenant_id: str, lead_id: str, body: LeadPatch, if_match: str | None, origin: Origin | None = None
) -> StoredLead:
    """PATCH: only the fields sent change; null clears a field (back to its default)."""
    _same_id(lead_id, body.id)

    def patched(current: LeadData) -> LeadData:
        # A value stored before today's rules (docs/text.md) fails here: 422 naming it, so it can be sent fixed.
        try:
            return body.applied_to(current)
        except ValidationError as exc:
            raise validation.failed(
                exc, "A stored value of the lead breaks the current rules; send it corrected in the same PATCH."
            ) from exc

    return _change(tenant_id, lead_id, if_match, patched, _records(origin, body.consents))


def add_tag(tenant_id: str, lead_id: str, tag: str, if_match: str | None) -> StoredLead:
    """Idempotent: a tag the lead already has changes nothing (and writes nothing)."""

    def with_tag(current: LeadData) -> LeadData:
        if tag in current.tags:
            return current
        if len(current.tags) >= MAX_TAGS:
            raise errors.ValidationFailed(errors={"tag": [f"A lead can have at most {MAX_TAGS} tags."]})
        return current.model_copy(update={"tags": [*current.tags, tag]})

    return _change(tenant_id, lead_id, if_match, with_tag)


def remove_tag(tenant_id: str, lead_id: str, tag: str, if_match: str | None) -> StoredLead:
    """A tag (in its stored form) the lead does not have is 404 NOT_FOUND: the resource /leads/{id}/tags/{tag}
    does not exist."""

    def without_tag(current: LeadData) -> LeadData:
        if tag not in current.tags:
            raise errors.NotFound(f"The lead has no tag {tag!r}.")
        return current.model_copy(update={"tags": [kept for kept in current.tags if kept != tag]})

    return _change(tenant_id, lead_id, if_match, without_tag)


def delete_lead(tenant_id: str, lead_id: str, if_match: str | None) -> None:
    current = get_lead(tenant_id, lead_id)
    _check_precondition(current, if_match)
    _writing(lambda: repository.delete(tenant_id, current), if_match=if_match)


def _change(
    tenant_id: str,
    lead_id: str,
    if_match: str | None,
    change: Callable[[LeadData], LeadData],
    consents: Sequence[ConsentRecord] = (),
) -> StoredLead:
    current = get_lead(tenant_id, lead_id)
    _check_precondition(current, if_match)
    data = placement.place(tenant_id, change(current.data), current.data)
    if data == current.data and not consents:
        return current  # nothing changes: no write, same version and ETag
    return _writing(lambda: repository.update(tenant_id, current, data, consents=consents), if_match=if_match)


def _writing(write: Callable[[], Result], *, if_match: str | None) -> Result:
    """A repository write with its failures as the domain's errors."""
    try:
        return write()
    except repository.IdentityTaken as taken:
        raise errors.DuplicateLead(taken.matches) from taken
    except repository.ConcurrentModification as exc:
        if if_match is not None:
            raise errors.PreconditionFailed("The lead was changed by another request.") from exc
        raise errors.Conflict("The lead was changed by another request; read it again and retry.") from exc
    except repository.TooManyChanges as exc:
        raise errors.ValidationFailed(
            errors={"tags": [f"This change needs {exc.items} item writes; change fewer tags in one request."]}
        ) from exc


def _check_precondition(current: StoredLead, if_match: str | None) -> None:
    """If-Match: `*` or a list of ETags, one of which must be the lead's (strong comparison)."""
    if if_match is None:
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" not in tags and current.etag not in tags:
        raise errors.PreconditionFailed(f"The lead's ETag is {current.etag}.", etag=current.etag)


def _same_id(lead_id: str, body_id: Any) -> None:
    if body_id is not None and str(body_id) != lead_id:
        raise errors.ValidationFailed(errors={"id": ["The id must be the id in the URL (it cannot be changed)."]})
