"""External ids as identities: matched first, claimed atomically, kept by the lead API, freed on delete."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from leadgate.intake.contracts import ExternalRef, Intake
from leadgate.intake.service import take_in
from leadgate.leads import pages, repository
from leadgate.leads.records import NewInquiry
from tests.support.leads import LeadsApi


def intake(external_id="151", updated_at="2026-11-30T09:00:00.000+00:00", **values):
    return Intake(
        values=values,
        inquiry=NewInquiry(channel="webhook", payload={"values": values}, source="hubspot"),
        external=ExternalRef("hubspot", external_id, updated_at),
        defaults={"source": "hubspot"},
    )


def test_a_record_with_only_an_external_id_is_a_lead(aws):
    outcome = take_in("acme", intake(first_name="名前だけ"), overwrite=True)
    assert outcome.created
    assert repository.find_by_identity("acme", external=("hubspot", "151")) == {"external": outcome.lead_id}


def test_the_external_id_wins_over_an_email_and_phone_of_two_other_leads(aws, invoke):
    api = LeadsApi()
    by_email = api.create(email="e@example.jp")
    by_phone = api.create(phone="090-1111-2222")
    linked = take_in("acme", intake(first_name="連携"), overwrite=True).lead_id

    outcome = take_in("acme", intake(email="e@example.jp", phone="09011112222", company="社"), overwrite=True)

    assert outcome.lead_id == linked
    assert outcome.matched_on == ("external", "email", "phone")
    assert outcome.conflicts == {"email": by_email["id"], "phone": by_phone["id"]}
    lead = repository.get("acme", linked)
    assert (lead.data.email, lead.data.phone, lead.data.company) == (None, None, "社")


def test_two_first_events_for_one_record_make_one_lead(aws):
    start = threading.Barrier(4)

    def first_event(number):
        start.wait()
        return take_in("acme", intake(email=f"racer{number}@example.jp"), overwrite=True).lead_id

    with ThreadPoolExecutor(4) as pool:
        lead_ids = set(pool.map(first_event, range(4)))

    assert len(lead_ids) == 1
    (lead_id,) = lead_ids
    assert repository.get("acme", lead_id).inquiry_count == 4


def test_the_lead_api_keeps_external_ids_and_accepts_them_sent_back(aws, invoke):
    api = LeadsApi()
    lead_id = take_in("acme", intake(first_name="元", email="keep@example.jp"), overwrite=True).lead_id
    shown = api.call("GET", f"/api/v1/leads/{lead_id}").data

    replaced = api.call("PUT", f"/api/v1/leads/{lead_id}", body={**shown, "first_name": "新"})
    patched = api.call("PATCH", f"/api/v1/leads/{lead_id}", body={"company": "社"})

    assert replaced.status == 200, replaced.body
    assert patched.data["external_ids"] == {"hubspot": "151"}
    assert repository.get("acme", lead_id).external_updated_at == {"hubspot": "2026-11-30T09:00:00.000+00:00"}


def test_deleting_a_lead_frees_its_external_id(aws, invoke):
    api = LeadsApi()
    lead_id = take_in("acme", intake(email="bye@example.jp"), overwrite=True).lead_id
    assert api.call("DELETE", f"/api/v1/leads/{lead_id}").status == 204

    again = take_in("acme", intake(email="bye@example.jp"), overwrite=True)

    assert again.created
    assert again.lead_id != lead_id


def test_a_new_record_id_for_the_lead_replaces_the_link_and_frees_the_old_one(aws):
    lead_id = take_in("acme", intake(email="moved@example.jp"), overwrite=True).lead_id

    outcome = take_in("acme", intake(external_id="152", email="moved@example.jp"), overwrite=True)

    assert outcome.lead_id == lead_id
    assert repository.get("acme", lead_id).external_ids == {"hubspot": "152"}
    assert repository.find_by_identity("acme", external=("hubspot", "151")) == {}
    merge = pages.list_inquiries("acme", lead_id, per_page=5).inquiries[0].record()["merge"]
    assert merge["replaced"] == {"external_ids.hubspot": "151"}


def test_external_ids_are_per_tenant(aws):
    mine = take_in("acme", intake(email="t@example.jp"), overwrite=True).lead_id
    theirs = take_in("beta", intake(email="t@example.jp"), overwrite=True)
    assert theirs.created
    assert theirs.lead_id != mine
