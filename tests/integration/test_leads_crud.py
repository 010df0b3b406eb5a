# ruff: noqa: RUF001  (full-width look-alikes are inputs under test)
"""The leads handler on moto: create, read, replace, patch, delete, tags, ETags, identities, isolation."""

from __future__ import annotations

import pytest

from leadgate.leads import repository
from tests.support.leads import LeadsApi, leads_event
from tests.support.users import seed_users

SARAH = {
    "first_name": "Sarah",
    "last_name": "Johnson",
    "email": "sarah@example.com",
    "phone": "+14155551234",
    "source": "website",
    "status": "new",
    "pipeline_id": 1,
    "pipeline_stage_id": 2,
    "assigned_user_id": 5,
    "notes": "Interested in the enterprise plan.",
    "custom_fields": {"budget": "10000", "seats": 25, "trial": True, "ratio": 0.5, "empty": None},
    "tags": ["hot-lead", "enterprise"],
    "starred": True,
    "lead_score": 40,
}


@pytest.fixture
def api(aws, invoke):
    seed_users("acme")  # LeadHub's example assigns user 5
    return LeadsApi()


@pytest.fixture
def beta(aws, invoke):
    seed_users("beta")
    return LeadsApi(tenant="beta")


# ------------------------------------------------------------------ create and read


def test_the_sample_create_event_creates_leadhubs_example_lead(api):
    reply = api.send(leads_event("create"))

    assert reply.status == 201
    lead = reply.data
    assert reply.headers["Location"] == f"https://api.example.com/api/v1/leads/{lead['id']}"
    assert reply.headers["ETag"] == '"1"'
    assert reply.headers["X-Request-Id"] == "8f1c2a3e-0001-4c5d-9e6f-7a8b9c0d1e2f"
    assert lead["first_name"] == "Sarah"
    assert lead["pipeline_id"] == 1
    assert lead["assigned_user_id"] == 5
    assert lead["custom_fields"] == {"budget": "10000"}
    assert lead["tags"] == ["hot-lead", "enterprise"]
    assert lead["starred"] is False
    assert lead["lead_score"] == 0
    assert lead["phone_e164"] == "+14155551234"
    assert lead["created_at"] == lead["updated_at"]
    assert lead["created_at"].endswith("+00:00")


def test_the_sample_get_event_reads_the_lead_back_with_its_etag(api):
    created = api.create(**SARAH)

    reply = api.send(leads_event("get", created["id"]))

    assert reply.status == 200
    assert reply.data == created
    assert reply.headers["ETag"] == '"1"'


def test_values_keep_the_type_they_were_sent_with(api):
    created = api.create(first_name="A", custom_fields=SARAH["custom_fields"])

    lead = api.get(created["id"]).data

    assert lead["custom_fields"] == SARAH["custom_fields"]
    # Pipeline and stage ids name real workspace objects: tests/integration/test_pipelines_leads.py


def test_japanese_names_keep_family_and_given_names_with_katakana(api):
    lead = api.create(
        first_name="太郎", last_name="山田", first_name_kana="たろう", last_name_kana="ﾔﾏﾀﾞ", company="山田商事"
    )

    assert lead["first_name_kana"] == "タロウ"
    assert lead["last_name_kana"] == "ヤマダ"
    assert lead["display_name"] == "山田 太郎"
    assert api.create(first_name="Taro", last_name="Yamada")["display_name"] == "Taro Yamada"
    assert api.create(first_name="Taro", display_name="YAMADA Taro")["display_name"] == "YAMADA Taro"


