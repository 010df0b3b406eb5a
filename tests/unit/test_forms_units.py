"""The forms' pure parts: a submission's body shapes as values, the consent records it gives, and CORS."""

from __future__ import annotations

from leadgate.forms import consents, cors, values
from leadgate.forms.records import Form

FORM = Form(
    id=3,
    tenant_id="acme",
    public_id="pf_" + "a" * 24,
    name="Contact",
    fields=[{"name": "email", "type": "email", "maps_to": "email"}],
    created_at="2026-01-01T00:00:00Z",
    updated_at="2026-01-01T00:00:00Z",
    allowed_origins=["https://www.example.jp"],
    consents=[
        {"purpose": "contact", "text": "連絡してよい", "version": "v1"},
        {"purpose": "marketing", "text": "ニュース", "version": "v2"},
    ],
)


def test_a_plain_form_repeats_names_as_lists_and_takes_the_referer_as_page():
    submitted = values.from_form_encoded(
        "email=a%40example.jp&topic=a&topic=b&cf-turnstile-response=tok", "https://www.example.jp/c"
    )
    assert submitted.values == {"email": "a@example.jp", "topic": ["a", "b"]}
    assert (submitted.page_url, submitted.turnstile_token, submitted.hubspot) == (
        "https://www.example.jp/c",
        "tok",
        False,
    )


def test_json_pairs_and_hubspots_shape():
    pairs = values.from_json({"email": "a@example.jp", "page_url": "https://www.example.jp/lp"})
    assert (pairs.values, pairs.page_url) == ({"email": "a@example.jp"}, "https://www.example.jp/lp")
    hubspot = values.from_json(
        {
            "fields": [{"objectTypeId": "0-1", "name": "email", "value": "h@example.jp"}],
            "context": {"pageUri": "https://www.example.jp/hs", "hutk": "x"},
            "legalConsentOptions": {"consent": {"consentToProcess": True}},
        }
    )
    assert (hubspot.values, hubspot.page_url, hubspot.hubspot) == (
        {"email": "h@example.jp"},
        "https://www.example.jp/hs",
        True,
    )
    assert hubspot.legal_consent == {"consent": {"consentToProcess": True}}


def test_consents_only_for_declared_purposes_with_their_versions():
    given = consents.granted(
        FORM.consents,
        {"consent_marketing": "on", "consent_other": "on", "consent_contact": ""},
        {},
        form_id=3,
        client_id=None,
        page_url="https://www.example.jp/c",
        address="203.0.113.7",
        at="2026-01-01T00:00:00Z",
    )
    assert [record.record() for record in given] == [
        {
            "purpose": "marketing",
            "status": "granted",
            "text_version": "v2",
            "recorded_at": "2026-01-01T00:00:00Z",
            "source": "form",
            "client_id": None,
            "form_id": "3",
            "route": None,
            "address": "203.0.113.7",
            "text": "ニュース",
            "page_url": "https://www.example.jp/c",
            "id": None,
            "lead_id": None,
        }
    ]
    hubspot = {"consent": {"consentToProcess": True, "communications": [{"value": False}]}}
    assert [
        record.purpose
        for record in consents.granted(
            FORM.consents, {}, hubspot, form_id=3, client_id=None, page_url=None, address=None, at="t"
        )
    ] == ["contact"]


def test_cors_headers_only_for_an_allowed_origin():
    assert cors.headers(FORM, "https://www.example.jp")["Access-Control-Allow-Origin"] == "https://www.example.jp"
    assert "Access-Control-Allow-Origin" not in cors.headers(FORM, "https://evil.example")
    assert "Access-Control-Allow-Origin" not in cors.headers(None, "https://www.example.jp")
    assert cors.preflight(FORM, "https://evil.example") == {"Vary": "Origin"}
    assert cors.preflight(FORM, "https://www.example.jp")["Access-Control-Allow-Methods"] == "POST, OPTIONS"
