"""Forms through their handlers with API Gateway events: the resource (integer ids, ETags, the target checked
against the workspace, the public id and its rotation, tenant isolation), submissions from servers (LeadHub's
key/value pairs, HubSpot's shape) and from browsers on the public route (a plain form's 303, JSON's 201,
HubSpot's answer, CORS for the allowed origins only and its preflight, the honeypot, rate limits, Turnstile
against a fake verifier), dedup into one lead, and the list of a form's submissions, newest first."""

from __future__ import annotations

from urllib.parse import urlencode

import boto3
import pytest

from leadgate.forms import spam
from leadgate.ratelimit import Policy
from leadgate.settings import get_settings
from leadgate_dev.harness import authorizer_context, call
from leadgate_dev.harness.events import rest_event
from tests.fakes import turnstile as fake_turnstile
from tests.support.leads import LeadsApi
from tests.support.users import seed_users

SCOPES = ("read:forms", "write:forms", "delete:forms", "read:leads")
ORIGIN = "https://www.example.jp"
CONTACT = {
    "name": "Contact us",
    "fields": [
        {"name": "your_name", "label": "お名前", "type": "text", "required": True, "maps_to": "display_name"},
        {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "email"},
        {"name": "tel", "type": "tel", "maps_to": "phone"},
        {"name": "topic", "type": "select", "options": ["sales", "support"], "maps_to": "custom_fields.topic"},
        {"name": "message", "type": "textarea"},
    ],
    "allowed_origins": [ORIGIN],
    "redirect_url": "https://www.example.jp/thanks",
    "success_message": "ありがとうございました",
    "consents": [{"purpose": "marketing", "text": "ニュースを受け取る", "version": "2026-01"}],
    "honeypot_field": "website",
}


@pytest.fixture
def api(aws):
    def _call(method, path, body=None, *, tenant="acme", headers=None, query=None, scopes=SCOPES, function="forms"):
        event = rest_event(
            method,
            path,
            body=body,
            query=query,
            headers={"Host": "api.example.com", **(headers or {})},
            authorizer=authorizer_context(tenant=tenant, scopes=scopes, client_id=f"client-{tenant}"),
        )
        return call(function, event, budget_ms=30_000)

    return _call


def public(public_id, body, *, content_type=None, origin=ORIGIN, method="POST", source_ip="203.0.113.7", referer=None):
    headers = {"Host": "api.example.com"}
    if origin:
        headers["Origin"] = origin
    if content_type:
        headers["Content-Type"] = content_type
    if referer:
        headers["Referer"] = referer
    event = rest_event(
        method, f"/public/forms/{public_id}/submissions", body=body, headers=headers, source_ip=source_ip
    )
    return call("form_submissions", event, budget_ms=30_000)


def _form(api, **changes):
    reply = api("POST", "/api/v1/forms", {**CONTACT, **changes})
    assert reply.status == 201, reply.body
    return reply.body["data"]


def _submissions(api, form_id, **query):
    reply = api("GET", f"/api/v1/forms/{form_id}/submissions", query=query or None)
    assert reply.status == 200, reply.body
    return reply.body


def _leads():
    reply = LeadsApi().call("GET", "/api/v1/leads")
    assert reply.status == 200, reply.body
    return reply.body["data"]


# ------------------------------------------------------------------ the resource


