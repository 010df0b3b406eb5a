"""The leads contracts: normalisation on input, PATCH semantics, list parameters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from leadgate import errors
from leadgate.leads.params import LeadListParams, parse_moment
from leadgate.leads.requests import LeadData, LeadPatch, LeadReplace
from leadgate.leads.tags import normalize_tag


def test_input_is_normalised_where_it_is_matched_and_kept_as_sent_otherwise():
    data = LeadData(
        first_name=" 太郎 ",
        last_name_kana="ﾔﾏﾀﾞ",
        email=" Taro@Example.COM ",
        phone="０９０ー１２３４ー５６７８",
        tags=["VIP", "vip", " Hot "],
        source="",
    )

    assert data.first_name == "太郎"
    assert data.last_name_kana == "ヤマダ"
    assert data.email == "Taro@Example.COM"
    assert data.email_normalized == "taro@example.com"
    assert data.phone_e164 == "+819012345678"
    assert data.tags == ["vip", "hot"]
    assert data.source is None  # an empty string is no value


def test_patch_changes_only_the_fields_sent_and_null_means_the_default():
    current = LeadData(first_name="A", status="new", tags=["x"], lead_score=5, notes="n")
    patch = LeadPatch.model_validate({"status": None, "tags": None, "lead_score": 7, "id": "ignored"})

    assert patch.changes() == {"status": None, "tags": [], "lead_score": 7}
    assert patch.applied_to(current) == LeadData(first_name="A", notes="n", lead_score=7)


def test_patch_cannot_clear_first_name():
    with pytest.raises(ValidationError) as invalid:
        LeadPatch.model_validate({"first_name": None})

    assert invalid.value.errors()[0]["loc"] == ("first_name",)


def test_list_parameters_parse_dates_inclusively():
    params = LeadListParams.model_validate({"created_after": "2026-03-01", "created_before": "2026-03-01"})

    assert params.created_after == datetime(2026, 3, 1, tzinfo=UTC)
    assert params.created_before == datetime(2026, 3, 1, 23, 59, 59, 999000, tzinfo=UTC)
    assert parse_moment("2026-03-01T09:00:00+09:00", end_of_day=False) == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert parse_moment("2026-03-01T09:00:00Z", end_of_day=True) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_page_past_10000_items_is_out_of_reach():
    with pytest.raises(errors.InvalidPosition) as refused:
        LeadListParams.model_validate({"page": "101", "per_page": "100"})

    assert refused.value.code == "PAGE_OUT_OF_REACH"


def test_created_before_earlier_than_created_after_is_an_empty_window():
    params = LeadListParams.model_validate({"created_after": "2026-03-02", "created_before": "2026-03-01"})

    assert params.empty_range


def test_a_cursor_lifts_the_page_depth_limit():
    assert LeadListParams.model_validate({"page": "101", "per_page": "100", "cursor": "abc"}).page == 101


_TAG_TEXT = st.text(
    st.one_of(
        st.characters(categories=("L", "M", "Nd", "No", "Pd", "Po")),
        st.sampled_from("ĿŀﾞﾟำĲİゟ\uff0d\uff3f\uff1a\uff0e-_:."),
    ),
    min_size=1,
    max_size=64,
)


@given(_TAG_TEXT)
def test_a_stored_tag_is_its_own_normal_form(text):
    """Stored tags are validated again on every read and write (LeadData), so the rule must accept its output."""
    try:
        tag = normalize_tag(text)
    except ValueError:
        return
    assert normalize_tag(tag) == tag


@pytest.mark.parametrize("sent", ["Ĳ" * 33, "İ" * 33, "ゟ" * 33])
def test_a_tag_longer_than_64_characters_once_stored_is_refused(sent):
    """Each is within 64 characters as sent; stored ('ij', 'i' and a dot, 'より') it would not be sendable again."""
    assert normalize_tag(sent[:32]) == normalize_tag(normalize_tag(sent[:32]))
    with pytest.raises(ValueError, match="at most 64 characters once stored"):
        normalize_tag(sent)


def test_patch_and_put_name_every_writable_field():
    """Both derive from LeadData: a field added there is one PATCH and PUT take, PATCH with no default. Both
    also take `consents`, which are recorded, not lead data."""
    assert issubclass(LeadPatch, LeadData) and issubclass(LeadReplace, LeadData)
    assert set(LeadPatch.model_fields) - {"id", "consents"} == set(LeadData.model_fields)
    assert LeadPatch.model_validate({}).changes() == {}
    assert set(LeadReplace.model_fields) - {"id", "consents"} == set(LeadData.model_fields)
