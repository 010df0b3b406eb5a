"""POST /public/api/leads: HOTLEAD's registration, through the inbound handler with API Gateway events."""

import copy
import json

import pytest

from tests.support.inbound import call, get_lead, hotlead, inquiries, items, kinds, lead_ids
from tests.support.samples import sample_event

HOTLEAD_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "strict-transport-security": "max-age=10886400; includeSubdomains",
    "vary": "Origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "1; mode=block",
}


def registration(**profile):
    body = json.loads(sample_event("inbound", "hotlead")["body"])
    body["profile"].update(profile)
    return body


def test_a_registration_answers_204_with_hotleads_headers_and_creates_the_lead(aws):
    event = sample_event("inbound", "hotlead")
    sent = json.loads(event["body"])

    reply = call(event)

    assert reply.status == 204
    assert reply.raw_body == ""
    assert {name: reply.headers.get(name) for name in HOTLEAD_HEADERS} == HOTLEAD_HEADERS
    (lead_id,) = lead_ids("1024")
    lead = get_lead(lead_id, tenant="1024").body["data"]
    assert (lead["last_name"], lead["first_name"]) == ("山田", "太郎")
    assert (lead["last_name_kana"], lead["first_name_kana"]) == ("ヤマダ", "タロウ")
    assert lead["display_name"] == "山田 太郎"
    assert lead["email_normalized"] == "taro.yamada@example.jp"
    assert lead["phone"] == "090-1234-5678"
    assert lead["phone_e164"] == "+819012345678"
    assert lead["address"] == "東京都千代田区丸の内1-1-1"
    assert lead["source"] == "suumo.jp"
    assert lead["inquiry_count"] == 1
    (inquiry,) = inquiries(lead_id, tenant="1024")
    assert inquiry["channel"] == "hotlead"
    assert inquiry["payload"] == sent  # the inquiry details (property, message) kept as sent
    assert inquiry["occurred_at"] == "2024-04-22T01:00:01.000+00:00"
    assert inquiry["media_domain"] == "suumo.jp"
    assert inquiry["client_id"] == "client-hotlead"
    assert inquiry["received_at"]


def test_the_same_person_registered_again_is_matched_and_both_inquiries_are_kept(aws):
    first = registration()
    second = registration(
        name="山田 太郎",
        email=" TARO.YAMADA@EXAMPLE.JP",
        phone="０９０ー１２３４ー５６７８",
        address="東京都港区1-2-3",
        name_kana=None,
    )
    second["media_domain"] = "homes.co.jp"
    second["created_at"] = "2024-05-01T12:00:00+09:00"

    assert call(hotlead(first)).status == 204
    assert call(hotlead(second)).status == 204

    (lead_id,) = lead_ids("1024")
    lead = get_lead(lead_id, tenant="1024").body["data"]
    assert lead["address"] == "東京都千代田区丸の内1-1-1"  # filled fields are not overwritten
    assert lead["source"] == "suumo.jp"
    assert lead["inquiry_count"] == 2
    newest, oldest = inquiries(lead_id, tenant="1024")
    assert (newest["payload"], oldest["payload"]) == (second, first)
    assert newest["media_domain"] == "homes.co.jp"
    assert newest["merge"]["kept"]["address"] == "東京都港区1-2-3"  # the differing value is on record
    assert oldest["merge"] is None  # the first inquiry created the lead
    assert kinds("1024")["EMAIL"] == kinds("1024")["PHONE"] == 1


def test_a_matched_registration_fills_the_empty_phone_and_claims_it(aws):
    assert call(hotlead(registration(phone=None, address=None))).status == 204
    assert call(hotlead(registration())).status == 204

    (lead_id,) = lead_ids("1024")
    lead = get_lead(lead_id, tenant="1024").body["data"]
    assert lead["phone_e164"] == "+819012345678"
    assert lead["address"] == "東京都千代田区丸の内1-1-1"
    assert "PHONE#+819012345678" in items("1024")


def test_unit_id_may_be_sent_as_a_string(aws):
    body = registration()
    body["unit_id"] = "1024"

    assert call(hotlead(body)).status == 204


@pytest.mark.parametrize("unit_id", [1025, "acme", 0])
def test_another_units_registration_is_forbidden_and_writes_nothing(aws, unit_id):
    body = registration()
    body["unit_id"] = unit_id

    reply = call(hotlead(body))

    assert reply.status == 403
    assert reply.body["code"] == "FORBIDDEN"
    assert "unit_id" in reply.body["errors"]
    assert items("1024") == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body["profile"].update(email="taro@"), "profile.email"),
        (lambda body: body["profile"].update(phone="090 1234 567"), "profile.phone"),
        (lambda body: body["profile"].update(email=None, phone=None), "profile.email"),
        (lambda body: body["profile"].pop("name"), "profile.name"),
        (lambda body: body["profile"].update(name=["山田"]), "profile.name"),
        (lambda body: body["profile"].update(nickname="たろ"), "profile.nickname"),
        (lambda body: body.update(created_at="2024-04-22T10:00:01"), "created_at"),
        (lambda body: body.update(created_at="yesterday"), "created_at"),
        (lambda body: body.pop("media_domain"), "media_domain"),
        (lambda body: body.update(unit_id=True), "unit_id"),
        (lambda body: body.update(inquiry="内見希望"), "inquiry"),
        (lambda body: body.update(campaign="spring"), "campaign"),
        (lambda body: body["profile"].update(name="山" * 201), "profile.name"),
        (lambda body: body.update(media_domain="a" * 150 + ".jp"), "media_domain"),
    ],
)
def test_bad_registrations_are_422_naming_the_field_and_write_nothing(aws, change, field):
    body = registration()
    change(body)

    reply = call(hotlead(body))

    assert reply.status == 422, reply.body
    assert reply.body["status"] == "error"
    assert reply.body["code"] == "VALIDATION_FAILED"
    assert field in reply.body["errors"]
    assert items("1024") == {}


def test_a_dry_run_answers_204_and_writes_nothing(aws):
    reply = call(hotlead(registration(), query={"dry_run": "true"}))

    assert reply.status == 204
    assert items("1024") == {}


def test_an_email_of_one_lead_and_a_phone_of_another_is_ambiguous(aws):
    call(hotlead(registration(phone=None)))
    call(hotlead(registration(email="hanako@example.jp", phone="080-2345-6789")))
    before = copy.deepcopy(items("1024"))

    reply = call(hotlead(registration(phone="080-2345-6789")))

    assert reply.status == 409
    assert reply.body["code"] == "DUPLICATE_AMBIGUOUS"
    assert set(reply.body["lead_ids"]) == {"email", "phone"}
    assert set(reply.body["lead_ids"].values()) == set(lead_ids("1024"))
    assert items("1024") == before


def test_a_name_without_a_space_is_the_family_name(aws):
    assert call(hotlead(registration(name="山田太郎", name_kana="ヤマダタロウ"))).status == 204

    (lead_id,) = lead_ids("1024")
    lead = get_lead(lead_id, tenant="1024").body["data"]
    assert (lead["last_name"], lead["first_name"], lead["display_name"]) == ("山田太郎", None, "山田太郎")
    assert lead["last_name_kana"] == "ヤマダタロウ"


def test_a_name_too_long_for_the_name_fields_is_kept_whole_as_the_display_name(aws):
    assert call(hotlead(registration(name="山" * 150))).status == 204

    (lead_id,) = lead_ids("1024")
    lead = get_lead(lead_id, tenant="1024").body["data"]
    assert (lead["last_name"], lead["first_name"], lead["display_name"]) == (None, None, "山" * 150)