def test_create_read_list_and_change_with_etags(api):
    reply = api("POST", "/api/v1/forms", CONTACT)

    assert reply.status == 201
    created = reply.body["data"]
    assert created["id"] == 1 and created["active"] is True and created["turnstile"] is False
    assert created["public_id"].startswith("pf_") and len(created["public_id"]) == 27
    assert reply.headers["Location"] == "https://api.example.com/api/v1/forms/1"
    assert api("GET", "/api/v1/forms/1").body["data"] == created
    listed = api("GET", "/api/v1/forms")
    assert [form["id"] for form in listed.body["data"]] == [1]
    assert listed.body["meta"]["total"] == 1

    patched = api("PATCH", "/api/v1/forms/1", {"active": False}, headers={"If-Match": reply.headers["ETag"]})
    assert patched.status == 200 and patched.body["data"]["active"] is False
    assert patched.body["data"]["fields"] == created["fields"]
    stale = api("PUT", "/api/v1/forms/1", CONTACT, headers={"If-Match": reply.headers["ETag"]})
    assert stale.status == 412
    replaced = api("PUT", "/api/v1/forms/1", {**created, "name": "Renamed"})
    assert replaced.status == 200 and replaced.body["data"]["name"] == "Renamed"
    assert replaced.body["data"]["active"] is True  # PUT: what is not sent goes back to its default
    assert api("DELETE", "/api/v1/forms/1").status == 204
    assert api("GET", "/api/v1/forms/1").status == 404
    assert public(created["public_id"], {"email": "a@example.jp", "your_name": "A"}).status == 404


def test_bad_forms_are_422_naming_the_field(api):
    cases = [
        ({"fields": [{"name": "x", "maps_to": "custom_fields.x"}]}, "fields"),
        ({"fields": [{"name": "e", "type": "select", "maps_to": "email"}]}, "fields.0"),
        ({"fields": [{"name": "e", "maps_to": "lead_score"}]}, "fields.0.maps_to"),
        ({"honeypot_field": "email"}, "honeypot_field"),
        ({"allowed_origins": ["https://www.example.jp/path"]}, "allowed_origins.0"),
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
        ({"target": {"pipeline_stage_id": 99}}, "target.pipeline_stage_id"),
        ({"target": {"assigned_user_id": 7}}, "target.assigned_user_id"),
        ({"target": {"tags": ["x" * 500]}}, "target.tags.0"),
    ]
    for changes, field in cases:
        reply = api("POST", "/api/v1/forms", {**CONTACT, **changes})
        assert reply.status == 422, (changes, reply.body)
        assert field in reply.body["errors"], (changes, reply.body["errors"])
    assert api("PATCH", "/api/v1/forms/1", {"name": "x"}).status == 404
    _form(api)
    reply = api("PATCH", "/api/v1/forms/1", {"fields": []})
    assert reply.status == 422 and "fields" in reply.body["errors"]
    for body, field in (
        ({"name": None}, "name"),
        ({"bogus": 1}, "bogus"),
        ({"honeypot_field": "email"}, "honeypot_field"),
    ):
        reply = api("PATCH", "/api/v1/forms/1", body)
        assert reply.status == 422 and list(reply.body["errors"]) == [field], reply.body
    cleared = api("PATCH", "/api/v1/forms/1", {"redirect_url": None})
    assert cleared.status == 200 and cleared.body["data"]["redirect_url"] is None
    assert api("GET", "/api/v1/forms/01").status == 404
    assert api("GET", "/api/v1/forms", query={"bogus": "1"}).status == 422


def test_another_tenants_form_is_404(api):
    form = _form(api)
    for method, path in (
        ("GET", "/api/v1/forms/1"),
        ("DELETE", "/api/v1/forms/1"),
        ("GET", "/api/v1/forms/1/submissions"),
    ):
        assert api(method, path, tenant="other").status == 404
    assert api("POST", "/api/v1/forms/1/submissions", {"email": "a@example.jp"}, tenant="other").status == 404
    assert api("GET", "/api/v1/forms", tenant="other").body["data"] == []
    assert form["public_id"] not in str(api("GET", "/api/v1/forms", tenant="other").body)


def test_rotating_the_public_id_retires_the_old_one(api):
    form = _form(api)
    reply = api("POST", "/api/v1/forms/1/rotate-public-id")

    assert reply.status == 200
    rotated = reply.body["data"]["public_id"]
    assert rotated != form["public_id"]
    body = {"your_name": "Hanako", "email": "hanako@example.jp"}
    assert public(form["public_id"], body).status == 404
    assert public(rotated, body).status == 201


