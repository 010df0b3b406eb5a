# ruff: noqa: RUF001  (full-width look-alikes are inputs under test)
"""GET /api/v1/leads on moto: every filter, sort, search, created range and the pagination contract.

Expected results are computed from the created records with plain Python, and compared with what a client
following links.next receives.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from leadgate.workspace.pipelines import service as pipelines
from leadgate.workspace.pipelines.requests import PipelineCreate
from tests.support.leads import START, LeadsApi
from tests.support.samples import sample_event
from tests.support.users import seed_users

PEOPLE = [
    dict(first_name="Taro", last_name="Yamada", last_name_kana="やまだ", first_name_kana="たろう",
         email="taro@example.com", phone="090-1234-5678", source="web", status="new", pipeline_id=1,
         pipeline_stage_id=2, assigned_user_id=5, tags=["vip"], starred=True, lead_score=50),
    dict(first_name="Hanako", last_name="Sato", email="hanako@example.co.jp", phone="03-1234-5678", source="web",
         status="contacted", pipeline_id="1", pipeline_stage_id=3, assigned_user_id=7, tags=["vip", "hot"],
         lead_score=10),
    dict(first_name="Sarah", last_name="Johnson", email="sarah@example.com", phone="+14155551234",
         source="facebook", status="new", pipeline_stage_id=2, tags=["hot"], starred=True,
         lead_score=-5),
    dict(first_name="Ichiro", last_name="Suzuki", source="facebook", status="qualified", assigned_user_id=5,
         lead_score=99),
    dict(first_name="bob", email="bob@b.example", status="new", lead_score=10),
    dict(first_name="花子", last_name="山田", last_name_kana="ヤマダ", first_name_kana="ハナコ",
         email="hanako.yamada@example.com", source="web", status="new", tags=["vip"], lead_score=0),
    dict(first_name="Alice", last_name="anderson", email="Alice@Example.org", source="partner", status="lost",
         pipeline_id=2, starred=True, lead_score=10),
]  # fmt: skip


@pytest.fixture
def ticking(clock):
    """Each read of the time one minute after the previous one, from START: created order is the list order."""
    clock.now, clock.tick = START.timestamp(), 60.0
    return clock


@pytest.fixture
def api(aws, invoke, ticking):
    seed_users("acme", 7)  # the users PEOPLE are assigned to
    return LeadsApi()


@pytest.fixture
def people(api, ticking):
    """PEOPLE created in order, with the default pipeline 1 (stages 1-6) and pipeline 2 (stages 7-12) there first;
    a lead naming no stage lands in stage 1 of pipeline 1."""
    pipelines.create_pipeline("acme", PipelineCreate(name="Partners"))
    ticking.now = START.timestamp()
    return [api.create(**person) for person in PEOPLE]


def ids(records):
    return [record["id"] for record in records]


def newest_first(records):
    return sorted(ids(records), reverse=True)


def test_the_unfiltered_list_is_newest_first_in_leadhubs_envelope(api, people):
    reply = api.send(
        sample_event("leads", "list") | {"queryStringParameters": None, "multiValueQueryStringParameters": None}
    )

    assert reply.status == 200
    assert ids(reply.data) == newest_first(people)
    assert reply.data[0] == people[-1]
    assert reply.body["meta"] == {
        "current_page": 1,
        "last_page": 1,
        "per_page": 15,
        "total": len(PEOPLE),
        "from": 1,
        "to": len(PEOPLE),
        "next_cursor": None,
    }
    assert reply.body["links"] == {
        "first": "https://api.example.com/api/v1/leads?page=1",
        "last": "https://api.example.com/api/v1/leads?page=1",
        "prev": None,
        "next": None,
        "self": "https://api.example.com/api/v1/leads",
    }


def test_the_sample_list_event_filters_by_status_two_per_page(api, people):
    new = [p for p in people if p["status"] == "new"]

    reply = api.send(sample_event("leads", "list"))  # ?status=new&per_page=2

    assert reply.status == 200
    assert ids(reply.data) == newest_first(new)[:2]
    assert reply.body["meta"]["total"] == len(new)
    assert reply.body["meta"]["last_page"] == 2
    next_query = parse_qs(urlsplit(reply.body["links"]["next"]).query)
    assert next_query["status"] == ["new"]
    assert next_query["per_page"] == ["2"]
    assert next_query["cursor"] == [reply.body["meta"]["next_cursor"]]
    assert "page" not in next_query


EQUALITY_FILTERS = [
    ("source", "web", lambda p: p["source"] == "web"),
    ("source", "facebook", lambda p: p["source"] == "facebook"),
    ("status", "new", lambda p: p["status"] == "new"),
    ("pipeline_id", "1", lambda p: p["pipeline_id"] == 1),  # sent as 1 and as "1", or landed there
    ("pipeline_id", "2", lambda p: p["pipeline_id"] == 2),
    ("stage_id", "2", lambda p: p["pipeline_stage_id"] == 2),
    ("assigned_user_id", "5", lambda p: p["assigned_user_id"] == 5),
    ("assigned_user_id", "7", lambda p: p["assigned_user_id"] == 7),
    ("tag", "vip", lambda p: "vip" in p["tags"]),
    ("tag", "HOT", lambda p: "hot" in p["tags"]),
    ("starred", "true", lambda p: p["starred"]),
    ("starred", "false", lambda p: not p["starred"]),
    ("status", "nobody-has-this", lambda p: False),
]


def test_each_equality_filter_returns_exactly_its_leads_with_an_exact_total(api, people):
    for name, value, wanted in EQUALITY_FILTERS:
        expected = newest_first([p for p in people if wanted(p)])

        assert api.every(**{name: value}) == expected, (name, value)
        assert api.every(**{name: value}, per_page=1) == expected, (name, value)
        first = api.list(**{name: value}, per_page=1).body["meta"]
        if (name, value) != ("starred", "false") or len(expected) <= 1:  # no counter for starred=false
            assert first["total"] == len(expected), (name, value)
            assert first["last_page"] == max(1, len(expected)), (name, value)


def test_combined_filters_are_all_applied(api, people):
    combinations = [
        {"status": "new", "source": "web"},
        {"tag": "vip", "status": "new"},
        {"pipeline_id": "2", "starred": "true"},
        {"assigned_user_id": "5", "source": "facebook"},
        {"stage_id": "2", "tag": "hot", "starred": "true"},
        {"status": "new", "starred": "false"},
    ]
    for query in combinations:
        expected = newest_first([p for p in people if all(matches(p, name, value) for name, value in query.items())])
        assert api.every(**query) == expected, query
        assert api.every(**query, per_page=1) == expected, query


def matches(person, name, value):
    """The meaning of each filter, in plain Python."""
    field = {"stage_id": "pipeline_stage_id"}.get(name, name)
    if name == "tag":
        return value in person["tags"]
    if name == "starred":
        return person["starred"] is (value == "true")
    return person[field] is not None and str(person[field]) == value


def test_combined_filters_report_no_total_until_the_last_page(api, people):
    pages = list(api.pages(status="new", source="web", per_page=1))

    assert [page.body["meta"]["total"] for page in pages] == [None, 2]
    assert [page.body["meta"]["last_page"] for page in pages] == [None, 2]
    assert pages[0].body["links"]["last"] is None


def sort_key(field):
    def key(record):
        value = record[field]
        if field in ("first_name", "last_name"):
            value = record[f"{field}_kana"] or value
        if field == "email":
            value = record["email_normalized"]
        if isinstance(value, str):
            value = value.lower()
        return (value is None, value if value is not None else "", record["id"])

    return key


@pytest.mark.parametrize("field", ["created_at", "updated_at", "lead_score", "first_name", "last_name", "email"])
def test_every_sort_in_both_directions(api, people, field):
    # Touch two leads so that updated_at differs from created order.
    api.call("PATCH", f"/api/v1/leads/{people[0]['id']}", body={"notes": "touched"})
    api.call("PATCH", f"/api/v1/leads/{people[3]['id']}", body={"notes": "touched"})
    records = api.list(per_page=100).data
    ascending = ids(sorted(records, key=sort_key(field)))
    missing = [r["id"] for r in records if sort_key(field)(r)[0]]
    descending = ascending[::-1]

    assert api.every(sort=field, direction="asc", per_page=3) == ascending
    assert api.every(sort=field, direction="desc", per_page=3) == descending
    assert api.every(sort=field) == descending  # desc by default
    if missing:  # leads without a value come last ascending, first descending
        assert ascending[-len(missing) :] == sorted(missing)
        assert set(descending[: len(missing)]) == set(missing)
    assert api.list(sort=field, per_page=2).body["meta"]["total"] == len(PEOPLE)


def test_sorting_with_a_filter_keeps_the_filter(api, people):
    expected = ids(sorted((p for p in people if p["status"] == "new"), key=sort_key("lead_score")))

    assert api.every(sort="lead_score", direction="asc", status="new", per_page=2) == expected
    assert api.list(sort="lead_score", status="new", per_page=2).body["meta"]["total"] == len(expected)


def test_names_sort_by_their_kana_reading(api):
    kanji_without_kana = api.create(first_name="一郎", last_name="鈴木")
    yamada = api.create(first_name="太郎", last_name="山田", last_name_kana="ヤマダ")
    sato = api.create(first_name="花子", last_name="佐藤", last_name_kana="さとう")
    ito = api.create(first_name="Ken", last_name="ito")

    assert api.every(sort="last_name", direction="asc") == [
        ito["id"],
        sato["id"],
        yamada["id"],
        kanji_without_kana["id"],
    ]


SEARCHES = [
    ("yamada", {"Taro"}),
    ("Yama", {"Taro"}),
    ("やまだ", {"Taro", "花子"}),
    ("ヤマダ", {"Taro", "花子"}),
    ("ﾔﾏﾀﾞ", {"Taro", "花子"}),
    ("山田", {"花子"}),
    ("山田花子", {"花子"}),
    ("taro yamada", {"Taro"}),
    ("ta", {"Taro"}),
    ("han", {"Hanako", "花子"}),
    ("HANAKO@EXAMPLE.CO.JP", {"Hanako"}),
    ("sarah@", {"Sarah"}),
    ("090-1234-5678", {"Taro"}),
    ("０９０１２３４", {"Taro"}),
    ("+81 90 1234 5678", {"Taro"}),
    ("0312345678", {"Hanako"}),
    ("+1 415 555", {"Sarah"}),
    ("nobody", set()),
]


def test_search_finds_names_kana_emails_and_phones_in_any_format_each_lead_once(api, people):
    by_id = {p["id"]: p["first_name"] for p in people}
    for search, names in SEARCHES:
        found = api.every(search=search, per_page=1)

        assert len(found) == len(set(found)), search
        assert {by_id[lead_id] for lead_id in found} == names, search
        assert api.every(search=search) == found, search


def test_search_combines_with_filters_and_with_every_sort(api, people):
    both = api.every(search="han", status="new")
    too_long = api.list(search="x" * 101)

    assert [p["first_name"] for p in people if p["id"] in both] == ["花子"]
    for search, names in SEARCHES:
        matched = [p for p in people if p["first_name"] in names]
        for field in ("last_name", "lead_score", "email"):
            # In another order than the default, a search is a filter on that order's index.
            assert api.every(search=search, sort=field, direction="asc", per_page=2) == ids(
                sorted(matched, key=sort_key(field))
            ), (search, field)
    assert too_long.status == 422
    assert "search" in too_long.body["errors"]


def test_created_range_is_inclusive_for_dates_and_date_times(api, people):
    created = {p["id"]: p["created_at"] for p in people}
    third, fifth = people[2]["created_at"], people[4]["created_at"]

    def between(low=None, high=None, wanted=lambda p: True):
        after = [p for p in people if low is None or p["created_at"] >= low]
        return newest_first([p for p in after if (high is None or p["created_at"] <= high) and wanted(p)])

    assert api.every(created_after=third) == between(low=third)
    assert api.every(created_before=third) == between(high=third)
    assert api.every(created_after=third, created_before=fifth, per_page=1) == between(third, fifth)
    assert len(api.every(created_after=third, created_before=fifth)) == 3
    assert api.every(created_after="2026-03-01", created_before="2026-03-01") == sorted(created, reverse=True)
    assert api.every(created_after="2026-03-02") == []
    assert api.every(created_before="2026-02-28") == []
    assert api.every(created_after=third.replace("+00:00", "Z")) == between(low=third)
    assert api.every(created_after=third, status="new") == between(low=third, wanted=lambda p: p["status"] == "new")
    assert api.every(created_before=fifth, tag="vip") == between(high=fifth, wanted=lambda p: "vip" in p["tags"])
    assert api.every(created_after=third, sort="lead_score", direction="asc") == ids(
        sorted((p for p in people if p["created_at"] >= third), key=sort_key("lead_score"))
    )
    assert api.every(created_after=third, search="han") == [people[5]["id"]]
    assert api.list(created_after=third, per_page=1).body["meta"]["total"] is None


def test_invalid_list_parameters_are_422_with_the_parameter(api):
    for query, field in (
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"sort": "score"}, "sort"),
        ({"direction": "up"}, "direction"),
        ({"starred": "maybe"}, "starred"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"tag": "a#b"}, "tag"),
        ({"colour": "red"}, "colour"),
    ):
        reply = api.list(**query)
        assert reply.status == 422, query
        assert reply.body["code"] == "VALIDATION_FAILED"
        assert field in reply.body["errors"], (query, reply.body)


def test_a_page_number_past_10000_items_is_400_out_of_reach_and_a_cursor_goes_on(api):
    reply = api.list(page="101", per_page="100")

    assert reply.status == 400
    assert reply.body["code"] == "PAGE_OUT_OF_REACH"
    assert "page" in reply.body["errors"]


def test_an_empty_created_window_lists_nothing(api):
    api.create(first_name="Inside")

    reply = api.list(created_after="2026-03-02", created_before="2026-03-01")

    assert reply.status == 200
    assert reply.data == []
    assert reply.body["meta"]["total"] == 0


def test_following_links_next_visits_every_lead_exactly_once(api):
    created = [api.create(first_name=f"P{i:02}", status="new" if i % 3 else "won") for i in range(23)]
    expected = newest_first(created)

    pages = list(api.pages(per_page=5))

    assert [lead_id for page in pages for lead_id in ids(page.data)] == expected
    assert [page.body["meta"]["current_page"] for page in pages] == [1, 2, 3, 4, 5]
    assert [(page.body["meta"]["from"], page.body["meta"]["to"]) for page in pages] == [
        (1, 5), (6, 10), (11, 15), (16, 20), (21, 23)
    ]  # fmt: skip
    assert all(page.body["meta"]["total"] == 23 and page.body["meta"]["last_page"] == 5 for page in pages)
    assert parse_qs(urlsplit(pages[2].body["links"]["prev"]).query) == {"per_page": ["5"], "page": ["2"]}
    assert pages[-1].body["links"]["next"] is None
    # page=N without a cursor is the same page (keys skipped); prev/last links work too.
    assert ids(api.list(per_page=5, page=3).data) == ids(pages[2].data)
    assert ids(api.follow(pages[2].body["links"]["prev"]).data) == ids(pages[1].data)
    assert ids(api.follow(pages[0].body["links"]["last"]).data) == ids(pages[-1].data)
    beyond = api.list(per_page=5, page=9)
    assert beyond.data == []
    assert beyond.body["meta"]["total"] == 23
    # The same for an equality filter, in both directions.
    new = [p for p in created if p["status"] == "new"]
    assert api.every(status="new", per_page=4) == newest_first(new)
    assert api.every(status="new", per_page=4, direction="asc") == sorted(ids(new))
    assert ids(api.list(status="new", per_page=4, page=2).data) == newest_first(new)[4:8]


def test_a_page_stops_at_its_read_budget_and_links_next_still_reaches_every_match(api):
    rare = [api.create(first_name=f"Rare{i}", status="new", source="rare") for i in range(2)]
    common = [api.create(first_name=f"C{i:02}", status="new", source="web") for i in range(24)]

    pages = list(api.pages(status="new", source="rare", per_page=2))

    # status=new is served by its index; source=rare is checked in memory, at most 5 x 2 candidates a page.
    assert pages[0].data == []
    assert pages[0].body["links"]["next"]
    assert pages[0].body["meta"]["total"] is None
    assert [lead_id for page in pages for lead_id in ids(page.data)] == newest_first(rare)
    assert len(pages) == 3  # 26 candidates, at most 10 a page
    assert api.every(status="new", source="web", per_page=5) == newest_first(common)
    refused = api.list(status="new", source="rare", per_page=2, page=2)
    assert refused.status == 400
    assert refused.body["code"] == "PAGE_OUT_OF_REACH"
    assert "page" in refused.body["errors"]


def cursor_of(reply):
    return reply.body["meta"]["next_cursor"]


def test_cursors_are_bound_to_their_tenant_and_query(api, invoke):
    for i in range(4):
        api.create(first_name=f"P{i}", status="new")
    first = api.list(per_page=2, status="new")
    cursor = cursor_of(first)
    body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))

    def forged(**changes):
        return base64.urlsafe_b64encode(json.dumps({**body, **changes}).encode()).decode().rstrip("=")

    assert api.list(per_page=2, status="new", cursor=cursor).status == 200
    assert api.list(per_page=3, status="new", cursor=cursor).status == 200  # page size may change
    for query in (
        {"status": "new", "cursor": "not-base64!"},
        {"status": "new", "cursor": base64.urlsafe_b64encode(b"[1]").decode()},
        {"status": "won", "cursor": cursor},
        {"cursor": cursor},
        {"status": "new", "cursor": cursor, "direction": "asc"},
        {"status": "new", "cursor": forged(k={**body["k"], "PK": "T#beta"})},
        {"status": "new", "cursor": forged(k={"PK": body["k"]["PK"], "SK": body["k"]["SK"]})},
        {"status": "new", "cursor": forged(p="2")},
        {"status": "new", "cursor": forged(v=99)},
    ):
        reply = api.list(per_page=2, **query)
        assert reply.status == 400, query
        assert reply.body["code"] == "INVALID_CURSOR"
        assert "cursor" in reply.body["errors"]
    assert LeadsApi(tenant="beta").list(per_page=2, status="new", cursor=cursor).status == 400


def test_a_forged_position_outside_the_query_is_an_invalid_cursor(api):
    for i in range(3):
        api.create(first_name=f"P{i}", tags=["a", "b"])
    cursor = cursor_of(api.list(tag="a", per_page=1))
    body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    body["k"]["SK"] = body["k"]["SK"].replace("TAG#a#", "TAG#b#")
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")

    reply = api.list(tag="a", per_page=1, cursor=forged)

    assert reply.status == 400
    assert reply.body["code"] == "INVALID_CURSOR"
