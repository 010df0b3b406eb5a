"""Derivation (leadgate.events.derive): a stream record's old and new images -> its events, with stable ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadgate.events import actor
from leadgate.events.derive import MAX_DATA_BYTES, derive, event_id
from leadgate.leads import items, keys
from leadgate.leads.records import NewInquiry, StoredLead
from leadgate.leads.requests import LeadData

LEAD_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
WHEN = "2026-03-28T09:15:00.000+00:00"


def image(version: int = 1, by: str = "client:c1", **fields) -> dict:
    lead = StoredLead(
        id=LEAD_ID, data=LeadData(**fields), version=version, created_at=WHEN, updated_at=WHEN.replace("09", "10")
    )
    with actor.acting_as(by, depth=1):
        return items.lead_item("acme", lead)


def inquiry_image(lead_version: int, **extra) -> dict:
    with actor.acting_as("form:f1"):
        attributes = items.inquiry_attributes(
            NewInquiry(channel="web", payload={"message": "hi"}),
            "01ARZ3NDEKTSV4RRFFQ69G5FAW",
            LEAD_ID,
            WHEN,
            lead_version,
        )
    item = {"PK": keys.partition("acme"), "SK": keys.inquiry_sk(LEAD_ID, "01ARZ3NDEKTSV4RRFFQ69G5FAW"), **attributes}
    return items.attribute_values({**item, **extra})


def types(events) -> list[str]:
    return [event.type for event in events]


def test_a_new_lead_is_created_by_its_writer():
    (created,) = derive(None, image(first_name="Hana"), recorded_at=WHEN)
    assert (created.type, created.actor, created.depth, created.sequence) == ("lead.created", "client:c1", 1, 1)
    assert created.data["first_name"] == "Hana" and created.tenant == "acme" and created.lead_id == LEAD_ID
    assert created.id == event_id("acme", LEAD_ID, 1, "lead.created")


def test_an_update_names_its_changes_and_the_specific_events():
    old = image(1, status="new", tags=["a", "b"], pipeline_stage_id=1, assigned_user_id=3)
    new = image(2, status="won", tags=["b", "c"], pipeline_stage_id=2, assigned_user_id=4)
    events = derive(old, new, recorded_at=WHEN)
    assert types(events) == ["lead.updated", "lead.stage_changed", "lead.assigned", "lead.tagged", "lead.untagged"]
    updated, stage, assigned, tagged, untagged = events
    assert updated.changed_fields == ["assigned_user_id", "pipeline_stage_id", "status", "tags"]
    assert updated.previous == {"assigned_user_id": 3, "pipeline_stage_id": 1, "status": "new", "tags": ["a", "b"]}
    assert stage.previous == {"pipeline_stage_id": 1} and stage.data["pipeline_stage_id"] == 2
    assert assigned.previous == {"assigned_user_id": 3}
    assert (tagged.tag, untagged.tag) == ("c", "a")
    assert {event.sequence for event in events} == {2}


def test_no_change_no_event_and_identities_tags_counters_are_silent():
    assert derive(image(1), image(1), recorded_at=WHEN) == []
    assert derive(image(1, status="x"), image(2, status="x"), recorded_at=WHEN) == []
    tag_item = items.attribute_values({"PK": "T#acme", "SK": keys.tag_sk("vip", LEAD_ID), "lead_id": LEAD_ID})
    assert derive(None, tag_item, recorded_at=WHEN) == []


def test_delete_and_erasure():
    (deleted,) = derive(image(3, email="a@example.com"), None, recorded_at=WHEN)
    assert (deleted.type, deleted.sequence, deleted.actor, deleted.occurred_at) == ("lead.deleted", 4, "system", WHEN)
    tombstone = items.attribute_values(
        {"PK": "T#acme", "SK": keys.lead_sk(LEAD_ID), "version": 4, "erased_at": WHEN, "changed_by": "system"}
    )
    (erased,) = derive(image(3, email="a@example.com"), tombstone, recorded_at=WHEN)
    assert erased.type == "lead.erased" and erased.data == {"id": LEAD_ID} and "a@example.com" not in erased.body()
    assert derive(tombstone, tombstone, recorded_at=WHEN) == []


def test_inquiries_on_a_known_lead_and_forms():
    assert derive(None, inquiry_image(1), recorded_at=WHEN) == []  # created with its lead
    (received,) = derive(None, inquiry_image(2), recorded_at=WHEN)
    assert (received.type, received.actor, received.sequence) == ("lead.inquiry_received", "form:f1", 2)
    assert received.data["payload"] == {"message": "hi"}
    events = derive(None, inquiry_image(1, form_id="frm_1"), recorded_at=WHEN)
    assert types(events) == ["form.submitted"] and events[0].data["form_id"] == "frm_1"


def test_a_large_lead_is_sent_thin_with_its_url():
    (created,) = derive(
        None,
        image(notes="x" * 5000, custom_fields={f"k{n}": "y" * 900 for n in range(20)}),
        recorded_at=WHEN,
        base_url="https://api.example.com",
    )
    assert created.data == {"id": LEAD_ID, "url": f"https://api.example.com/api/v1/leads/{LEAD_ID}"}
    assert len(created.body()) < MAX_DATA_BYTES


statuses = st.sampled_from([None, "new", "won"])
tag_sets = st.lists(st.sampled_from(["a", "b", "c"]), unique=True)


@given(old_status=statuses, new_status=statuses, old_tags=tag_sets, new_tags=tag_sets, version=st.integers(1, 50))
def test_derivation_is_deterministic_and_complete(old_status, new_status, old_tags, new_tags, version):
    old, new = image(version, status=old_status, tags=old_tags), image(version + 1, status=new_status, tags=new_tags)
    first, again = derive(old, new, recorded_at=WHEN), derive(dict(old), dict(new), recorded_at=WHEN)
    assert first == again  # a redelivered record means the same events, with the same ids
    assert len({event.id for event in first}) == len(first)
    tagged = {event.tag for event in first if event.type == "lead.tagged"}
    untagged = {event.tag for event in first if event.type == "lead.untagged"}
    assert (tagged, untagged) == (set(new_tags) - set(old_tags), set(old_tags) - set(new_tags))
    changed = old_status != new_status or old_tags != new_tags
    assert ("lead.updated" in types(first)) == changed
