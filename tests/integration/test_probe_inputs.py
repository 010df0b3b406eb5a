"""Inputs a probe of the local stack broke, one regression test each through the handlers with API Gateway
events: instants without a UTC equivalent, a lone surrogate in a batch item, tags with combining marks,
the text rule's invisible and reordering characters (docs/text.md, docs/api-contract.md)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.leads.tags import PUNCTUATION, alphabet
from leadgate.webhooks import worker
from leadgate.webhooks.events import QueuedEvent
from tests.support.gateway import json_text, leads, request, segment
from tests.support.strategies import suite
from tests.support.webhooks import bodies, create, delivery_event, queued_messages, standard_headers

OUT_OF_RANGE = ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00")
RANGE_MESSAGE = "The date-time must fall within years 1 to 9999 once converted to UTC."


@pytest.fixture
def lead_id(aws):
    created = leads("POST", "/api/v1/leads", body=json_text({"first_name": "Hana", "email": "hana@example.jp"}))
    assert created.status == 201, created.body
    return created.body["data"]["id"]


# ------------------------------------------------------------------ instants


@pytest.mark.parametrize("created_at", OUT_OF_RANGE)
def test_a_hotlead_created_at_without_a_utc_equivalent_is_422(aws, created_at):
    body = {
        "created_at": created_at,
        "media_domain": "suumo.jp",
        "unit_id": "acme",
        "profile": {"name": "山田 太郎", "email": "taro@example.jp"},
    }

    reply = request("inbound", "POST", "/public/api/leads", body=json_text(body))

    assert reply.status == 422, reply.body
    assert reply.body["errors"] == {"created_at": [RANGE_MESSAGE]}


@pytest.mark.parametrize("created_at", OUT_OF_RANGE)
def test_a_leadhub_created_at_without_a_utc_equivalent_is_422(aws, created_at):
    body = {"email": "b@example.com", "created_at": created_at}

    reply = request("inbound", "POST", "/api/inbound/leads", body=json_text(body), query={"tenant": "acme"})

    assert reply.status == 422, reply.body
    assert reply.body["errors"] == {"created_at": [RANGE_MESSAGE]}


def test_the_last_instant_with_a_utc_equivalent_is_taken(aws):
    body = {"email": "b@example.com", "created_at": "9999-12-31T23:59:59+00:00"}

    reply = request("inbound", "POST", "/api/inbound/leads", body=json_text(body), query={"tenant": "acme"})

    assert reply.status == 201, reply.body


@pytest.mark.parametrize("timestamp", OUT_OF_RANGE)
def test_a_standard_webhook_timestamp_without_a_utc_equivalent_is_refused_and_never_queued(invoke, aws, timestamp):
    standard = create("standard")
    body = json.dumps({"type": "lead.created", "timestamp": timestamp, "data": {"email": "b@example.jp"}}).encode()

    status, _headers, answer = invoke(
        "webhooks",
        delivery_event(standard["connection_id"], body, standard_headers(standard["signing_secret"], "msg_1", body)),
    )

    assert status == 400, answer
    assert bodies(queued_messages()) == []


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str | None]:
    return [getattr(record, "event_id", None) for record in caplog.records if record.levelname == "ERROR"]


def test_a_queued_message_the_worker_refuses_is_logged_at_error_with_its_event_id(aws, caplog):
    message = QueuedEvent(
        connection_id="con_x",
        tenant_id="acme",
        provider="standard",
        event_id="msg-far",
        event_type="lead.created",
        occurred_at="2026-01-01T00:00:00+00:00",
        received_at="2026-01-01T00:00:00+00:00",
        event={"type": "lead.created", "data": {}},
    ).model_dump(mode="json")
    message["occurred_at"] = OUT_OF_RANGE[0]  # queued before the receiver refused such instants

    with pytest.raises(worker.PoisonMessage):
        worker.process_message(json.dumps(message))

    assert errors_logged(caplog) == ["msg-far"]


def test_an_event_that_fails_for_good_is_logged_at_error_with_its_event_id(aws, caplog):
    from leadgate.webhooks.events import split_standard

    event = split_standard("msg-bad", {"type": "lead.created", "data": {}}, connection_id="con_x", tenant_id="acme")[0]

    result = worker.process_message(event.to_message())

    assert result.status == "failed"
    assert errors_logged(caplog) == ["msg-bad"]


def test_an_intercom_contact_changed_past_year_9999_is_applied_at_the_events_time(aws):
    from leadgate.webhooks.events import split_intercom

    notification = {
        "type": "notification_event",
        "id": "notif_far",
        "topic": "contact.user.created",
        "created_at": 1764493200,
        "data": {"item": {"type": "contact", "id": "c-far", "email": "far@example.jp", "updated_at": 10**12}},
    }
    (event,) = split_intercom(notification, connection_id="con_x", tenant_id="acme")

    assert worker.process_message(event.to_message()).status == "applied"


# ------------------------------------------------------------------ a lone surrogate in a batch item


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ('{"email": "b@example.com", "notes": "a\\ud800"}', "notes"),
        ('{"email": "b@example.com", "no\\ud800tes": "a"}', "body"),  # as the single-lead routes name it
    ],
)
def test_a_lone_surrogate_in_a_batch_item_fails_the_item_naming_its_field(aws, item, field):
    reply = request("inbound", "POST", "/api/v1/leads/batch", body=f'{{"leads": [{item}]}}')

    assert reply.status == 200, reply.body
    (result,) = reply.body["data"]
    assert (result["status"], result["code"]) == ("failed", "VALIDATION_FAILED"), result
    assert list(result["errors"]) == [field], result["errors"]


# ------------------------------------------------------------------ tags with combining marks


@pytest.mark.parametrize("tag", ["हिंदी", "à̀", "İstanbul"])
def test_a_tag_with_combining_marks_can_be_deleted_by_its_path(lead_id, tag):
    added = leads("POST", f"/api/v1/leads/{lead_id}/tags", body=json_text({"tag": tag}))
    assert added.status == 200, added.body
    (stored,) = added.body["data"]["tags"]

    removed = leads("DELETE", f"/api/v1/leads/{lead_id}/tags/{segment(stored)}")

    assert removed.status == 204, removed.body
    assert leads("GET", f"/api/v1/leads/{lead_id}").body["data"]["tags"] == []


def _tags() -> st.SearchStrategy[str]:
    letters, marks = alphabet()
    letter = st.sampled_from(sorted(letters))
    inside = st.sampled_from(sorted(letters | marks | PUNCTUATION))
    end = st.sampled_from(sorted(letters | marks))
    return st.builds(lambda first, middle, last: first + middle + last, letter, st.text(inside, max_size=8), end)


@suite
@given(tag=_tags())
def test_every_tag_that_can_be_stored_can_be_deleted_by_its_path(lead_id, tag):
    added = leads("POST", f"/api/v1/leads/{lead_id}/tags", body=json_text({"tag": tag}))
    if added.status == 422:  # e.g. too long once stored, or composed into a letter outside the grammar
        return
    assert added.status == 200, added.body
    for stored in added.body["data"]["tags"]:
        removed = leads("DELETE", f"/api/v1/leads/{lead_id}/tags/{segment(stored)}")
        assert removed.status == 204, (stored, removed.body)
    assert leads("GET", f"/api/v1/leads/{lead_id}").body["data"]["tags"] == []


# ------------------------------------------------------------------ the text rule


@pytest.mark.parametrize(
    ("character", "reason"),
    [
        ("\u202e", "The text must not contain bidirectional controls (U+202E found)."),
        ("\u2066", "The text must not contain bidirectional controls (U+2066 found)."),
        ("\ufffe", "The text must not contain noncharacters (U+FFFE found)."),
        ("\ufdd0", "The text must not contain noncharacters (U+FDD0 found)."),
        ("\U0010ffff", "The text must not contain noncharacters (U+10FFFF found)."),
        ("\u2028", "The text must be a single line (U+2028 found)."),
    ],
)
def test_invisible_reordering_and_non_characters_are_refused_naming_the_field(aws, character, reason):
    reply = leads("POST", "/api/v1/leads", body=json_text({"first_name": f"Ha{character}na"}))

    assert reply.status == 422, reply.body
    assert reply.body["errors"] == {"first_name": [reason]}


def test_line_and_paragraph_separators_are_kept_in_multi_line_fields(aws):
    reply = leads("POST", "/api/v1/leads", body=json_text({"first_name": "Hana", "notes": "one\u2028two\u2029"}))

    assert reply.status == 201, reply.body
    assert reply.body["data"]["notes"] == "one\u2028two"  # the separator at the edge is trimmed as whitespace


def test_zero_width_characters_are_stripped_at_the_edges_and_kept_inside(aws):
    reply = leads(
        "POST",
        "/api/v1/leads",
        body=json_text({"first_name": "\u200bHa\u200dna\ufeff", "last_name": " \u2060", "tags": ["\ufeffvip\u200b"]}),
    )

    assert reply.status == 201, reply.body
    data = reply.body["data"]
    assert (data["first_name"], data["last_name"], data["tags"]) == ("Ha\u200dna", None, ["vip"])
