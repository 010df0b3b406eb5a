"""GET /api/v1/events driven like the other list routes (tests/property/test_routes.py): any query, never a 5xx,
every refusal in the envelope."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import request
from tests.support.strategies import suite

EVENT_QUERIES = st.one_of(
    s.queries,
    st.fixed_dictionaries(
        {},
        optional={
            "order": st.sampled_from(["newest", "oldest", "", "x"]),
            "type": st.one_of(st.sampled_from(["lead.*", "*", "lead.created,form.submitted", "lead."]), s.texts),
            "lead_id": st.one_of(st.just("01ARZ3NDEKTSV4RRFFQ69G5FAV"), s.texts),
            "since": st.one_of(st.just("2026-01-01"), s.texts),
            "until": st.one_of(st.just("2026-12-31T00:00:00Z"), s.texts),
            "per_page": st.one_of(st.integers(-1, 101).map(str), s.texts),
            "cursor": st.one_of(st.just("eyJ2IjoxfQ"), s.texts),
        },
    ),
)


@suite
@given(query=EVENT_QUERIES)
def test_any_events_query_is_answered_in_the_envelope(aws, query):
    answer = request("events", "GET", "/api/v1/events", query=query)
    assert answer.status in (200, 400, 422), answer.body
    if answer.status != 200:
        assert answer.body["status"] == "error" and answer.body["code"]
