"""Key building for the leads table: partitions, sort keys, sparse index attributes, counters, ULIDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.leads import ids, keys
from leadgate.leads.fields import MAX_SCORE
from leadgate.leads.records import StoredLead
from leadgate.leads.requests import LeadData

LEAD_ID = "01JQ6Z8M3R5T7V9X1Z3B5D7F9H"


def stored(lead_id: str = LEAD_ID, **fields) -> StoredLead:
    data = LeadData(first_name="Taro", **fields)
    return StoredLead(
        id=lead_id,
        data=data,
        version=1,
        created_at="2026-03-01T09:00:00.000+00:00",
        updated_at="2026-03-02T09:00:00.000+00:00",
        email_normalized=data.email_normalized,
        phone_e164=data.phone_e164,
        search_tokens=data.search_tokens(),
    )


def test_every_key_lives_in_the_tenants_partition():
    assert keys.key("acme", keys.lead_sk(LEAD_ID)) == {"PK": {"S": "T#acme"}, "SK": {"S": f"LEAD#{LEAD_ID}"}}
    assert keys.email_sk("a@example.com") == "EMAIL#a@example.com"
    assert keys.phone_sk("+819012345678") == "PHONE#+819012345678"
    assert keys.tag_sk("vip", LEAD_ID) == f"TAG#vip#{LEAD_ID}"
    assert keys.search_sk("山田", LEAD_ID) == f"SEARCH#山田#{LEAD_ID}"
    assert keys.inquiry_sk(LEAD_ID, "01JQ0000000000000000000000") == f"INQ#{LEAD_ID}#01JQ0000000000000000000000"
    assert keys.filter_key("acme", 1) == keys.filter_key("acme", "1") == "T#acme#1"


def test_ids_and_tokens_come_back_out_of_sort_keys():
    assert keys.lead_id_of(keys.tag_sk("a", LEAD_ID)) == LEAD_ID
    assert keys.lead_id_of(keys.search_sk("x#y", LEAD_ID)) == LEAD_ID
    assert keys.token_of(keys.search_sk("x#y", LEAD_ID)) == "x#y"


def test_index_attributes_are_sparse():
    bare = keys.index_attributes("acme", stored())
    full = keys.index_attributes(
        "acme",
        stored(source="web", status="new", pipeline_id=1, pipeline_stage_id="s", assigned_user_id=5, starred=True),
    )

    assert set(bare) == {"tenant_key", "updated_sort", "score_sort", "first_name_sort", "last_name_sort", "email_sort"}
    assert full["source_key"] == "T#acme#web"
    assert full["status_key"] == "T#acme#new"
    assert full["pipeline_key"] == "T#acme#1"
    assert full["stage_key"] == "T#acme#s"
    assert full["assignee_key"] == "T#acme#5"
    assert full["starred_key"] == "T#acme"
    assert full["tenant_key"] == "T#acme"


def test_sort_values_order_by_value_then_id_with_missing_values_last():
    with_name = keys.sort_values(stored(last_name="Yamada"))
    shorter = keys.sort_values(stored(last_name="Yama"))
    without = keys.sort_values(stored())
    kana = keys.sort_values(stored(last_name="山田", last_name_kana="やまだ"))

    assert shorter["last_name_sort"] < with_name["last_name_sort"] < without["last_name_sort"]
    assert kana["last_name_sort"].startswith("0ヤマダ ")
    assert without["email_sort"] == f"1 {LEAD_ID}"
    assert with_name["updated_sort"] == f"2026-03-02T09:00:00.000+00:00#{LEAD_ID}"


@settings(deadline=None)  # timing varies on a loaded machine; the property does not
@given(st.integers(-MAX_SCORE, MAX_SCORE), st.integers(-MAX_SCORE, MAX_SCORE))
def test_score_sort_keys_order_like_the_scores(low, high):
    a = keys.sort_values(stored(lead_score=low))["score_sort"]
    b = keys.sort_values(stored(lead_score=high))["score_sort"]

    assert (a < b) == (low < high)


def test_counter_changes_are_the_difference_between_old_and_new():
    old = LeadData(first_name="A", status="new", tags=["x", "y"], starred=True)
    new = LeadData(first_name="A", status="won", tags=["y", "z"])

    assert keys.counter_changes(None, old) == {"leads": 1, "status#new": 1, "tag#x": 1, "tag#y": 1, "starred": 1}
    assert keys.counter_changes(old, new) == {"status#new": -1, "status#won": 1, "tag#x": -1, "tag#z": 1, "starred": -1}
    assert keys.counter_changes(new, new) == {}
    assert keys.counter_changes(new, None)["leads"] == -1


def test_ulids_sort_by_time_and_ranges_cover_their_millisecond():
    moment = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    lead_id = ids.new_ulid(moment)

    assert ids.is_ulid(lead_id)
    assert len(lead_id) == 26
    assert ids.floor_id(moment) <= lead_id <= ids.ceiling_id(moment)
    assert (
        ids.ceiling_id(moment - timedelta(milliseconds=1)) < lead_id < ids.floor_id(moment + timedelta(milliseconds=1))
    )
    assert not ids.is_ulid("not-a-ulid")
    assert not ids.is_ulid(lead_id.lower())


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 1, 1)), st.integers(1, 10**6))
def test_later_ulids_sort_after_earlier_ones(moment, delta_ms):
    earlier = ids.new_ulid(moment.replace(tzinfo=UTC))
    later = ids.new_ulid(moment.replace(tzinfo=UTC) + timedelta(milliseconds=delta_ms))

    assert earlier < later