def test_an_unknown_or_malformed_id_is_not_found(api):
    assert api.get("01ARZ3NDEKTSV4RRFFQ69G5FAV").status == 404
    reply = api.get("not-an-id")
    assert reply.status == 404
    assert reply.body["code"] == "NOT_FOUND"
    assert reply.headers["X-Request-Id"]


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "first_name", "This field is required."),
        ({"first_name": "   "}, "first_name", "String should have at least 1 character."),
        ({"first_name": "x" * 101}, "first_name", "String should have at most 100 characters."),
        ({"first_name": "A", "email": "not-an-email"}, "email", "The email field must be a valid email address."),
        ({"first_name": "A", "phone": "090 1234 567"}, "phone", "The phone field must be a valid phone number."),
        ({"first_name": "A", "tags": ["a#b"]}, "tags.0", "A tag is letters and digits, with '-', '_', ':' or '.'"),
        ({"first_name": "A", "tags": ["x" * 65]}, "tags.0", "String should have at most 64 characters."),
        ({"first_name": "A", "tags": [f"t{i}" for i in range(51)]}, "tags", "List should have at most 50 items"),
        ({"first_name": "A", "custom_fields": {f"k{i}": i for i in range(51)}}, "custom_fields", None),
        ({"first_name": "A", "custom_fields": {"nested": {"a": 1}}}, "custom_fields.nested", None),
        ({"first_name": "A", "starred": "yes"}, "starred", "Input should be a valid boolean."),
        ({"first_name": "A", "lead_score": 1.5}, "lead_score", "Input should be a valid integer."),
        ({"first_name": "A", "pipeline_id": True}, "pipeline_id", None),
        ({"first_name": "A", "frist_name": "typo"}, "frist_name", "This field is not allowed."),
        ({"first_name": "A", "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "id", "This field is not allowed."),
    ],
)
def test_invalid_bodies_are_rejected_with_the_field_and_write_nothing(api, body, field, message):
    reply = api.call("POST", "/api/v1/leads", body=body)

    assert reply.status == 422, reply.body
    assert reply.body["status"] == "error"
    assert reply.body["code"] == "VALIDATION_FAILED"
    assert field in reply.body["errors"], reply.body
    if message:
        assert reply.body["errors"][field][0].startswith(message.rstrip(".")), reply.body
    assert api.list().data == []


def test_malformed_json_is_a_400_invalid_json(api):
    reply = api.call("POST", "/api/v1/leads", body='{"first_name": "A",', headers={"Content-Type": "application/json"})

    assert reply.status == 400
    assert reply.body["code"] == "INVALID_JSON"
    assert api.list().data == []


def test_a_body_that_is_not_an_object_is_a_422(api):
    reply = api.call("POST", "/api/v1/leads", body=["first_name"])

    assert reply.status == 422
    assert reply.body["code"] == "VALIDATION_FAILED"


# ------------------------------------------------------------------ PUT and PATCH


def test_put_replaces_the_lead_and_resets_what_was_not_sent(api):
    lead = api.create(**SARAH)

    reply = api.call("PUT", f"/api/v1/leads/{lead['id']}", body={"first_name": "Sara", "email": "sara@example.com"})

    assert reply.status == 200
    replaced = reply.data
    assert replaced["first_name"] == "Sara"
    assert replaced["email"] == "sara@example.com"
    for name, default in {
        "last_name": None,
        "phone": None,
        "phone_e164": None,
        "source": None,
        "status": None,
        "pipeline_id": None,
        "notes": None,
        "custom_fields": {},
        "tags": [],
        "starred": False,
        "lead_score": 0,
    }.items():
        assert replaced[name] == default, name
    assert replaced["created_at"] == lead["created_at"]
    assert replaced["updated_at"] >= lead["updated_at"]
    assert reply.headers["ETag"] == '"2"'
    assert api.get(lead["id"]).data == replaced


def test_put_needs_first_name_and_accepts_a_read_back_record(api):
    lead = api.create(**SARAH)

    missing = api.call("PUT", f"/api/v1/leads/{lead['id']}", body={"last_name": "Only"})
    assert missing.status == 422
    assert missing.body["errors"] == {"first_name": ["This field is required."]}

    unchanged = api.call("PUT", f"/api/v1/leads/{lead['id']}", body=lead)
    assert unchanged.status == 200, unchanged.body
    assert unchanged.headers["ETag"] == '"1"'  # nothing changed: nothing written
    round_trip = api.call("PUT", f"/api/v1/leads/{lead['id']}", body={**lead, "notes": "changed"})
    assert round_trip.status == 200, round_trip.body
    assert round_trip.data == {**lead, "notes": "changed", "updated_at": round_trip.data["updated_at"]}
    # The display name sent back was the default, so it still follows the names.
    renamed = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"last_name": "Smith"})
    assert renamed.data["display_name"] == "Sarah Smith"

    other_id = api.call("PUT", f"/api/v1/leads/{lead['id']}", body={**lead, "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    assert other_id.status == 422
    assert "id" in other_id.body["errors"]


def test_the_sample_patch_event_changes_only_what_was_sent_and_null_clears(api):
    lead = api.create(**SARAH)

    reply = api.send(leads_event("patch", lead["id"]))  # {"status": "contacted", "notes": null}

    assert reply.status == 200
    assert reply.data == {**lead, "status": "contacted", "notes": None, "updated_at": reply.data["updated_at"]}
    assert reply.headers["ETag"] == '"2"'


def test_patch_null_resets_fields_with_defaults(api):
    lead = api.create(**SARAH)

    patched = api.call(
        "PATCH",
        f"/api/v1/leads/{lead['id']}",
        body={"tags": None, "custom_fields": None, "starred": None, "lead_score": None, "email": None},
    ).data

    assert patched["tags"] == []
    assert patched["custom_fields"] == {}
    assert patched["starred"] is False
    assert patched["lead_score"] == 0
    assert patched["email"] is None
    assert patched["email_normalized"] is None
    assert patched["first_name"] == "Sarah"


def test_patch_cannot_clear_first_name_or_send_unknown_fields(api):
    lead = api.create(**SARAH)

    cleared = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"first_name": None})
    unknown = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"stauts": "won"})

    assert cleared.status == 422
    assert cleared.body["errors"] == {"first_name": ["The first_name field cannot be cleared."]}
    assert unknown.status == 422
    assert unknown.body["errors"] == {"stauts": ["This field is not allowed."]}
    assert api.get(lead["id"]).data == lead