def test_the_target_applies_to_a_new_lead_only(api):
    seed_users(count=2)
    form = _form(api, target={"tags": ["web-form"], "assigned_user_id": 2})
    assert form["target"] == {"tags": ["web-form"], "assigned_user_id": 2}

    first = api("POST", "/api/v1/forms/1/submissions", {"your_name": "Taro", "email": "taro@example.jp"})
    assert first.status == 201 and first.body["status"] == "created"
    lead = LeadsApi().call("GET", f"/api/v1/leads/{first.body['lead_id']}").data
    assert lead["tags"] == ["web-form"] and lead["assigned_user_id"] == 2 and lead["source"] == "form"
    assert lead["pipeline_id"] is not None  # the default pipeline, as any new lead


# ------------------------------------------------------------------ submissions from servers


def test_leadhub_submission_creates_then_matches_the_same_person(api):
    _form(api)
    values = {"your_name": "山田 太郎", "email": "Taro.Yamada@Example.JP", "topic": "sales", "message": "見積もり"}
    first = api("POST", "/api/v1/forms/1/submissions", values)
    second = api("POST", "/api/v1/forms/1/submissions", {"your_name": "Taro", "email": "taro.yamada@example.jp "})

    assert first.status == 201 and first.body["status"] == "created" and first.body["is_duplicate"] is False
    assert second.body["status"] == "matched" and second.body["lead_id"] == first.body["lead_id"]
    lead = LeadsApi().call("GET", f"/api/v1/leads/{first.body['lead_id']}").data
    assert lead["custom_fields"] == {"topic": "sales"} and lead["display_name"] == "山田 太郎"
    listed = _submissions(api, 1)
    assert [entry["values"].get("topic") for entry in listed["data"]] == [None, "sales"]  # newest first
    assert listed["data"][1] == {
        **listed["data"][1],
        "form_id": 1,
        "lead_id": first.body["lead_id"],
        "values": values,
        "client_id": "client-acme",
    }


def test_submission_values_are_checked_against_the_fields(api):
    _form(api)
    cases = [
        ({"email": "a@example.jp"}, "your_name"),
        ({"your_name": "A", "email": "not-an-email"}, "email"),
        ({"your_name": "A", "email": "a@example.jp", "tel": "12"}, "tel"),
        ({"your_name": "A", "email": "a@example.jp", "topic": "other"}, "topic"),
        ({"your_name": "A", "email": "a@example.jp", "unknown": "x"}, "unknown"),
        ({"your_name": "A" * 1001, "email": "a@example.jp"}, "your_name"),
        ({"your_name": ["A", "B"], "email": "a@example.jp"}, "your_name"),
        ({"your_name": "A\u0000", "email": "a@example.jp"}, "your_name"),
    ]
    for body, field in cases:
        reply = api("POST", "/api/v1/forms/1/submissions", body)
        assert reply.status == 422, (body, reply.body)
        assert field in reply.body["errors"], (body, reply.body)
    assert api("POST", "/api/v1/forms/1/submissions", ["x"]).status == 422
    assert _submissions(api, 1)["data"] == [] and _leads() == []


def test_an_inactive_form_takes_no_submission(api):
    _form(api, active=False)
    reply = api("POST", "/api/v1/forms/1/submissions", {"your_name": "A", "email": "a@example.jp"})
    assert reply.status == 422 and "form" in reply.body["errors"]


