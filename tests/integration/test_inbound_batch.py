# ruff: noqa: RUF001  (full-width spellings are the inputs under test)
"""POST /api/v1/leads/batch: up to 100 leads, one result per item, duplicates in a batch resolved in order."""

import copy
import json

import pytest

from leadgate.bodies import SINGLE_LEAD
from tests.support.inbound import batch, call, get_lead, inquiries, items, kinds, lead_ids
from tests.support.samples import sample_event

MAX_BODY_BYTES = SINGLE_LEAD.max_bytes

ICHIRO = {"email": "ichiro@example.jp", "first_name": "一郎", "last_name": "鈴木"}


def test_each_item_gets_its_result(aws):
    sent = json.loads(sample_event("inbound", "batch")["body"])["leads"]

    reply = call(sample_event("inbound", "batch"))

    assert reply.status == 200
    created, matched, failed = reply.body["data"]
    (lead_id,) = lead_ids("acme")
    assert created == {
        "index": 0,
        "status": "created",
        "result": "created",
        "is_new": True,
        "lead_id": lead_id,
        "matched_on": [],
    }
    assert matched["status"] == "matched"
    assert (matched["index"], matched["lead_id"], matched["matched_on"]) == (1, lead_id, ["email"])
    assert matched["merge"] == {"policy": "fill", "filled": ["phone", "tags"], "kept": {}, "replaced": {}}
    assert failed == {
        "index": 2,
        "status": "failed",
        "code": "VALIDATION_FAILED",
        "message": "The given data was invalid.",
        "errors": {"phone": ["The phone field must be a valid phone number."]},
    }
    assert reply.body["meta"] == {"total": 3, "created": 1, "matched": 1, "failed": 1}
    lead = get_lead(lead_id).body["data"]
    assert (lead["phone_e164"], lead["tags"], lead["inquiry_count"]) == ("+818023456789", ["second-visit"], 2)
    assert [inquiry["payload"] for inquiry in reversed(inquiries(lead_id))] == sent[:2]
    assert {inquiry["channel"] for inquiry in inquiries(lead_id)} == {"batch"}


def test_duplicates_in_one_batch_resolve_to_the_first_occurrence(aws):
    leads = [
        {"phone": "090-1111-2222", "first_name": "A"},
        {"email": "b@example.com", "first_name": "B"},
        {"phone": "＋８１ ９０ １１１１ ２２２２", "email": "a@example.com"},
        {"email": "A@example.com", "company": "A社"},
        {"email": "B@EXAMPLE.COM", "phone": "09011112222"},
    ]

    results = call(batch({"leads": leads})).body["data"]

    assert [result["status"] for result in results] == ["created", "created", "matched", "matched", "failed"]
    a, b = results[0]["lead_id"], results[1]["lead_id"]
    assert (results[2]["lead_id"], results[3]["lead_id"]) == (a, a)
    assert results[4]["code"] == "DUPLICATE_AMBIGUOUS"
    assert results[4]["lead_ids"] == {"email": b, "phone": a}
    assert get_lead(a).body["data"]["company"] == "A社"
    assert sorted(lead_ids("acme")) == sorted([a, b])
    assert kinds("acme")["INQ"] == 4


def test_a_dry_run_batch_answers_the_same_and_writes_nothing(aws):
    existing = call(batch({"leads": [ICHIRO]})).body["data"][0]["lead_id"]
    before = copy.deepcopy(items("acme"))
    leads = [
        {"email": "new@example.com", "phone": "080-3333-4444", "first_name": "新"},
        {"phone": "08033334444"},
        {"email": "ICHIRO@example.jp", "phone": "070-5555-6666"},
        {"phone": "070-5555-6666", "email": "new@example.com"},
        {"email": "broken"},
    ]

    reply = call(batch({"leads": leads}, query={"dry_run": "true"}))

    results = reply.body["data"]
    assert [result["status"] for result in results] == ["created", "matched", "matched", "failed", "failed"]
    assert results[0]["lead_id"] is None
    assert (results[1]["lead_id"], results[1]["matched_item"]) == (None, 0)
    assert results[2]["lead_id"] == existing
    assert results[2]["merge"]["filled"] == ["phone"]
    assert results[3]["code"] == "DUPLICATE_AMBIGUOUS"  # its phone would have gone to ICHIRO, its email to item 0
    assert reply.body["meta"] == {"total": 5, "created": 1, "matched": 2, "failed": 2, "dry_run": True}
    assert items("acme") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"leads": []}, "leads"),
        ({"leads": [ICHIRO] * 101}, "leads"),
        ({"leads": ICHIRO}, "leads"),
        ({"items": [ICHIRO]}, "items"),
        ([ICHIRO], "body"),
    ],
)
def test_a_malformed_batch_is_422_and_writes_nothing(aws, body, field):
    reply = call(batch(body))

    assert reply.status == 422
    assert field in reply.body["errors"], reply.body
    assert items("acme") == {}


def test_a_full_batch_of_100_is_taken_in(aws):
    leads = [{"email": f"person{index}@example.com", "first_name": f"P{index}"} for index in range(100)]

    reply = call(batch({"leads": leads}))

    assert reply.body["meta"] == {"total": 100, "created": 100, "matched": 0, "failed": 0}
    assert len(lead_ids("acme")) == 100


def test_an_oversized_item_fails_alone(aws):
    leads = [{**ICHIRO, "notes": "x" * MAX_BODY_BYTES}, ICHIRO]
    assert len(json.dumps(leads[0])) > MAX_BODY_BYTES

    results = call(batch({"leads": leads})).body["data"]

    assert (results[0]["status"], results[0]["code"]) == ("failed", "PAYLOAD_TOO_LARGE")
    assert results[1]["status"] == "created"
