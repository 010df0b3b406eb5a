"""Who makes a change (leadgate.events.actor): set for a block, restored after it, stamped on lead items."""

from __future__ import annotations

from leadgate.events import actor
from leadgate.leads import items
from leadgate.leads.records import StoredLead
from leadgate.leads.requests import LeadData


def test_acting_as_holds_for_its_block_and_nests():
    assert actor.current() == actor.Actor("system", 0)
    with actor.acting_as(actor.client("c1")):
        with actor.acting_as("automation:a1", depth=2):
            assert actor.current() == actor.Actor("automation:a1", 2)
        assert actor.current().name == "client:c1"
    assert actor.current().name == "system"


def test_lead_items_carry_who_wrote_them():
    lead = StoredLead(id="01ARZ3NDEKTSV4RRFFQ69G5FAV", data=LeadData(), version=1, created_at="t", updated_at="t")
    with actor.acting_as(actor.integration("conn-1"), depth=1):
        item = items.lead_item("acme", lead)
    assert (item["changed_by"], item["change_depth"]) == ({"S": "integration:conn-1"}, {"N": "1"})
    assert items.lead_item("acme", lead)["changed_by"] == {"S": "system"}