def test_hubspots_shape_and_its_consents_from_a_server(api):
    _form(api)
    body = {
        "fields": [
            {"objectTypeId": "0-1", "name": "email", "value": "hs@example.jp"},
            {"objectTypeId": "0-1", "name": "your_name", "value": "HubSpot User"},
        ],
        "context": {"pageUri": "https://www.example.jp/contact", "pageName": "Contact"},
        "legalConsentOptions": {
            "consent": {"consentToProcess": True, "communications": [{"value": True, "subscriptionTypeId": 999}]}
        },
    }
    reply = api("POST", "/api/v1/forms/1/submissions", body)

    assert reply.status == 201, reply.body
    given = {"purpose": "marketing", "status": "granted", "text_version": "2026-01", "source": "form", "form_id": "1"}
    assert [{name: record[name] for name in given} for record in reply.body["consents"]] == [given]
    recorded = api("GET", f"/api/v1/leads/{reply.body['lead_id']}/consents", function="leads").body["data"]
    assert [{name: record[name] for name in given} for record in recorded] == [given]
    assert recorded[0]["page_url"] == "https://www.example.jp/contact"
    lead = api("GET", f"/api/v1/leads/{reply.body['lead_id']}", function="leads").body["data"]
    assert lead["consents"]["marketing"]["status"] == "granted"
    assert _submissions(api, 1)["data"][0]["page_url"] == "https://www.example.jp/contact"


def test_the_submissions_list_pages_with_a_cursor(api):
    _form(api)
    for n in range(3):
        api("POST", "/api/v1/forms/1/submissions", {"your_name": f"P{n}", "email": f"p{n}@example.jp"})
    first = _submissions(api, 1, per_page="2")
    names = [entry["values"]["your_name"] for entry in first["data"]]
    assert names == ["P2", "P1"]
    cursor = first["links"]["next"].split("cursor=")[1]
    second = _submissions(api, 1, per_page="2", cursor=cursor)
    assert [entry["values"]["your_name"] for entry in second["data"]] == ["P0"]
    assert second["links"]["next"] is None
    assert api("GET", "/api/v1/forms/1/submissions", query={"cursor": "garbage"}).status == 400
    _form(api)
    assert api("GET", "/api/v1/forms/2/submissions", query={"cursor": cursor}).status == 400


# ------------------------------------------------------------------ the public route


def test_a_plain_form_is_303_to_the_redirect_and_a_lead(api):
    form = _form(api)
    body = urlencode({"your_name": "Hanako", "email": "Hanako@Example.JP", "consent_marketing": "on", "website": ""})
    reply = public(
        form["public_id"], body, content_type="application/x-www-form-urlencoded", referer="https://www.example.jp/c"
    )

    assert reply.status == 303, reply.body
    assert reply.headers["Location"] == "https://www.example.jp/thanks"
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    [lead] = _leads()
    assert lead["email"] == "Hanako@Example.JP"
    [submission] = _submissions(api, 1)["data"]
    assert submission["page_url"] == "https://www.example.jp/c" and submission["client_id"] is None
    assert submission["values"] == {"your_name": "Hanako", "email": "Hanako@Example.JP", "consent_marketing": "on"}


def test_json_is_201_with_the_message_the_same_for_a_known_person(api):
    form = _form(api)
    body = {"your_name": "Jiro", "email": "jiro@example.jp", "page_url": "https://www.example.jp/lp"}
    first = public(form["public_id"], body)
    second = public(form["public_id"], {**body, "email": "JIRO@example.jp"})

    assert (first.status, first.body) == (201, {"status": "success", "message": "ありがとうございました"})
    assert (second.status, second.body) == (first.status, first.body)  # a public caller learns nothing
    assert len(_leads()) == 1 and len(_submissions(api, 1)["data"]) == 2


def test_hubspots_shape_is_answered_as_hubspot_does(api):
    form = _form(api, redirect_url=None)
    body = {"fields": [{"name": "email", "value": "h@example.jp"}, {"name": "your_name", "value": "H"}]}
    reply = public(form["public_id"], body)
    assert (reply.status, reply.body) == (200, {"inlineMessage": "ありがとうございました"})
    redirecting = _form(api)
    reply = public(redirecting["public_id"], body)
    assert reply.body == {"redirectUri": "https://www.example.jp/thanks"}


