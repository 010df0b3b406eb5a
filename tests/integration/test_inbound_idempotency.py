"""Idempotency-Key on the intake POSTs (IETF draft and Stripe semantics), on Powertools' utility and moto."""

import copy
import json
import threading
import time

import boto3
import pytest

from leadgate.leads import repository
from leadgate.settings import get_settings
from leadgate_dev.local.instances import load_instance
from tests.support.inbound import batch, call, hotlead, inbound, items, kinds, lead_ids, upsert
from tests.support.samples import sample_event

SARAH = json.loads(sample_event("inbound", "leadhub")["body"])
KEY = {"Idempotency-Key": "5f0c7d3e-2b7a-4f4e-9d7e-1a2b3c4d5e6f"}


def test_a_replay_answers_the_stored_response_and_writes_nothing(aws):
    first = call(inbound(SARAH, headers=KEY))
    after_first = copy.deepcopy(items("acme"))

    replay = call(inbound(SARAH, headers=KEY))

    assert first.status == 201
    assert (replay.status, replay.body) == (first.status, first.body)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in first.headers
    assert items("acme") == after_first


def test_the_same_body_without_a_key_is_taken_in_again(aws):
    call(inbound(SARAH, headers=KEY))

    again = call(inbound(SARAH))

    assert (again.status, again.body["is_duplicate"]) == (200, True)
    assert kinds("acme")["INQ"] == 2


def test_a_replayed_upsert_keeps_its_status_etag_and_body(aws):
    event = sample_event("inbound", "upsert")
    first = call(event)

    replay = call(copy.deepcopy(event))

    assert (replay.status, replay.body, replay.headers["etag"]) == (201, first.body, first.headers["etag"])
    assert replay.headers["idempotent-replayed"] == "true"
    assert len(lead_ids("acme")) == 1


def test_a_replayed_hotlead_registration_is_204_with_its_headers(aws):
    body = json.loads(sample_event("inbound", "hotlead")["body"])
    first = call(hotlead(body, headers=KEY))

    replay = call(hotlead(body, headers=KEY))

    assert first.status == replay.status == 204
    assert replay.headers["cache-control"] == "no-store"
    assert replay.headers["x-frame-options"] == "SAMEORIGIN"
    assert replay.headers["idempotent-replayed"] == "true"
    assert kinds("1024")["INQ"] == 1


def test_a_replayed_batch_writes_nothing(aws):
    body = {"leads": [SARAH, {"email": "taro@example.jp", "first_name": "太郎"}]}
    first = call(batch(body, headers=KEY))
    before = copy.deepcopy(items("acme"))

    replay = call(batch(body, headers=KEY))

    assert replay.body == first.body
    assert items("acme") == before


@pytest.mark.parametrize(
    "other",
    [
        lambda: inbound({**SARAH, "company": "Another Corp"}, headers=KEY),
        lambda: inbound(SARAH, headers=KEY, query={"dry_run": "true"}),
        lambda: upsert(SARAH, headers=KEY),
    ],
)
def test_the_same_key_with_another_request_is_422_and_writes_nothing(aws, other):
    call(inbound(SARAH, headers=KEY))
    before = copy.deepcopy(items("acme"))

    reply = call(other())

    assert reply.status == 422
    assert reply.body["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert items("acme") == before


def test_whitespace_in_the_json_body_does_not_make_another_request(aws):
    first = call(inbound(SARAH, headers=KEY))

    replay = call(inbound(json.dumps(SARAH, indent=4), headers={**KEY, "Content-Type": "application/json"}))

    assert (replay.status, replay.body) == (first.status, first.body)


def test_keys_are_scoped_per_client(aws):
    call(inbound(SARAH, headers=KEY, client_id="client-zapier"))

    other_client = call(inbound(SARAH, headers=KEY, client_id="client-make"))

    assert other_client.status == 200  # ran: a duplicate of the first client's lead, not a replay
    assert "idempotent-replayed" not in other_client.headers


def test_a_failed_request_is_not_kept_so_the_key_can_be_retried(aws):
    failed = call(inbound({**SARAH, "email": "sarah@"}, headers=KEY))

    retried = call(inbound(SARAH, headers=KEY))

    assert failed.status == 422
    assert retried.status == 201
    assert "idempotent-replayed" not in retried.headers


def test_a_request_still_running_makes_the_same_key_409_with_retry_after(aws, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    original_create = repository.create

    def slow_create(*args, **kwargs):
        entered.set()
        assert release.wait(60)
        return original_create(*args, **kwargs)

    monkeypatch.setattr(repository, "create", slow_create)
    first_instance, second_instance = load_instance("inbound", 901), load_instance("inbound", 902)
    first: dict = {}
    running = threading.Thread(target=lambda: first.update(reply=call(inbound(SARAH, headers=KEY), first_instance)))
    running.start()
    assert entered.wait(60)

    concurrent = call(inbound(SARAH, headers=KEY), second_instance)
    release.set()
    running.join(60)

    assert concurrent.status == 409
    assert concurrent.body["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert int(concurrent.headers["retry-after"]) >= 1
    assert first["reply"].status == 201
    assert call(inbound(SARAH, headers=KEY)).headers["idempotent-replayed"] == "true"
    assert kinds("acme")["INQ"] == 1


def test_keys_are_kept_at_least_24_hours(aws):
    call(inbound(SARAH, headers=KEY))

    (record,) = boto3.client("dynamodb").scan(TableName=get_settings().idempotency_table)["Items"]

    assert record["status"]["S"] == "COMPLETED"
    assert int(record["expiration"]["N"]) >= time.time() + 24 * 3600 - 60


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ", '""', '"abc', " abc"])
def test_a_malformed_key_is_422_naming_the_header(aws, key):
    reply = call(inbound(SARAH, headers={"Idempotency-Key": key}))

    assert reply.status == 422
    assert reply.body["code"] == "VALIDATION_FAILED"
    assert "idempotency-key" in reply.body["errors"]
    assert items("acme") == {}


def test_the_ietf_quoted_form_of_a_key_is_the_same_key(aws):
    first = call(inbound(SARAH, headers={"Idempotency-Key": '"abc-123"'}))

    replay = call(inbound(SARAH, headers={"Idempotency-Key": "abc-123"}))

    assert replay.body == first.body
    assert replay.headers["idempotent-replayed"] == "true"
