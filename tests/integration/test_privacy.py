"""Consent records and erasure through the handlers on moto (docs/privacy.md): consents on lead writes and
intake, the current status per purpose, the consent list filter; erasure of every store, 410 GONE after, the
erasure's record, HubSpot's GDPR delete and its failure recorded."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from leadgate import aws as leadgate_aws
from leadgate import observability
from leadgate.connections import secrets as connection_secrets
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry, clear_cache
from leadgate.connections.secrets import ConnectionSecrets
from leadgate.leads import repository
from leadgate.leads.requests import LeadData
from leadgate.sync import keys as sync_keys
from tests.fakes.hubspot import CONTACTS
from tests.support.gateway import request
from tests.support.leads import LeadsApi

GDPR_DELETE = f"{CONTACTS}/gdpr-delete"
MARKETING = {"purpose": "marketing", "status": "granted", "text_version": "v3", "page_url": "https://acme.jp/f"}
PERSON = {"first_name": "Hanako", "last_name": "Yamada", "email": "hanako@example.jp", "phone": "090-1234-5678"}


@pytest.fixture
def api(aws, invoke):
    return LeadsApi()


def upsert(body: dict):
    return request("inbound", "POST", "/api/v1/leads/upsert", body=json.dumps(body))


# ------------------------------------------------------------------ consent


def test_consents_sent_with_a_new_lead_are_recorded_and_the_lead_shows_the_current_status(api):
    lead = api.create(**PERSON, consents=[MARKETING, {"purpose": "contact", "status": "granted", "text_version": "1"}])

    assert lead["consents"]["marketing"]["status"] == "granted"
    assert lead["consents"]["contact"]["text_version"] == "1"
    records = api.call("GET", f"/api/v1/leads/{lead['id']}/consents").data
    assert {record["purpose"] for record in records} == {"marketing", "contact"}
    marketing = next(record for record in records if record["purpose"] == "marketing")
    assert marketing["source"] == "client"
    assert marketing["client_id"] == "client-acme"
    assert marketing["route"] == "POST /api/v1/leads"
    assert marketing["address"] == "127.0.0.1"
    assert marketing["page_url"] == "https://acme.jp/f"
    assert marketing["lead_id"] == lead["id"]


def test_a_withdrawal_is_appended_and_becomes_the_current_status(api):
    lead = api.create(**PERSON, consents=[MARKETING])

    patched = api.call(
        "PATCH",
        f"/api/v1/leads/{lead['id']}",
        body={"consents": [{**MARKETING, "status": "withdrawn"}]},
    )

    assert patched.status == 200, patched.body
    assert patched.headers["ETag"] == '"2"'  # a consent alone is a write
    assert patched.data["consents"]["marketing"]["status"] == "withdrawn"
    records = api.call("GET", f"/api/v1/leads/{lead['id']}/consents").data
    assert [record["status"] for record in records] == ["withdrawn", "granted"]  # newest first, nothing replaced


def test_a_get_record_sent_back_with_put_keeps_the_consents(api):
    lead = api.create(**PERSON, consents=[MARKETING])

    replaced = api.call("PUT", f"/api/v1/leads/{lead['id']}", body=lead)

    assert replaced.status == 200, replaced.body
    assert replaced.data["consents"] == lead["consents"]


def test_upsert_records_consents_on_the_matched_lead(api):
    lead = api.create(**PERSON)

    answer = upsert({"email": "HANAKO@example.jp", "consents": [MARKETING]})

    assert answer.status == 200, answer.body
    records = api.call("GET", f"/api/v1/leads/{lead['id']}/consents").data
    assert [(record["purpose"], record["route"]) for record in records] == [("marketing", "POST /api/v1/leads/upsert")]


def test_the_consent_filter_lists_only_leads_whose_last_record_grants_it(api):
    granted = api.create(first_name="A", email="a@example.jp", consents=[MARKETING])
    withdrawn = api.create(first_name="B", email="b@example.jp", consents=[MARKETING])
    api.call("PATCH", f"/api/v1/leads/{withdrawn['id']}", body={"consents": [{**MARKETING, "status": "withdrawn"}]})
    api.create(first_name="C", email="c@example.jp")

    listed = api.list(consent="marketing")

    assert listed.status == 200, listed.body
    assert [lead["id"] for lead in listed.data] == [granted["id"]]


@pytest.mark.parametrize(
    ("consent", "field"),
    [
        ({**MARKETING, "status": "maybe"}, "consents.0.status"),
        ({**MARKETING, "purpose": "Not A Purpose"}, "consents.0.purpose"),
        ({"purpose": "contact", "status": "granted"}, "consents.0.text_version"),
    ],
)
def test_an_invalid_consent_is_422_naming_it(api, consent, field):
    answer = api.call("POST", "/api/v1/leads", body={"first_name": "A", "consents": [consent]})

    assert answer.status == 422
    assert field in answer.body["errors"]


# ------------------------------------------------------------------ erasure


def _items_of_every_table() -> list[str]:
    """Every item of every DynamoDB table, as JSON text (a test may scan)."""
    client = boto3.client("dynamodb")
    found = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            found += [json.dumps(item, ensure_ascii=False) for item in page["Items"]]
    return found


def test_an_erasure_removes_the_person_from_every_item_and_leaves_a_tombstone(api):
    lead = api.create(**PERSON, tags=["vip"], consents=[MARKETING])
    assert upsert({"email": PERSON["email"], "notes": "Call me"}).status == 200  # an inquiry
    stream = io.StringIO()
    handler = observability.logger.registered_handler
    previous = handler.setStream(stream)
    try:
        erased = api.call("POST", f"/api/v1/leads/{lead['id']}/erase")
    finally:
        handler.setStream(previous)
    logged = stream.getvalue()

    assert erased.status == 200, erased.body
    record = erased.data
    assert record["lead_id"] == lead["id"]
    assert record["client_id"] == "client-acme"
    assert record["removed"] == {
        "inquiries": 1,
        "consents": 1,
        "stage_moves": 1,
        "webhook_deliveries": 0,  # no stream here: tests/e2e/test_privacy_http.py has the journal's
        "events": 0,
        "sync_hashes": 0,
        "identities": 2,
        "tags": 1,
        "search_tokens": len(repository_tokens(lead)),
    }
    assert record["providers"] == []
    texts = "\n".join(_items_of_every_table())
    for value in ("hanako", "Hanako", "Yamada", "+819012345678", "1234-5678"):
        assert value not in texts
    assert '"Lead erased"' in logged  # the function's log lines: the lead id and counts, nothing personal
    assert "hanako" not in logged.lower() and "yamada" not in logged.lower()
    listed = api.call("GET", "/api/v1/erasures")
    assert listed.status == 200 and listed.data == [record]


def repository_tokens(lead: dict) -> frozenset[str]:
    data = LeadData.model_validate({name: lead[name] for name in ("first_name", "last_name", "email", "phone")})
    return data.search_tokens()


def test_an_erased_lead_answers_410_on_every_lead_route_and_its_email_makes_a_new_lead(api):
    lead = api.create(**PERSON)
    assert api.call("POST", f"/api/v1/leads/{lead['id']}/erase").status == 200
    path = f"/api/v1/leads/{lead['id']}"

    for method, route, body in [
        ("GET", path, None),
        ("PUT", path, {"first_name": "X"}),
        ("PATCH", path, {"notes": "x"}),
        ("DELETE", path, None),
        ("POST", f"{path}/tags", {"tag": "x"}),
        ("GET", f"{path}/inquiries", None),
        ("GET", f"{path}/consents", None),
        ("POST", f"{path}/erase", None),
    ]:
        answer = api.call(method, route, body=body)
        assert (answer.status, answer.body["code"]) == (410, "GONE"), (method, route)

    assert api.list().data == []
    assert api.call("GET", "/api/v1/leads/lookup", query={"email": PERSON["email"]}).status == 404
    again = upsert({"email": PERSON["email"], "first_name": "Hanako"})
    assert again.status == 201 and again.body["data"]["id"] != lead["id"]


def test_an_unknown_or_other_tenants_lead_is_404(api):
    lead = api.create(**PERSON)

    assert LeadsApi("beta").call("POST", f"/api/v1/leads/{lead['id']}/erase").status == 404
    assert api.call("POST", "/api/v1/leads/01ARZ3NDEKTSV4RRFFQ69G5FAV/erase").status == 404
    assert api.get(lead["id"]).status == 200
    assert LeadsApi("beta").call("GET", "/api/v1/erasures").data == []


# ------------------------------------------------------------------ linked providers


@pytest.fixture
def hubspot_lead(aws, fake_hubspot):
    """A lead linked to a contact of the fake HubSpot, through a private-app connection, with a sync hash."""
    clear_cache()
    fake_hubspot.add_private_token("pat-1")
    contact_id = fake_hubspot.add_contact(email=PERSON["email"], firstname="Hanako")
    connection = Connection(
        tenant_id="acme",
        provider="hubspot",
        settings={"portal_id": "62515", "app_id": "1001"},
        base_url=fake_hubspot.url,
    )
    secrets = ConnectionSecrets(access_token="pat-1")
    arn = connection_secrets.default_store().create(connection.connection_id, secrets, tenant_id="acme")
    connection = ConnectionRegistry.from_settings().put(connection.model_copy(update={"secret_arn": arn}))
    lead = repository.create("acme", LeadData(**PERSON), external_ids={"hubspot": contact_id})
    hash_key = sync_keys.key("acme", connection.connection_id, sync_keys.hash_sk(contact_id))
    leadgate_aws.dynamodb().put_item(
        TableName=sync_keys.table(), Item=hash_key | {"digest": {"S": "abc"}, "lead_id": {"S": lead.id}}
    )
    return lead, contact_id, connection, hash_key


def test_a_lead_linked_to_hubspot_is_gdpr_deleted_there_and_its_sync_hash_removed(api, hubspot_lead, fake_hubspot):
    lead, contact_id, connection, hash_key = hubspot_lead

    erased = api.call("POST", f"/api/v1/leads/{lead.id}/erase")

    assert erased.status == 200, erased.body
    assert erased.data["providers"] == [
        {"provider": "hubspot", "connection_id": connection.connection_id, "status": "deleted"}
    ]
    assert erased.data["removed"]["sync_hashes"] == 1
    assert erased.data["removed"]["identities"] == 3  # email, phone and the HubSpot link
    assert [request.json() for request in fake_hubspot.requests_to(GDPR_DELETE)] == [{"objectId": contact_id}]
    assert contact_id not in fake_hubspot.contacts
    assert "Item" not in leadgate_aws.dynamodb().get_item(TableName=sync_keys.table(), Key=hash_key)


def test_a_hubspot_failure_is_recorded_and_the_erasure_is_done(api, hubspot_lead, fake_hubspot):
    lead, _, connection, _ = hubspot_lead
    fake_hubspot.fail(GDPR_DELETE, 403)

    erased = api.call("POST", f"/api/v1/leads/{lead.id}/erase")

    assert erased.status == 200, erased.body
    assert erased.data["providers"] == [
        {
            "provider": "hubspot",
            "connection_id": connection.connection_id,
            "status": "failed",
            "error": "PermanentError",
            "http_status": 403,
        }
    ]
    assert api.get(lead.id).status == 410


def test_a_contact_hubspot_no_longer_has_is_recorded_as_not_found(api, hubspot_lead, fake_hubspot):
    lead, contact_id, _, _ = hubspot_lead
    fake_hubspot.delete_contact(contact_id)

    erased = api.call("POST", f"/api/v1/leads/{lead.id}/erase")

    assert erased.data["providers"][0]["status"] == "not_found"