def test_a_filled_honeypot_is_answered_as_a_success_and_stores_nothing(api):
    form = _form(api)
    body = urlencode({"your_name": "Bot", "email": "bot@example.jp", "website": "http://spam.example"})
    reply = public(form["public_id"], body, content_type="application/x-www-form-urlencoded")

    human = public(
        form["public_id"],
        urlencode({"your_name": "A", "email": "a@example.jp"}),
        content_type=("application/x-www-form-urlencoded"),
    )
    assert (reply.status, reply.headers["Location"]) == (human.status, human.headers["Location"])
    assert [lead["email"] for lead in _leads()] == ["a@example.jp"]
    assert len(_submissions(api, 1)["data"]) == 1


def test_cors_only_for_the_allowed_origins_and_the_preflight(api):
    form = _form(api)
    body = {"your_name": "C", "email": "c@example.jp"}
    allowed = public(form["public_id"], body)
    other = public(form["public_id"], body, origin="https://evil.example")
    refused = public(form["public_id"], {"email": "c@example.jp"})
    preflight = public(form["public_id"], None, method="OPTIONS")
    other_preflight = public(form["public_id"], None, method="OPTIONS", origin="https://evil.example")

    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert not any(name.startswith("Access-Control") for name in other.headers)
    assert refused.status == 422 and refused.headers["Access-Control-Allow-Origin"] == ORIGIN  # the page reads it
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert not any(name.startswith("Access-Control") for name in other_preflight.headers)
    assert not any(
        name.startswith("Access-Control") for name in public("pf_" + "x" * 24, None, method="OPTIONS").headers
    )


def test_public_refusals(api):
    form = _form(api)
    assert public("pf_" + "x" * 24, {"email": "a@example.jp"}).status == 404
    assert public("1", {"email": "a@example.jp"}).status == 404
    assert public(form["public_id"], "<x/>", content_type="text/xml").status == 415
    assert public(form["public_id"], "{", content_type="application/json").status == 400
    assert public(form["public_id"], "x" * (70 * 1024), content_type="application/json").status == 413
    api("PATCH", "/api/v1/forms/1", {"active": False})
    assert public(form["public_id"], {"your_name": "A", "email": "a@example.jp"}).status == 404


def test_rate_limits_per_address_and_per_form(api, monkeypatch):
    monkeypatch.setattr(spam, "PER_ADDRESS", (Policy(limit=2, window=60),))
    monkeypatch.setattr(spam, "PER_FORM", (Policy(limit=3, window=60),))
    form = _form(api)
    body = {"your_name": "R", "email": "r@example.jp"}
    assert [public(form["public_id"], body).status for _ in range(3)] == [201, 201, 429]
    limited = public(form["public_id"], body)
    assert int(limited.headers["Retry-After"]) >= 1 and limited.body["code"] == "RATE_LIMITED"
    assert public(form["public_id"], body, source_ip="198.51.100.1").status == 201  # the form's third
    assert public(form["public_id"], body, source_ip="198.51.100.2").status == 429  # the form's limit


@pytest.fixture
def verifier():
    server = fake_turnstile.verifier().start()
    yield server
    server.stop()


def test_turnstile_is_verified_server_side(api, verifier, monkeypatch):
    monkeypatch.setenv("TURNSTILE_VERIFY_URL", verifier.url + fake_turnstile.PATH)
    get_settings.cache_clear()
    boto3.client("secretsmanager").create_secret(Name="leadgate/dev/turnstile/acme", SecretString=fake_turnstile.SECRET)
    form = _form(api, turnstile=True)
    body = {"your_name": "T", "email": "t@example.jp"}
    try:
        missing = public(form["public_id"], body)
        wrong = public(form["public_id"], {**body, "cf-turnstile-response": "fail"})
        good = public(form["public_id"], {**body, "cf-turnstile-response": fake_turnstile.GOOD_TOKEN})
    finally:
        get_settings.cache_clear()

    assert missing.status == 422 and "cf-turnstile-response" in missing.body["errors"]
    assert wrong.status == 422 and len(verifier.received) == 2
    assert good.status == 201
    assert len(_leads()) == 1
    assert "remoteip=203.0.113.7" in verifier.received[-1].raw.decode()
