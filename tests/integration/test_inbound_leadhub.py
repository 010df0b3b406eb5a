"""POST /api/inbound/leads?tenant={slug}: LeadHub's inbound endpoint, with API Gateway events on moto."""

import copy
import json

import pytest

from leadgate.bodies import SINGLE_LEAD
from tests.support.inbound import call, get_lead, inbound, inquiries, items, kinds, lead_ids, post
from tests.support.samples import sample_event

MAX_BODY_BYTES = SINGLE_LEAD.max_bytes

SARAH = json.loads(sample_event("inbound", "leadhub")["body"])


def test_a_new_lead_is_201_created_in_leadhubs_shape(aws):
    reply = call(sample_event("inbound", "leadhub"))

    assert reply.status == 201
    assert reply.body == {
        "status": "created",
        "lead_id": lead_ids("acme")[0],
        "is_duplicate": False,
        "matched_on": [],
    }
    lead = get_lead(reply.body["lead_id"]).body["data"]
    assert {name: lead[name] for name in SARAH} == SARAH
    assert lead["phone_e164"] == "+14155551234"
    (inquiry,) = inquiries(lead["id"])
    assert (inquiry["channel"], inquiry["source"], inquiry["payload"]) == ("leadhub", "zapier", SARAH)
    assert inquiry["occurred_at"] is None


def test_the_same_person_again_is_200_duplicate_naming_the_existing_lead(aws):
    created = call(inbound(SARAH)).body
    again = {
        "email": " Sarah@EXAMPLE.com ",
        "first_name": "Sally",
        "phone": "+1 (415) 555-1234",
        "company": "Other Corp",
        "notes": "Asked for a demo",
        "tags": ["demo", "newsletter"],
        "custom_fields": {"utm_campaign": "summer", "utm_source": "blog"},
        "created_at": "2026-03-28T09:15:00+09:00",
    }

    reply = call(inbound(again))

    assert reply.status == 200
    assert reply.body == {
        "status": "duplicate",
        "lead_id": created["lead_id"],
        "is_duplicate": True,
        "matched_on": ["email", "phone"],
    }
    lead = get_lead(created["lead_id"]).body["data"]
    assert (lead["first_name"], lead["company"], lead["notes"]) == ("Sarah", "Tech Corp", SARAH["notes"])
    assert lead["tags"] == ["newsletter", "demo"]
    assert lead["custom_fields"] == {"utm_campaign": "spring-promo", "utm_source": "blog"}
    assert lead["inquiry_count"] == 2
    newest, _ = inquiries(created["lead_id"])
    assert newest["payload"] == again
    assert newest["occurred_at"] == "2026-03-28T00:15:00.000+00:00"
    assert len(lead_ids("acme")) == 1


def test_a_match_on_the_phone_alone_is_a_duplicate(aws):
    created = call(inbound(SARAH)).body

    reply = call(inbound({"email": "sarah.j@home.example", "phone": "+1 415-555-1234"}))

    assert reply.status == 200
    assert reply.body["lead_id"] == created["lead_id"]
    assert reply.body["matched_on"] == ["phone"]
    assert kinds("acme")["EMAIL"] == 1  # the lead keeps its email; the other one is kept in the inquiry


def test_tenants_are_separate(aws):
    call(inbound(SARAH))

    reply = call(inbound(SARAH, tenant="beta"))

    assert reply.status == 201
    assert len(lead_ids("acme")) == len(lead_ids("beta")) == 1


def test_another_tenants_slug_is_forbidden_and_writes_nothing(aws):
    event = post("/api/inbound/leads", SARAH, tenant="acme", query={"tenant": "beta"})

    reply = call(event)

    assert reply.status == 403
    assert reply.body["code"] == "FORBIDDEN"
    assert items("acme") == items("beta") == {}


