"""The privacy routes (docs/privacy.md), driven like the leads routes (tests/property/test_routes.py): any
`consents` value on a lead write, any id in the path, any list query; never a 5xx, every 4xx in the envelope,
and what a write records reads back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import json_text, leads, segment
from tests.support.strategies import suite

consents = st.fixed_dictionaries(
    {
        "purpose": st.one_of(st.sampled_from(["contact", "marketing", "a.b_c-1"]), s.texts),
        "status": st.one_of(st.sampled_from(["granted", "withdrawn"]), s.texts),
        "text_version": st.one_of(s.mostly_plain, s.scalars),
    },
    optional={"text": st.one_of(s.texts, s.scalars), "page_url": st.one_of(s.texts, s.scalars)},
)


@suite
@given(given_consents=st.one_of(st.lists(consents, max_size=12), s.json_values))
def test_any_consents_on_a_new_lead_are_answered_in_the_envelope_and_read_back(aws, given_consents):
    answer = leads("POST", "/api/v1/leads", body=json_text({"first_name": "A", "consents": given_consents}))
    assert answer.status in (201, 422), answer.body
    if answer.status == 201:
        lead = answer.body["data"]
        listed = leads("GET", f"/api/v1/leads/{lead['id']}/consents", query={"per_page": "100"})
        assert listed.status == 200, listed.body
        recorded = given_consents or []  # null: none given
        assert len(listed.body["data"]) == len(recorded)
        assert set(lead["consents"]) == {consent["purpose"] for consent in recorded}


@suite
@given(text=st.one_of(s.texts, s.plain, st.sampled_from([".", "..", "%", "a%2Fb"])).filter(bool))
def test_any_id_in_a_privacy_path_is_answered_in_the_envelope(aws, text):
    for method, path in (
        ("GET", f"/api/v1/leads/{segment(text)}/consents"),
        ("POST", f"/api/v1/leads/{segment(text)}/erase"),
    ):
        assert leads(method, path).status in (404, 422), (method, path)


@suite
@given(query=s.queries, consent=s.texts)
def test_any_erasures_or_consent_list_query_is_answered_in_the_envelope(aws, query, consent):
    assert leads("GET", "/api/v1/erasures", query=query).status in (200, 400, 422)
    assert leads("GET", "/api/v1/leads", query={"consent": consent}).status in (200, 400, 422)