def test_a_patch_that_changes_nothing_writes_nothing(api):
    lead = api.create(**SARAH)

    reply = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"status": "new", "tags": ["HOT-LEAD", "enterprise"]})

    assert reply.status == 200
    assert reply.headers["ETag"] == '"1"'
    assert reply.data == lead


# ------------------------------------------------------------------ ETag and If-Match


def test_if_match_guards_every_write(api):
    lead = api.create(**SARAH)
    path = f"/api/v1/leads/{lead['id']}"

    assert api.call("PATCH", path, body={"status": "a"}, headers={"If-Match": '"1"'}).headers["ETag"] == '"2"'
    stale = api.call("PATCH", path, body={"status": "b"}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert stale.body["code"] == "PRECONDITION_FAILED"
    assert stale.headers["ETag"] == '"2"'
    assert api.call("PUT", path, body={"first_name": "X"}, headers={"If-Match": '"1"'}).status == 412
    assert api.call("POST", f"{path}/tags", body={"tag": "x"}, headers={"If-Match": '"1"'}).status == 412
    assert api.call("DELETE", f"{path}/tags/enterprise", headers={"if-match": '"1"'}).status == 412
    assert api.call("DELETE", path, headers={"If-Match": '"1"'}).status == 412
    assert api.get(lead["id"]).data["status"] == "a"

    assert api.call("PATCH", path, body={"status": "c"}, headers={"If-Match": '"7", "2"'}).status == 200
    assert api.call("PATCH", path, body={"status": "d"}, headers={"If-Match": "*"}).status == 200
    assert api.call("DELETE", path, headers={"If-Match": '"4"'}).status == 204


def test_a_write_that_loses_a_race_is_409_without_if_match_and_412_with_it(api, monkeypatch):
    lead = api.create(**SARAH)
    stale = repository.get("acme", lead["id"])
    assert api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"status": "won"}).status == 200
    # Another writer committed between this request's read and its write:
    monkeypatch.setattr(repository, "get", lambda tenant_id, lead_id, **_: stale)

    conflict = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"status": "lost"})
    precondition = api.call(
        "PATCH", f"/api/v1/leads/{lead['id']}", body={"status": "lost"}, headers={"If-Match": '"1"'}
    )
    deleted = api.call("DELETE", f"/api/v1/leads/{lead['id']}")

    assert conflict.status == 409
    assert conflict.body["code"] == "CONFLICT"
    assert precondition.status == 412
    assert deleted.status == 409
    monkeypatch.undo()
    assert api.get(lead["id"]).data["status"] == "won"


# ------------------------------------------------------------------ tags


def test_the_sample_add_tag_event_adds_a_normalised_tag_once(api):
    lead = api.create(**SARAH)

    added = api.send(leads_event("add-tag", lead["id"]))
    again = api.call("POST", f"/api/v1/leads/{lead['id']}/tags", body={"tag": " VIP-Client "})

    assert added.status == 200
    assert added.data["tags"] == ["hot-lead", "enterprise", "vip-client"]
    assert added.headers["ETag"] == '"2"'
    assert again.status == 200
    assert again.headers["ETag"] == '"2"'  # already there: nothing written
    assert api.every(tag="vip-client") == [lead["id"]]


def test_removing_a_tag_answers_204_with_the_new_etag_and_404_when_absent(api):
    lead = api.create(**SARAH)

    removed = api.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/HOT-LEAD")
    again = api.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/hot-lead")
    invalid = api.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/a%23b")

    assert removed.status == 204
    assert removed.body is None
    assert removed.headers["ETag"] == '"2"'
    assert again.status == 404
    assert invalid.status == 422
    assert list(invalid.body["errors"]) == ["tag"]
    assert api.get(lead["id"]).data["tags"] == ["enterprise"]
    assert api.every(tag="hot-lead") == []


