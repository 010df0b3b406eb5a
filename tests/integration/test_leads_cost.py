"""DynamoDB calls and items per leads operation, metered on the client the domain uses (moto).

These are the figures in docs/access-patterns.md; a change that adds a call or reads more items fails here.
"""

from __future__ import annotations

import pytest

from leadgate import errors
from leadgate.leads import repository, service
from leadgate.leads.params import LeadListParams, LookupParams
from leadgate.leads.records import NewInquiry
from leadgate.leads.requests import LeadCreate, LeadData, LeadPatch
from leadgate.lists import Page
from leadgate_dev.bench.metering import metered_dynamodb


def listed(tenant: str, query: dict[str, str]) -> Page:
    return service.list_leads(tenant, LeadListParams.model_validate(query))


@pytest.fixture
def tenant(aws):
    """40 leads: every 4th `won`, the rest `new`; every 5th tagged `vip`."""
    for i in range(40):
        service.create_lead(
            "acme",
            LeadCreate(
                first_name=f"P{i:02}",
                email=f"p{i}@example.com",
                phone=f"090-1234-{i:04}",
                status="won" if i % 4 == 0 else "new",
                source="web",
                tags=["vip"] if i % 5 == 0 else [],
            ),
        )
    return "acme"


def metered(operation):
    with metered_dynamodb() as meter:
        result = operation()
    return meter, result


def test_single_lead_operations(tenant):
    lead = repository.create(tenant, LeadData(first_name="New", email="new@example.com", status="new"))

    meter, _ = metered(
        lambda: service.create_lead(tenant, LeadCreate(first_name="X", email="x@example.com", tags=["a"]))
    )
    # A tag new to the catalog: resolved with the tag sequence (BatchGetItem); its id, claim and record ride in the
    # lead's transaction, with ONE tag count item and the stage's count shard; the default pipeline's marker (where
    # a lead naming no stage lands); then the counters.
    assert meter.calls == {"BatchGetItem": 1, "GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1}

    meter, _ = metered(lambda: service.get_lead(tenant, lead.id))
    assert meter.calls == {"GetItem": 1}
    assert meter.items_read == 1

    meter, _ = metered(lambda: service.patch_lead(tenant, lead.id, LeadPatch(notes="no counter changes"), None))
    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1}
    assert meter.items_written == 1

    meter, _ = metered(lambda: service.patch_lead(tenant, lead.id, LeadPatch(status="won"), None))
    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}

    meter, _ = metered(lambda: service.patch_lead(tenant, lead.id, LeadPatch(status="won"), None))
    assert meter.calls == {"GetItem": 1}  # nothing changes: nothing written

    meter, _ = metered(lambda: service.patch_lead(tenant, lead.id, LeadPatch(email="moved@example.com"), None))
    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1}
    assert meter.items_written == 1 + 2 + 2  # lead, old email freed + new claimed, one search token out + in

    meter, _ = metered(lambda: service.add_tag(tenant, lead.id, "a", None))  # in the catalog: resolved only
    assert meter.calls == {"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}
    assert meter.items_written == 2 + 1 + 1  # lead and TAG# item, the tag count item; the counters

    meter, _ = metered(lambda: service.lookup(tenant, LookupParams(email="MOVED@example.com")))
    assert meter.calls == {"GetItem": 2}  # the identity item, then the lead (both strongly consistent)

    with metered_dynamodb() as meter, pytest.raises(errors.AmbiguousDuplicate):
        service.lookup(tenant, LookupParams(email="moved@example.com", phone="090-1234-0001"))
    assert meter.calls == {"BatchGetItem": 1}  # two different leads: 409 before reading either

    meter, _ = metered(lambda: service.delete_lead(tenant, lead.id, None))
    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}


def test_a_duplicate_create_costs_one_call(tenant):
    with metered_dynamodb() as meter, pytest.raises(errors.DuplicateLead):
        service.create_lead(tenant, LeadCreate(first_name="D", email="p1@example.com"))

    # The default pipeline's marker; the winner's id comes back with the cancellation.
    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1}


def test_deleting_a_lead_with_inquiries_batches_their_deletion(tenant):
    lead = repository.create(
        tenant, LeadData(first_name="I"), inquiries=[NewInquiry("api", {"n": n}) for n in range(30)]
    )

    meter, _ = metered(lambda: service.delete_lead(tenant, lead.id, None))

    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1, "Query": 1, "BatchWriteItem": 2}
    assert meter.items_written == 1 + len(lead.search_tokens) + 1 + 30  # transaction, counters, inquiries


LIST_COSTS = [
    # (query, calls, items read)
    # The base table's LEAD# items are the leads: one Query (page + 1 lookahead) and the STATS counter.
    ({}, {"Query": 1, "GetItem": 1}, 16 + 1),
    # An equality filter: page + 1 keys from its KEYS_ONLY index, one BatchGetItem of 15 leads + STATS.
    ({"status": "new"}, {"Query": 1, "BatchGetItem": 1}, 16 + 15 + 1),
    ({"tag": "vip"}, {"Query": 1, "BatchGetItem": 1}, 8 + 8 + 1),
    ({"sort": "email", "direction": "asc"}, {"Query": 1, "BatchGetItem": 1}, 16 + 15 + 1),
    # p1, p10-p19: 21 tokens (names and emails) of 11 leads; no counter for a search.
    ({"search": "p1"}, {"Query": 1, "BatchGetItem": 1}, 21 + 11),
    ({"created_after": "2026-01-01"}, {"Query": 1}, 16),  # a range has no counter either
    # page 3 without a cursor: 30 keys skipped on by_created, then the page.
    ({"page": "3"}, {"Query": 2, "GetItem": 1}, 30 + 10 + 1),
]


def test_list_pages_read_about_as_many_items_as_they_return(tenant):
    for query, calls, read in LIST_COSTS:
        meter, _ = metered(lambda query=query: listed(tenant, query))

        assert (meter.calls, meter.items_read) == (calls, read), query

    # A cursor page costs what the first page does: the last 15 of 30, no lookahead key left.
    first = listed(tenant, {"status": "new"})
    cursor = first.next_cursor
    meter, _ = metered(lambda: listed(tenant, {"status": "new", "cursor": cursor}))
    assert (meter.calls, meter.items_read) == ({"Query": 1, "BatchGetItem": 1}, 15 + 15 + 1)

    # status=won is served by its index; tag=vip is checked in memory: at most 5 x per_page leads hydrated.
    meter, page = metered(lambda: listed(tenant, {"status": "won", "tag": "vip", "per_page": "2"}))
    assert meter.calls["Query"] == 1
    assert meter.items_read - 11 <= 5 * 2  # 11: the index keys read (budget + 1)
    assert [lead["first_name"] for lead in page.records] == ["P20", "P00"]
