"""The repository contract the intake builds on: identities, inquiries, extra items, races (moto)."""

from __future__ import annotations

import pytest

from leadgate.leads import keys, repository
from leadgate.leads.records import NewInquiry
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from tests.support.leads import LeadsApi


@pytest.fixture
def api(aws, invoke):
    return LeadsApi()


def items_under(prefix: str, tenant: str = "acme") -> list[str]:
    from leadgate.aws import dynamodb

    response = dynamodb().query(
        TableName=get_settings().leads_table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": keys.partition(tenant)}, ":prefix": {"S": prefix}},
    )
    return [item["SK"]["S"] for item in response["Items"]]


def inquiry(n: int, channel: str = "hotlead") -> NewInquiry:
    return NewInquiry(
        channel=channel,
        payload={"message": f"inquiry {n}", "property": {"id": n}},
        occurred_at=f"2026-03-0{n % 9 + 1}T10:00:00+09:00",
        source="portal",
        media_domain="example-portal.jp",
        client_id="client-acme",
    )


def test_create_claims_identities_tags_and_search_tokens_in_one_transaction(aws):
    lead = repository.create(
        "acme", LeadData(first_name="太郎", last_name="山田", email="T@Example.com", phone="09012345678", tags=["vip"])
    )

    assert items_under("EMAIL#") == ["EMAIL#t@example.com"]
    assert items_under("PHONE#") == ["PHONE#+819012345678"]
    assert items_under("TAG#") == [f"TAG#vip#{lead.id}"]
    assert {sk.split("#")[1] for sk in items_under("SEARCH#")} == set(lead.search_tokens)
    assert repository.find_by_identity("acme", email="t@example.com", phone="+819012345678") == {
        "email": lead.id,
        "phone": lead.id,
    }
    assert repository.find_by_identity("acme", phone="+819012345678") == {"phone": lead.id}
    assert repository.find_by_identity("acme", email="nobody@example.com") == {}
    assert repository.find_by_identity("beta", email="t@example.com") == {}


def test_identity_conflicts_name_the_owner_and_write_nothing(aws):
    owner = repository.create("acme", LeadData(first_name="A", email="a@example.com"))
    other = repository.create("acme", LeadData(first_name="B", phone="0312345678"))

    with pytest.raises(repository.IdentityTaken) as taken:
        repository.create(
            "acme", LeadData(first_name="C", email="a@example.com", phone="03-1234-5678", tags=["marker"])
        )

    assert taken.value.matches == {"email": owner.id, "phone": other.id}
    assert items_under("TAG#") == []
    assert len(items_under("LEAD#")) == 2


def test_update_moves_identities_and_refuses_a_stale_version(aws):
    lead = repository.create("acme", LeadData(first_name="A", email="old@example.com", tags=["x"]))
    moved = repository.update("acme", lead, lead.data.model_copy(update={"email": "new@example.com", "tags": ["y"]}))

    assert items_under("EMAIL#") == ["EMAIL#new@example.com"]
    assert items_under("TAG#") == [f"TAG#y#{lead.id}"]
    assert moved.version == 2
    with pytest.raises(repository.ConcurrentModification):
        repository.update("acme", lead, lead.data.model_copy(update={"notes": "stale"}))
    with pytest.raises(repository.ConcurrentModification):
        repository.delete("acme", lead)
    assert repository.get("acme", lead.id) == moved


def test_inquiries_are_kept_on_the_lead_and_listed_newest_first(api):
    lead = repository.create("acme", LeadData(first_name="A", email="a@example.com"), inquiries=[inquiry(1)])
    for n in range(2, 6):
        current = repository.get("acme", lead.id)
        repository.update("acme", current, current.data, inquiries=[inquiry(n, channel="leadhub")])

    pages = list(api.pages(f"/api/v1/leads/{lead.id}/inquiries", per_page=2))
    records = [record for page in pages for record in page.data]

    assert api.get(lead.id).data["inquiry_count"] == 5
    assert [record["payload"]["message"] for record in records] == [f"inquiry {n}" for n in (5, 4, 3, 2, 1)]
    assert records[-1] | {"id": None, "received_at": None} == {
        "id": None,
        "lead_id": lead.id,
        "occurred_at": "2026-03-02T10:00:00+09:00",
        "received_at": None,
        "source": "portal",
        "media_domain": "example-portal.jp",
        "client_id": "client-acme",
        "channel": "hotlead",
        "payload": {"message": "inquiry 1", "property": {"id": 1}},
        "merge": None,
    }
    assert [page.body["meta"]["total"] for page in pages] == [5, 5, 5]
    assert [page.body["meta"]["last_page"] for page in pages] == [3, 3, 3]
    second = api.call("GET", f"/api/v1/leads/{lead.id}/inquiries", query={"per_page": "2", "page": "2"})
    assert [r["id"] for r in second.data] == [r["id"] for r in pages[1].data]
    bad = api.call("GET", f"/api/v1/leads/{lead.id}/inquiries", query={"cursor": "bm9wZQ"})
    assert bad.status == 400
    assert bad.body["code"] == "INVALID_CURSOR"


def test_deleting_a_lead_deletes_its_inquiries(api):
    lead = repository.create("acme", LeadData(first_name="A"), inquiries=[inquiry(n) for n in range(30)])
    assert len(items_under(keys.inquiry_prefix(lead.id))) == 30

    assert api.call("DELETE", f"/api/v1/leads/{lead.id}").status == 204

    assert items_under("INQ#") == []
    assert api.call("GET", f"/api/v1/leads/{lead.id}/inquiries").status == 404


def test_counters_follow_every_committed_write(api):
    first = api.create(first_name="A", status="new", tags=["x", "y"], starred=True)
    api.create(first_name="B", status="new", tags=["x"])
    api.call("PATCH", f"/api/v1/leads/{first['id']}", body={"status": "won", "tags": ["y"], "starred": False})
    api.call("POST", f"/api/v1/leads/{first['id']}/tags", body={"tag": "z"})

    counters = repository.stats("acme")

    assert {name: value for name, value in counters.items() if value} == {
        "leads": 2,
        "status#new": 1,
        "status#won": 1,
        "tag#x": 1,
        "tag#y": 1,
        "tag#z": 1,
        "pipeline#1": 2,  # both landed in the default pipeline's entry stage
        "stage#1": 2,
    }
    api.call("DELETE", f"/api/v1/leads/{first['id']}")
    assert {name: value for name, value in repository.stats("acme").items() if value} == {
        "leads": 1,
        "status#new": 1,
        "tag#x": 1,
        "pipeline#1": 1,
        "stage#1": 1,
    }


def test_intake_may_store_a_lead_without_a_first_name(api):
    named = api.create(first_name="Zed")
    nameless = repository.create("acme", LeadData(email="only@example.com"))

    lead = api.get(nameless.id).data
    assert (lead["first_name"], lead["display_name"], lead["email"]) == (None, None, "only@example.com")
    assert api.every(sort="first_name", direction="asc") == [named["id"], nameless.id]  # missing sorts last
    assert api.call("PUT", f"/api/v1/leads/{nameless.id}", body={"email": "only@example.com"}).status == 422
    assert api.call("PATCH", f"/api/v1/leads/{nameless.id}", body={"first_name": None}).status == 422
    assert api.call("PATCH", f"/api/v1/leads/{nameless.id}", body={"first_name": "Ona"}).data["display_name"] == "Ona"
