"""The one table from error type to HTTP status, and the one list envelope (leadgate.api, leadgate.envelopes)."""

import json

import pytest

from leadgate import errors, http_errors
from leadgate.api import STATUSES, error_response, status_of
from leadgate.envelopes import ListLinks, ListMeta, list_envelope
from leadgate.lists import Page
from leadgate.webhooks.queue import QueueUnavailable


def every_error_type(base: type = errors.DomainError) -> list[type]:
    return [base, *(found for sub in base.__subclasses__() for found in every_error_type(sub))]


@pytest.mark.parametrize("kind", every_error_type(), ids=lambda kind: kind.__name__)
def test_every_error_type_has_a_status(kind):
    assert any(cls in STATUSES for cls in kind.__mro__)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.AmbiguousDuplicate({"email": "a", "phone": "b"}), 409, "DUPLICATE_AMBIGUOUS"),
        (errors.DuplicateLead({"phone": "b"}), 409, "DUPLICATE_LEAD"),
        (errors.Conflict(), 409, "CONFLICT"),
        (errors.InvalidPosition(code="PAGE_OUT_OF_REACH"), 400, "PAGE_OUT_OF_REACH"),
        (errors.UnreadableRecord(), 500, "UNREADABLE_RECORD"),
        (errors.IdempotencyKeyReused(), 422, "IDEMPOTENCY_KEY_REUSED"),
        (http_errors.Forbidden(), 403, "FORBIDDEN"),
        (errors.DomainError(), 500, "SERVER_ERROR"),
    ],
)
def test_status_and_code(error, status, code):
    assert (status_of(error), error.code) == (status, code)


def test_what_the_client_needs_to_act_becomes_headers():
    queued = error_response(QueueUnavailable())
    assert (queued.status_code, queued.headers["Retry-After"]) == (503, "30")
    stale = error_response(errors.PreconditionFailed("changed", etag='"v2"'))
    assert (stale.status_code, stale.headers["ETag"]) == (412, '"v2"')
    ambiguous = json.loads(error_response(errors.AmbiguousDuplicate({"email": "L1", "phone": "L2"})).body)
    assert ambiguous["lead_ids"] == {"email": "L1", "phone": "L2"}
    assert ambiguous["errors"] == {"email": ["Belongs to lead L1."], "phone": ["Belongs to lead L2."]}


def link(*, without=(), keep_empty=False, **params):
    return "u?" + "&".join(f"{name}={value}" for name, value in params.items())


def test_a_list_read_by_cursor_only_has_no_page_links():
    envelope = list_envelope(Page([{"id": "a"}], 1, "next-cursor"), link)
    assert envelope["meta"] == {
        "current_page": None,
        "last_page": None,
        "per_page": 1,
        "total": None,
        "from": None,
        "to": None,
        "next_cursor": "next-cursor",
    }
    assert envelope["links"] == {
        "first": "u?",
        "last": None,
        "prev": None,
        "next": "u?cursor=next-cursor",
        "self": "u?",
    }
    ListMeta.model_validate(envelope["meta"])
    ListLinks.model_validate(envelope["links"])


def test_a_numbered_last_page_knows_its_total_and_links_back():
    page = Page([{"id": "c"}], 2, None, number=2, offset=2, numbered_pages=True, max_offset=10_000)
    envelope = list_envelope(page, link)
    assert (envelope["meta"]["total"], envelope["meta"]["last_page"], envelope["meta"]["from"]) == (3, 2, 3)
    assert (envelope["links"]["first"], envelope["links"]["prev"], envelope["links"]["last"]) == (
        "u?page=1",
        "u?page=1",
        "u?page=2",
    )
