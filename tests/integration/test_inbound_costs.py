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