def test_percent_encoded_tags_in_the_path_are_decoded(api):
    lead = api.create(first_name="A", tags=["vip:client", "見込み客"])

    assert api.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/vip%3Aclient").status == 204
    assert api.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/%E8%A6%8B%E8%BE%BC%E3%81%BF%E5%AE%A2").status == 204
    assert api.get(lead["id"]).data["tags"] == []


def test_tag_bodies_are_validated_and_a_lead_holds_at_most_50_tags(api):
    lead = api.create(first_name="A", tags=[f"t{i}" for i in range(50)])
    path = f"/api/v1/leads/{lead['id']}/tags"

    full = api.call("POST", path, body={"tag": "one-more"})
    bad = api.call("POST", path, body={"tag": ""})
    extra = api.call("POST", path, body={"tag": "x", "color": "red"})

    assert full.status == 422
    assert full.body["errors"] == {"tag": ["A lead can have at most 50 tags."]}
    assert bad.status == 422
    assert "tag" in bad.body["errors"]
    assert extra.status == 422
    assert extra.body["errors"] == {"color": ["This field is not allowed."]}


def test_replacing_every_tag_at_once_is_refused_when_it_exceeds_one_transaction(api):
    lead = api.create(first_name="A", tags=[f"old{i}" for i in range(50)])

    reply = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"tags": [f"new{i}" for i in range(50)]})

    assert reply.status == 422
    assert "tags" in reply.body["errors"]
    assert api.get(lead["id"]).data["tags"] == lead["tags"]
    assert api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"tags": [f"new{i}" for i in range(40)]}).status == 200


# ------------------------------------------------------------------ delete


def test_the_sample_delete_event_deletes_the_lead(api):
    lead = api.create(**SARAH)

    reply = api.send(leads_event("delete", lead["id"]))

    assert reply.status == 204
    assert reply.body is None
    assert api.get(lead["id"]).status == 404
    assert api.send(leads_event("delete", lead["id"])).status == 404
    assert api.every() == []
    assert api.every(tag="hot-lead") == []
    assert api.every(search="sarah") == []
    assert api.list().body["meta"]["total"] == 0


# ------------------------------------------------------------------ identities


def test_an_email_or_phone_of_another_lead_is_a_409_duplicate_lead_naming_it(api):
    first = api.create(first_name="Taro", email="taro@example.com", phone="090-1234-5678")

    by_email = api.call("POST", "/api/v1/leads", body={"first_name": "T", "email": " TARO@Example.COM "})
    by_phone = api.call("POST", "/api/v1/leads", body={"first_name": "T", "phone": "+81 90 1234 5678"})

    assert by_email.status == 409
    assert by_email.body["code"] == "DUPLICATE_LEAD"
    assert by_email.body["lead_id"] == first["id"]
    assert first["id"] in by_email.body["errors"]["email"][0]
    assert by_phone.status == 409
    assert by_phone.body["lead_id"] == first["id"]
    assert set(by_phone.body["errors"]) == {"phone"}
    assert api.every() == [first["id"]]


def test_moving_an_identity_onto_another_lead_is_refused_and_changes_nothing(api):
    first = api.create(first_name="A", email="a@example.com")
    second = api.create(first_name="B", email="b@example.com", status="new")

    reply = api.call("PATCH", f"/api/v1/leads/{second['id']}", body={"email": "A@example.com", "status": "x"})

    assert reply.status == 409
    assert reply.body["code"] == "DUPLICATE_LEAD"
    assert reply.body["lead_id"] == first["id"]
    assert api.get(second["id"]).data == second
    assert api.call("GET", "/api/v1/leads/lookup", query={"email": "b@example.com"}).data["id"] == second["id"]


def test_changing_an_email_moves_the_identity_and_frees_the_old_one(api):
    lead = api.create(first_name="A", email="old@example.com", phone="03-1234-5678")

    moved = api.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"email": "new@example.com"})

    assert moved.status == 200
    assert api.call("GET", "/api/v1/leads/lookup", query={"email": "new@example.com"}).data["id"] == lead["id"]
    assert api.call("GET", "/api/v1/leads/lookup", query={"email": "old@example.com"}).status == 404
    assert api.create(first_name="B", email="old@example.com")["email_normalized"] == "old@example.com"
    assert api.call("POST", "/api/v1/leads", body={"first_name": "C", "phone": "0312345678"}).status == 409


def test_deleting_a_lead_frees_its_identities(api):
    lead = api.create(first_name="A", email="a@example.com", phone="090-1111-2222")

    assert api.call("DELETE", f"/api/v1/leads/{lead['id']}").status == 204

    assert api.call("GET", "/api/v1/leads/lookup", query={"phone": "09011112222"}).status == 404
    again = api.create(first_name="A2", email="a@example.com", phone="090-1111-2222")
    assert again["id"] != lead["id"]


