"""Races forced into one order: another request commits between an intake's read and its write.

The other request runs for real, through its own handler instance, from inside the intake's repository read
(a wrapper around the real function), so each test shows what the intake does when it loses that race.
"""

import pytest

from leadgate.leads import repository
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.instances import load_instance
from tests.support.inbound import call, get_lead, inbound, inquiries, lead_ids


@pytest.fixture
def other_inbound():
    return load_instance("inbound", 801)


@pytest.fixture
def other_leads():
    return load_instance("leads", 802)


def run_once_before(monkeypatch, name, interloper):
    """Run `interloper()` the first time the intake calls `repository.<name>`, just before it."""
    original = getattr(repository, name)

    def racing(*args, **kwargs):
        monkeypatch.setattr(repository, name, original)
        interloper()
        return original(*args, **kwargs)

    monkeypatch.setattr(repository, name, racing)


def test_a_phone_claimed_by_another_lead_while_merging_makes_the_intake_ambiguous(aws, monkeypatch, other_inbound):
    first = call(inbound({"email": "a@example.com", "first_name": "A"})).body["lead_id"]
    second: dict = {}

    def create_the_other_lead():
        reply = call(inbound({"email": "b@example.com", "phone": "090-7777-8888", "first_name": "B"}), other_inbound)
        second["id"] = reply.body["lead_id"]

    run_once_before(monkeypatch, "update", create_the_other_lead)

    reply = call(inbound({"email": "a@example.com", "phone": "090-7777-8888"}))

    assert reply.status == 409
    assert reply.body["code"] == "DUPLICATE_AMBIGUOUS"
    assert reply.body["lead_ids"] == {"email": first, "phone": second["id"]}
    lead = get_lead(first).body["data"]
    assert (lead["phone"], lead["inquiry_count"]) == (None, 1)


def test_a_lead_changed_while_merging_is_read_again_and_nothing_is_lost(aws, monkeypatch, other_leads):
    lead_id = call(inbound({"email": "a@example.com", "first_name": "A"})).body["lead_id"]

    def patch_the_lead():
        event = rest_event(
            "PATCH",
            f"/api/v1/leads/{lead_id}",
            resource="/api/v1/leads/{id}",
            path_parameters={"id": lead_id},
            body={"status": "contacted"},
            authorizer=caller_context(),
        )
        assert call(event, other_leads).status == 200

    run_once_before(monkeypatch, "update", patch_the_lead)

    reply = call(inbound({"email": "a@example.com", "company": "A社"}))

    assert reply.status == 200
    lead = get_lead(lead_id).body["data"]
    assert (lead["status"], lead["company"], lead["inquiry_count"]) == ("contacted", "A社", 2)


def test_a_lead_deleted_before_the_intake_reads_it_is_created_anew(aws, monkeypatch, other_leads):
    deleted = call(inbound({"email": "a@example.com", "first_name": "A"})).body["lead_id"]

    def delete_the_lead():
        event = rest_event(
            "DELETE",
            f"/api/v1/leads/{deleted}",
            resource="/api/v1/leads/{id}",
            path_parameters={"id": deleted},
            authorizer=caller_context(),
        )
        assert call(event, other_leads).status == 204

    run_once_before(monkeypatch, "get", delete_the_lead)

    reply = call(inbound({"email": "a@example.com", "first_name": "A"}))

    assert reply.status == 201
    assert reply.body["lead_id"] != deleted
    assert lead_ids("acme") == [reply.body["lead_id"]]
    assert len(inquiries(reply.body["lead_id"])) == 1


def test_an_identity_claimed_while_creating_makes_the_intake_merge_into_the_winner(aws, monkeypatch, other_inbound):
    winner: dict = {}

    def create_first():
        winner["id"] = call(inbound({"email": "a@example.com", "first_name": "A"}), other_inbound).body["lead_id"]

    run_once_before(monkeypatch, "create", create_first)

    reply = call(inbound({"email": "A@EXAMPLE.COM", "phone": "090-7777-8888", "first_name": "A"}))

    assert (reply.status, reply.body["lead_id"]) == (200, winner["id"])
    assert get_lead(winner["id"]).body["data"]["phone_e164"] == "+819077778888"
    assert lead_ids("acme") == [winner["id"]]