def test_the_tenant_slug_is_required(aws):
    reply = call(post("/api/inbound/leads", SARAH))

    assert reply.status == 422
    assert reply.body["errors"] == {"tenant": ["This field is required."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SARAH, "email": None}, "email"),
        ({key: value for key, value in SARAH.items() if key != "email"}, "email"),
        ({**SARAH, "email": "sarah"}, "email"),
        ({**SARAH, "email": ["sarah@example.com"]}, "email"),
        ({**SARAH, "phone": "12345"}, "phone"),
        ({**SARAH, "phone": 4155551234}, "phone"),
        ({**SARAH, "first_name": 7}, "first_name"),
        ({**SARAH, "tags": "newsletter"}, "tags"),
        ({**SARAH, "tags": ["a#b"]}, "tags.0"),
        ({**SARAH, "custom_fields": {"nested": {"a": 1}}}, "custom_fields.nested"),
        ({**SARAH, "lead_score": "high"}, "lead_score"),
        ({**SARAH, "created_at": "2026-03-28 09:15"}, "created_at"),
        ({**SARAH, "favourite_colour": "blue"}, "favourite_colour"),
        ({**SARAH, "id": 1842}, "id"),
        (["not", "an", "object"], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(aws, body, field):
    reply = call(inbound(body))

    assert reply.status == 422, reply.body
    assert reply.body["code"] == "VALIDATION_FAILED"
    assert field in reply.body["errors"], reply.body["errors"]
    assert items("acme") == {}


def test_an_oversized_body_is_413(aws):
    reply = call(inbound({**SARAH, "notes": "x" * MAX_BODY_BYTES}))

    assert reply.status == 413
    assert reply.body["code"] == "PAYLOAD_TOO_LARGE"
    assert items("acme") == {}


def test_a_body_that_is_not_json_is_415(aws):
    event = inbound(SARAH)
    event["headers"]["Content-Type"] = "application/x-www-form-urlencoded"
    event["body"] = "email=sarah%40example.com"

    reply = call(event)

    assert reply.status == 415
    assert reply.body["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(("raw", "code"), [('{"email": ', "INVALID_JSON"), ("", "BAD_REQUEST")])
def test_malformed_or_empty_bodies_are_400(aws, raw, code):
    reply = call(inbound(raw, headers={"Content-Type": "application/json"}))

    assert reply.status == 400
    assert reply.body["code"] == code


def test_a_dry_run_answers_the_same_and_writes_nothing(aws):
    created = call(inbound(SARAH)).body
    before = copy.deepcopy(items("acme"))

    new = call(inbound({"email": "new@example.com", "first_name": "New"}, query={"dry_run": "true"}))
    duplicate = call(inbound({**SARAH, "company": "X"}, query={"dry_run": "true"}))

    assert (new.status, new.body) == (
        200,
        {"status": "created", "lead_id": None, "is_duplicate": False, "matched_on": [], "dry_run": True},
    )
    assert duplicate.status == 200
    assert duplicate.body["is_duplicate"] is True
    assert duplicate.body["lead_id"] == created["lead_id"]
    assert items("acme") == before


def test_dry_run_must_be_a_boolean(aws):
    reply = call(inbound(SARAH, query={"dry_run": "maybe"}))

    assert reply.status == 422  # a query parameter, checked like every other
    assert "dry_run" in reply.body["errors"]
    assert items("acme") == {}


def test_an_email_of_one_lead_and_a_phone_of_another_is_409_ambiguous_and_writes_nothing(aws):
    sarah = call(inbound(SARAH)).body["lead_id"]
    taro = call(inbound({"email": "taro@example.jp", "phone": "090-1234-5678", "first_name": "太郎"})).body["lead_id"]
    before = copy.deepcopy(items("acme"))

    reply = call(inbound({"email": "SARAH@example.com", "phone": "09012345678"}))

    assert reply.status == 409
    assert reply.body["code"] == "DUPLICATE_AMBIGUOUS"
    assert reply.body["lead_ids"] == {"email": sarah, "phone": taro}
    assert set(reply.body["errors"]) == {"email", "phone"}
    assert items("acme") == before


def test_a_lead_with_only_an_email_is_created(aws):
    reply = call(inbound({"email": "only@example.com"}))

    assert reply.status == 201
    lead = get_lead(reply.body["lead_id"]).body["data"]
    assert (lead["email"], lead["first_name"], lead["last_name"]) == ("only@example.com", None, None)
