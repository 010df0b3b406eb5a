# ruff: noqa: RUF001  (full-width spellings are the inputs under test)
"""POST /api/v1/leads/upsert: create-or-update keyed by email or phone (HubSpot's createOrUpdate)."""

import copy
import json

import pytest

from tests.support.inbound import call, get_lead, inquiries, items, lead_ids, lookup, upsert
from tests.support.samples import sample_event

HANAKO = json.loads(sample_event("inbound", "upsert")["body"])


def test_a_new_person_is_201_created_with_the_lead(aws):
    reply = call(sample_event("inbound", "upsert"))

    assert reply.status == 201
    lead = reply.body["data"]
    assert reply.body["meta"] == {"result": "created", "is_new": True, "lead_id": lead["id"], "matched_on": []}
    assert reply.headers["etag"] == '"1"'
    assert (lead["last_name_kana"], lead["first_name_kana"]) == ("サトウ", "ハナコ")
    assert lead["email_normalized"] == "hanako.sato@example.co.jp"
    assert get_lead(lead["id"]).body["data"] == lead
    (inquiry,) = inquiries(lead["id"])
    assert (inquiry["channel"], inquiry["payload"]) == ("api", HANAKO)


def test_a_known_person_is_200_updated_and_the_previous_values_reported(aws):
    created = call(upsert(HANAKO)).body["data"]

    reply = call(
        upsert(
            {
                "phone": "+81 3-1234-5678",
                "company": "佐藤ホールディングス",
                "notes": "折り返し希望",
                "tags": ["callback"],
                "custom_fields": {"budget": "20000"},
            }
        )
    )

    assert reply.status == 200
    lead = reply.body["data"]
    assert lead["id"] == created["id"]
    assert reply.body["meta"] == {
        "result": "matched",
        "is_new": False,
        "lead_id": created["id"],
        "matched_on": ["phone"],
        "merge": {
            "policy": "update",
            "filled": ["notes", "tags"],
            "kept": {},
            "replaced": {"company": "佐藤商事", "custom_fields.budget": "10000"},
        },
    }
    assert (lead["company"], lead["notes"], lead["phone"]) == (
        "佐藤ホールディングス",
        "折り返し希望",
        "03-1234-5678",  # the same number respelled is not a change
    )
    assert lead["tags"] == ["vip", "callback"]
    assert lead["custom_fields"] == {"budget": "20000"}
    assert (lead["first_name"], lead["email"]) == ("花子", "Hanako.Sato@Example.co.jp")  # not sent: unchanged
    assert reply.headers["etag"] == '"2"'
    assert lead["inquiry_count"] == 2


def test_an_update_that_changes_the_phone_moves_the_identity(aws):
    created = call(upsert(HANAKO)).body["data"]

    reply = call(upsert({"email": "hanako.sato@example.co.jp", "phone": "080-9876-5432"}))

    assert reply.status == 200
    assert reply.body["meta"]["matched_on"] == ["email"]
    assert lookup(phone="080-9876-5432").body["data"]["id"] == created["id"]
    assert lookup(phone="03-1234-5678").status == 404
    assert "PHONE#+81312345678" not in items("acme")


def test_matching_on_the_email_in_another_spelling(aws):
    created = call(upsert(HANAKO)).body["data"]

    reply = call(upsert({"email": "ｈａｎａｋｏ．ｓａｔｏ＠ＥＸＡＭＰＬＥ．ＣＯ．ＪＰ", "first_name": "はなこ"}))

    assert reply.status == 200
    assert reply.body["meta"]["lead_id"] == created["id"]
    assert reply.body["data"]["email"] == HANAKO["email"]  # the same address respelled is not a change
    assert reply.body["meta"]["merge"]["replaced"] == {"first_name": "花子"}


def test_an_unchanged_upsert_still_records_the_inquiry(aws):
    created = call(upsert(HANAKO)).body["data"]

    reply = call(upsert(HANAKO))

    assert reply.status == 200
    assert reply.body["meta"]["merge"] == {"policy": "update", "filled": [], "kept": {}, "replaced": {}}
    assert reply.body["data"]["inquiry_count"] == 2
    assert len(inquiries(created["id"])) == 2


def test_email_and_phone_of_two_leads_is_409_ambiguous_and_writes_nothing(aws):
    hanako = call(upsert(HANAKO)).body["data"]["id"]
    taro = call(upsert({"email": "taro@example.jp", "first_name": "太郎"})).body["data"]["id"]
    before = copy.deepcopy(items("acme"))

    reply = call(upsert({"email": "taro@example.jp", "phone": "0312345678"}))

    assert reply.status == 409
    assert reply.body["code"] == "DUPLICATE_AMBIGUOUS"
    assert reply.body["lead_ids"] == {"email": taro, "phone": hanako}
    assert items("acme") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "名無し"}, "email"),
        ({"email": "hanako@", "first_name": "花子"}, "email"),
        ({"phone": "03-1234", "first_name": "花子"}, "phone"),
        ({**HANAKO, "starred": "yes"}, "starred"),
        ({**HANAKO, "pipeline_id": -1}, "pipeline_id"),
        ({**HANAKO, "tags": ["x"] * 51}, "tags"),
        ({**HANAKO, "properties": [{"property": "email"}]}, "properties"),
    ],
)
def test_bad_input_is_422_and_writes_nothing(aws, body, field):
    reply = call(upsert(body))

    assert reply.status == 422
    assert field in reply.body["errors"], reply.body
    assert items("acme") == {}


def test_a_dry_run_reports_the_decision_and_writes_nothing(aws):
    created = call(upsert(HANAKO)).body["data"]
    before = copy.deepcopy(items("acme"))

    matched = call(upsert({**HANAKO, "company": "新社名"}, query={"dry_run": "true"}))
    new = call(upsert({"email": "new@example.com", "first_name": "新"}, query={"dry_run": "1"}))

    assert matched.status == 200
    assert matched.body["data"] is None
    assert matched.body["meta"]["lead_id"] == created["id"]
    assert matched.body["meta"]["merge"]["replaced"] == {"company": "佐藤商事"}
    assert matched.body["meta"]["dry_run"] is True
    assert new.status == 200
    assert new.body["meta"] == {"result": "created", "is_new": True, "lead_id": None, "matched_on": [], "dry_run": True}
    assert items("acme") == before
    assert len(lead_ids("acme")) == 1
