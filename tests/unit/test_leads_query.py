# ruff: noqa: RUF001  (full-width look-alikes are inputs under test)
"""List planning (which key source, what is exact, which counter) and cursor encoding and validation."""

from __future__ import annotations

import base64
import json

import pytest

from leadgate import errors
from leadgate.api import status_of
from leadgate.leads import keys
from leadgate.leads.params import LeadListParams
from leadgate.leads.query import Cursor, decode_cursor, plan


def planned(tenant: str = "acme", **query):
    return plan(tenant, LeadListParams.model_validate(query))


def test_the_unfiltered_list_reads_lead_items_from_the_base_table():
    lead_plan = planned()
    source = lead_plan.source

    assert (source.name, source.index, source.full_items) == ("created", None, True)
    assert (source.partition_attribute, source.partition_value) == ("PK", "T#acme")
    assert (source.low, source.high) == (f"LEAD#{keys.FIRST_ID}", f"LEAD#{keys.LAST_ID}")
    assert source.forward is False
    assert source.skip_source.index == "by_created"
    assert lead_plan.exact
    assert lead_plan.counter == "leads"


@pytest.mark.parametrize(
    ("query", "index", "partition"),
    [
        ({"source": "web"}, "by_source", ("source_key", "T#acme#web")),
        ({"status": "new"}, "by_status", ("status_key", "T#acme#new")),
        ({"pipeline_id": "1"}, "by_pipeline", ("pipeline_key", "T#acme#1")),
        ({"stage_id": "2"}, "by_stage", ("stage_key", "T#acme#2")),
        ({"assigned_user_id": "5"}, "by_assignee", ("assignee_key", "T#acme#5")),
        ({"starred": "true"}, "by_starred", ("starred_key", "T#acme")),
    ],
)
def test_one_equality_filter_reads_its_index_exactly(query, index, partition):
    lead_plan = planned(**query)

    assert lead_plan.source.index == index
    assert (lead_plan.source.partition_attribute, lead_plan.source.partition_value) == partition
    assert lead_plan.source.position_attributes == ("PK", "SK", partition[0])
    assert lead_plan.exact
    assert lead_plan.counter is not None


def test_the_most_selective_filter_wins_and_the_rest_are_checked_in_memory():
    assert planned(tag="vip", assigned_user_id="5").source.name == "tag"
    assert planned(assigned_user_id="5", stage_id="2").source.index == "by_assignee"
    assert planned(stage_id="2", pipeline_id="1").source.index == "by_stage"
    assert planned(pipeline_id="1", status="new").source.index == "by_pipeline"
    assert planned(status="new", source="web").source.index == "by_status"
    assert planned(source="web", starred="true").source.index == "by_source"

    combined = planned(status="new", source="web")
    assert not combined.exact
    assert combined.counter is None
    assert len(combined.predicates) == 2  # both are re-checked on the hydrated leads


def test_tags_read_tag_items_and_created_ranges_become_key_conditions():
    lead_plan = planned(tag="VIP", created_after="2026-03-01", created_before="2026-03-02")
    source = lead_plan.source

    assert source.index is None
    assert source.low.startswith("TAG#vip#") and source.high.startswith("TAG#vip#")
    assert source.low < "TAG#vip#01KJMA" < source.high
    assert lead_plan.exact
    assert lead_plan.counter is None  # no counter for a range
    assert planned(tag="vip").counter == "tag#vip"


def test_sorts_other_than_created_read_their_sort_index_and_filter_in_memory():
    lead_plan = planned(sort="last_name", direction="asc", status="new")

    assert lead_plan.source.index == "by_last_name"
    assert lead_plan.source.partition_attribute == "tenant_key"
    assert lead_plan.source.forward is True
    assert lead_plan.source.position_attributes == ("PK", "SK", "tenant_key", "last_name_sort")
    assert not lead_plan.exact
    assert lead_plan.counter == "status#new"  # the total is still known
    assert planned(sort="lead_score").exact


def test_search_reads_search_items_by_prefix_and_is_never_exact():
    lead_plan = planned(search="０９０-1234")

    assert lead_plan.source.prefix == "SEARCH#0901234"
    assert not lead_plan.exact
    assert lead_plan.counter is None
    assert planned(search="やまだ").source.prefix == "SEARCH#ヤマダ"


def test_starred_false_has_no_index_and_no_counter():
    lead_plan = planned(starred="false")

    assert lead_plan.source.name == "created"
    assert not lead_plan.exact
    assert lead_plan.counter is None


def test_fingerprints_bind_tenant_filters_and_order_but_not_the_page():
    base = planned(status="new").fingerprint

    assert planned(status="new", page="3", per_page="50").fingerprint == base
    assert planned(tenant="beta", status="new").fingerprint != base
    assert planned(status="won").fingerprint != base
    assert planned(status="new", direction="asc").fingerprint != base
    assert planned(status="new", sort="email").fingerprint != base


def cursor_for(lead_plan, **changes):
    position = {"PK": "T#acme", "SK": "LEAD#01JQ6Z8M3R5T7V9X1Z3B5D7F9H", "status_key": "T#acme#new"}
    fields = {"source": lead_plan.source.name, "position": position, "page": 2, "offset": 15}
    fields |= {"fingerprint": lead_plan.fingerprint} | changes
    return Cursor(**fields).encode()


def decode(raw, lead_plan, tenant="acme"):
    return decode_cursor(raw, tenant_id=tenant, source=lead_plan.source, expected_fingerprint=lead_plan.fingerprint)


def test_a_cursor_round_trips_as_opaque_base64url():
    lead_plan = planned(status="new")
    raw = cursor_for(lead_plan)

    assert set(raw) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    cursor = decode(raw, lead_plan)
    assert (cursor.page, cursor.offset) == (2, 15)
    assert cursor.position["status_key"] == "T#acme#new"


@pytest.mark.parametrize(
    "raw",
    [
        "%%%",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"v": 2}).encode()).decode(),
    ],
)
def test_garbage_cursors_are_invalid(raw):
    with pytest.raises(errors.InvalidPosition) as invalid:
        decode(raw, planned(status="new"))

    assert invalid.value.code == "INVALID_CURSOR"
    assert status_of(invalid.value) == 400


def test_cursors_from_another_tenant_query_or_position_are_invalid():
    lead_plan = planned(status="new")
    other_partition = {"PK": "T#beta", "SK": "LEAD#01JQ6Z8M3R5T7V9X1Z3B5D7F9H", "status_key": "T#beta#new"}
    outside = {"PK": "T#acme", "SK": "TAG#x#01JQ6Z8M3R5T7V9X1Z3B5D7F9H", "status_key": "T#acme#new"}

    for raw in (
        cursor_for(planned(status="won")),
        cursor_for(lead_plan, fingerprint=planned(tenant="beta", status="new").fingerprint),
        cursor_for(lead_plan, position=other_partition),
        cursor_for(lead_plan, position=outside),
        cursor_for(lead_plan, position={"PK": "T#acme", "SK": "LEAD#01JQ6Z8M3R5T7V9X1Z3B5D7F9H"}),
        cursor_for(lead_plan, page=0),
        cursor_for(lead_plan, source="by_source"),
    ):
        with pytest.raises(errors.InvalidPosition) as invalid:
            decode(raw, lead_plan)
        assert invalid.value.code == "INVALID_CURSOR"
    with pytest.raises(errors.InvalidPosition):
        decode(cursor_for(lead_plan), planned(tenant="beta", status="new"), tenant="beta")