def test_lookup_finds_a_lead_by_email_or_phone_in_any_format(api):
    lead = api.create(first_name="太郎", email="taro@example.com", phone="090-1234-5678")

    for query in (
        {"email": "TARO@EXAMPLE.COM"},
        {"email": "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"},
        {"phone": "+81 90-1234-5678"},
        {"phone": "０９０ー１２３４ー５６７８"},
        {"email": "taro@example.com", "phone": "09012345678"},
    ):
        reply = api.call("GET", "/api/v1/leads/lookup", query=query)
        assert reply.status == 200, query
        assert reply.data["id"] == lead["id"]
        assert reply.headers["ETag"] == '"1"'


def test_lookup_errors(api):
    api.create(first_name="A", email="a@example.com")
    other = api.create(first_name="B", phone="090-9999-8888")

    assert api.call("GET", "/api/v1/leads/lookup", query={"email": "nobody@example.com"}).status == 404
    invalid = api.call("GET", "/api/v1/leads/lookup", query={"email": "nope"})
    assert invalid.status == 422
    assert set(invalid.body["errors"]) == {"email"}
    for nothing in ({}, {"email": "", "phone": "  "}):
        reply = api.call("GET", "/api/v1/leads/lookup", query=nothing)
        assert reply.status == 404, nothing
        assert "give an email or a phone number" in reply.body["message"]
    ambiguous = api.call("GET", "/api/v1/leads/lookup", query={"email": "a@example.com", "phone": "09099998888"})
    assert ambiguous.status == 409
    assert ambiguous.body["code"] == "DUPLICATE_AMBIGUOUS"
    assert ambiguous.body["lead_ids"]["phone"] == other["id"]


@pytest.mark.parametrize("path", ["/api/v1/leads/\n", "/api/v1/leads/\n/inquiries", "/api/v1/leads\n"])
def test_a_path_ending_in_a_newline_is_no_route_and_never_the_list(api, path):
    api.create(first_name="A", email="a@example.com")

    reply = api.call("GET", path)

    assert reply.status == 404, reply.body
    assert reply.body["code"] == "NOT_FOUND"


# ------------------------------------------------------------------ tenant isolation


def test_another_tenants_lead_is_not_found_for_every_route(api, beta):
    lead = api.create(**SARAH)
    path = f"/api/v1/leads/{lead['id']}"

    for method, route, body in (
        ("GET", path, None),
        ("PUT", path, {"first_name": "Mallory"}),
        ("PATCH", path, {"first_name": "Mallory"}),
        ("DELETE", path, None),
        ("POST", f"{path}/tags", {"tag": "owned"}),
        ("DELETE", f"{path}/tags/hot-lead", None),
        ("GET", f"{path}/inquiries", None),
    ):
        reply = beta.call(method, route, body=body)
        assert reply.status == 404, (method, route, reply.body)
        assert reply.body["code"] == "NOT_FOUND"
        assert "Sarah" not in str(reply.body)

    assert beta.send(leads_event("get", lead["id"], tenant="beta")).status == 404
    assert beta.every() == []
    assert beta.call("GET", "/api/v1/leads/lookup", query={"email": "sarah@example.com"}).status == 404
    assert api.get(lead["id"]).data == lead


def test_identities_are_per_tenant(api, beta):
    api.create(first_name="A", email="same@example.com")

    assert beta.create(first_name="B", email="same@example.com")["email_normalized"] == "same@example.com"


def test_a_request_without_the_authorizer_context_is_401(api):
    event = leads_event("get", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    del event["requestContext"]["authorizer"]

    reply = api.send(event)

    assert reply.status == 401
    assert reply.body["code"] == "UNAUTHORIZED"


def test_an_idempotency_key_creates_the_lead_once_and_replays_the_answer(api):
    key = {"Idempotency-Key": "create-sarah-1"}
    first = api.call("POST", "/api/v1/leads", body=SARAH, headers=key)
    replay = api.call("POST", "/api/v1/leads", body=SARAH, headers=key)
    reused = api.call("POST", "/api/v1/leads", body={**SARAH, "notes": "another request"}, headers=key)

    assert first.status == 201
    assert "Idempotent-Replayed" not in first.headers
    assert (replay.status, replay.body) == (201, first.body)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Location"] == first.headers["Location"]
    assert reused.status == 422
    assert reused.body["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert api.call("GET", "/api/v1/leads").body["meta"]["total"] == 1
