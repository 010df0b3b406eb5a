"""What one intake asks of the leads table: the minimum the dedup design needs, and nothing on a replay."""

import json

from leadgate.settings import get_settings
from leadgate_dev.bench.metering import metered_dynamodb
from tests.support.inbound import call, inbound
from tests.support.samples import sample_event

SARAH = json.loads(sample_event("inbound", "leadhub")["body"])  # email, phone, 1 tag, 1 custom field


def metered(event):
    with metered_dynamodb() as meter:
        reply = call(event)
    settings = get_settings()
    return reply, meter.table(settings.leads_table), meter.table(settings.idempotency_table)


def test_a_new_lead_costs_one_identity_read_and_one_transaction(aws):
    reply, leads, _ = metered(inbound(SARAH))

    assert reply.status == 201
    # BatchGetItem (both identities, strongly consistent), ONE transaction, then the tenant counters.
    assert dict(leads.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}
    assert leads.items_read == 2
    # lead, email, phone, tag, inquiry, its first stage's history item and 7 search tokens in the transaction; the
    # STATS counters after it.
    assert leads.items_written == 6 + 7 + 1


def test_a_match_costs_the_identity_read_the_lead_read_and_one_transaction(aws):
    call(inbound(SARAH))

    reply, leads, _ = metered(inbound(SARAH))

    assert reply.status == 200
    assert dict(leads.calls) == {"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}
    assert leads.items_read == 3
    assert leads.items_written == 2  # the lead (version, inquiry_count) and the inquiry


def test_an_ambiguous_intake_reads_the_identities_and_writes_nothing(aws):
    call(inbound(SARAH))
    call(inbound({"email": "taro@example.jp", "phone": "090-1234-5678", "first_name": "太郎"}))

    reply, leads, _ = metered(inbound({"email": SARAH["email"], "phone": "090-1234-5678"}))

    assert reply.status == 409
    assert dict(leads.calls) == {"BatchGetItem": 1}
    assert (leads.items_read, leads.items_written) == (2, 0)


def test_a_replay_never_touches_the_leads_table(aws):
    headers = {"Idempotency-Key": "cost-1"}
    _, _, first_idempotency = metered(inbound(SARAH, headers=headers))

    reply, leads, idempotency = metered(inbound(SARAH, headers=headers))

    assert reply.headers["idempotent-replayed"] == "true"
    assert leads.total_calls == 0
    assert dict(first_idempotency.calls) == {"PutItem": 1, "UpdateItem": 1}  # in progress, then completed
    assert dict(idempotency.calls) == {"PutItem": 1}  # the failed conditional put returns the stored record
    assert idempotency.items_written == 0


def test_a_new_lead_with_a_new_tag_costs_one_read_one_transaction_and_the_counters_on_every_table(aws):
    call(inbound({"email": "first@example.com"}))  # the tenant's first lead makes its default pipeline

    with metered_dynamodb() as new_tag:
        assert call(inbound(SARAH)).status == 201
    with metered_dynamodb() as known_tag:
        assert call(inbound({**SARAH, "email": "other@example.com", "phone": "+81 3-1111-2222"})).status == 201

    # ONE BatchGetItem on both tables: the identities, the default pipeline's marker (where the lead lands), the
    # tag's claim and the tag sequence. ONE transaction: the lead's items, the stage's count shard, the tag count
    # item and, for a name new to the catalog, the sequence moved to its id, its claim and its record. Then the
    # tenant's counters. No catalog transaction of its own, no id UpdateItem, no marker GetItem.
    settings = get_settings()
    for meter in (new_tag, known_tag):
        leads, workspace = meter.table(settings.leads_table), meter.table(settings.workspace_table)
        assert dict(leads.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}
        assert dict(workspace.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1}  # the same two calls
        assert (leads.items_read, workspace.items_read) == (2, 1 + 2)
    written = [meter.table(settings.leads_table).items_written for meter in (new_tag, known_tag)]
    assert written == [5 + 1 + 7 + 1] * 2  # as before the workspace, and the first stage's history item
    written = [meter.table(settings.workspace_table).items_written for meter in (new_tag, known_tag)]
    assert written == [2 + 3, 2]  # the stage's count shard, the tag count item; the sequence, claim and record
