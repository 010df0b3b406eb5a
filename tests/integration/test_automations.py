"""Automations through the handlers with real events: the API on API Gateway events; the runner on the events
table's real stream records (moto), fed by the event stream function from the leads table's stream, so every
change an automation makes is journaled and can trigger the next one; waits on the automations queue's SQS
messages; a loopback receiver verifies `send_webhook`'s signature as a customer would."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from standardwebhooks import Webhook

from leadgate.automations import resume, runs
from leadgate.aws import reset_clients
from leadgate.leads import repository
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from leadgate.workspace import items, tags
from leadgate.workspace.pipelines import store as pipelines
from leadgate.workspace.users import service as users_service
from leadgate.workspace.users.requests import UserPatch
from leadgate_dev.harness import authorizer_context, handle
from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.event_sources import sqs_event
from tests.support.leads import LeadsApi
from tests.support.outbound import Receiver
from tests.support.streams import TableStream
from tests.support.users import seed_users

SCOPES = ("read:automations", "write:automations", "delete:automations")


@pytest.fixture
def api(aws, invoke, monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    reset_clients()

    def _call(method, path, body=None, *, tenant="acme", query=None, headers=None):
        authorizer = authorizer_context(tenant=tenant, scopes=SCOPES)
        event = rest_event(method, path, body=body, query=query, headers=headers, authorizer=authorizer)
        return invoke("automations", event)

    return _call


class Pipeline:
    """The leads table's stream -> the event stream function -> the journal's stream -> the runner, until quiet."""

    def __init__(self, aws) -> None:
        self.leads = TableStream(aws.tables["LEADS_TABLE"])
        self.journal = TableStream(aws.tables["EVENTS_TABLE"])

    def events(self) -> dict:
        changes = self.leads.take()
        if changes["Records"]:
            assert handle("event_stream", changes) == {"batchItemFailures": []}
        return self.journal.take()

    def pump(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            journaled = self.events()
            if not journaled["Records"]:
                return
            assert handle("automation_runner", journaled) == {"batchItemFailures": []}
        raise AssertionError("the automations did not settle")


@pytest.fixture
def flow(aws, monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")  # moto's streams behind current botocore
    return Pipeline(aws)


@pytest.fixture
def leads(aws):
    return LeadsApi("acme")


def _create(api, body, tenant="acme"):
    status, headers, answer = api("POST", "/api/v1/automations", body, tenant=tenant)
    assert status == 201, answer
    return answer["data"], headers


def _runs(api, automation_id):
    status, _, body = api("GET", f"/api/v1/automations/{automation_id}/runs")
    assert status == 200, body
    return body["data"]


def _stage_ids(tenant="acme"):
    (default,) = pipelines.all_pipelines(tenant)
    return list(default.stage_ids)


# ------------------------------------------------------------------ the resource


def test_create_read_list_replace_patch_delete_with_etags(api, leads):
    leads.create(first_name="Seed")  # the default pipeline and its stages
    tags.create("acme", "partner", None, None)
    body = {
        "name": "Partner leads",
        "trigger": {"type": "lead.created"},
        "conditions": {"match": "all", "rules": [{"field": "source", "operator": "equals", "value": "partner"}]},
        "actions": [{"type": "add_tag", "tag": "partner"}, {"type": "move_to_stage", "stage_id": _stage_ids()[1]}],
    }
    created, headers = _create(api, body)
    assert headers["ETag"] == '"1"' and headers["Location"].endswith(f"/api/v1/automations/{created['id']}")
    assert created["active"] is True and created["reenroll"] is False and "secret" not in created
    assert created["runs"] == {"total": 0, "succeeded": 0, "failed": 0, "stopped": 0}
    path = f"/api/v1/automations/{created['id']}"
    status, _, got = api("GET", path)
    assert status == 200 and got["data"] == created
    status, _, listed = api("GET", "/api/v1/automations")
    assert status == 200 and [found["id"] for found in listed["data"]] == [created["id"]]
    status, _, _ = api("PATCH", path, {"active": False}, headers={"If-Match": '"9"'})
    assert status == 412
    status, headers, patched = api("PATCH", path, {"active": False}, headers={"If-Match": '"1"'})
    assert status == 200 and patched["data"]["active"] is False and headers["ETag"] == '"2"'
    status, _, replaced = api("PUT", path, {**body, "name": "Renamed", "reenroll": True})
    assert status == 200 and replaced["data"]["name"] == "Renamed" and replaced["data"]["active"] is True
    assert api("GET", path, tenant="other")[0] == 404
    assert api("GET", f"{path}/runs", tenant="other")[0] == 404
    assert api("PATCH", path, {"active": False}, tenant="other")[0] == 404
    assert api("DELETE", path, tenant="other")[0] == 404
    assert api("DELETE", path)[0] == 204
    assert api("GET", path)[0] == 404


def test_references_the_tenant_lacks_are_422_naming_the_place(api, leads):
    leads.create(first_name="Seed")
    body = {
        "name": "Broken",
        "trigger": {"type": "form.submitted", "form_id": 7},
        "actions": [
            {"type": "assign", "user_id": 42},
            {"type": "add_tag", "tag": "nowhere"},
            {"type": "move_to_stage", "stage_id": 999},
            {"type": "send_webhook", "url": "http://169.254.169.254/latest"},
        ],
    }
    status, _, answer = api("POST", "/api/v1/automations", body)
    assert status == 422, answer
    assert set(answer["errors"]) == {
        "trigger.form_id",
        "actions.0.user_id",
        "actions.1.tag",
        "actions.2.stage_id",
        "actions.3.url",
    }
    bad_shape = {"name": "x", "trigger": {"type": "lead.updated"}, "actions": [{"type": "wait", "seconds": 5}]}
    assert api("POST", "/api/v1/automations", bad_shape)[0] == 422
    assert api("GET", "/api/v1/automations/0")[0] == 404


# ------------------------------------------------------------------ running


def test_a_lead_created_automation_tags_and_moves_only_the_matching_leads(api, leads, flow):
    leads.create(first_name="Seed")
    flow.pump()
    tags.create("acme", "partner", None, None)
    target = _stage_ids()[1]
    created, _ = _create(
        api,
        {
            "name": "Partner leads",
            "trigger": {"type": "lead.created"},
            "conditions": {"rules": [{"field": "source", "operator": "in", "value": ["partner", "affiliate"]}]},
            "actions": [{"type": "add_tag", "tag": "partner"}, {"type": "move_to_stage", "stage_id": target}],
        },
    )
    matching = leads.create(first_name="Aoi", source="partner")
    other = leads.create(first_name="Ren", source="web")
    flow.pump()
    moved = leads.get(matching["id"]).data
    assert moved["tags"] == ["partner"] and moved["pipeline_stage_id"] == target
    kept = leads.get(other["id"]).data
    assert kept["tags"] == [] and kept["pipeline_stage_id"] != target
    (run,) = _runs(api, created["id"])
    assert run["lead_id"] == matching["id"] and run["status"] == "succeeded" and run["depth"] == 1
    assert [step["outcome"] for step in run["actions"]] == ["done", "done"]
    got = api("GET", f"/api/v1/automations/{created['id']}")[2]
    assert got["data"]["runs"]["succeeded"] == 1 and got["data"]["runs"]["total"] == 1


def test_a_redelivered_record_applies_nothing_twice(api, leads, flow):
    leads.create(first_name="Seed")
    flow.pump()
    user_ids = seed_users("acme", 2)
    created, _ = _create(
        api,
        {
            "name": "Round robin",
            "trigger": {"type": "lead.created"},
            "actions": [{"type": "assign_round_robin", "user_ids": user_ids}],
        },
    )
    lead = leads.create(first_name="Aoi")
    journaled = flow.events()
    assert handle("automation_runner", journaled) == {"batchItemFailures": []}
    version = leads.get(lead["id"]).data["updated_at"]
    assert handle("automation_runner", journaled) == {"batchItemFailures": []}  # the stream delivers it again
    assert leads.get(lead["id"]).data["updated_at"] == version
    assert leads.get(lead["id"]).data["assigned_user_id"] == user_ids[0]
    assert len(_runs(api, created["id"])) == 1


def test_round_robin_over_four_users_gives_25_each_to_100_concurrent_leads(api, leads, flow):
    leads.create(first_name="Seed")
    flow.pump()
    user_ids = seed_users("acme", 5)
    users_service.patch_user("acme", user_ids[4], UserPatch(active=False), None)
    created, _ = _create(
        api,
        {
            "name": "Round robin",
            "trigger": {"type": "lead.created"},
            "actions": [{"type": "assign_round_robin", "user_ids": user_ids[:4]}],
        },
    )
    pipeline = pipelines.all_pipelines("acme")[0]
    made = [  # the leads' own writes are not under test here: the repository's, as intake makes them
        repository.create(
            "acme", LeadData(first_name=f"Lead {n}", pipeline_id=pipeline.id, pipeline_stage_id=pipeline.stage_ids[0])
        ).id
        for n in range(100)
    ]
    records = flow.events()["Records"]
    created_events = [
        record for record in records if '"type":"lead.created"' in record["dynamodb"]["NewImage"]["body"]["S"]
    ]
    assert len(created_events) == 100
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda record: handle("automation_runner", {"Records": [record]}), created_events))
    assert all(answer == {"batchItemFailures": []} for answer in answers)
    assigned = Counter(repository.get("acme", lead_id).data.assigned_user_id for lead_id in made)
    assert assigned == {user_id: 25 for user_id in user_ids[:4]}
    got = api("GET", f"/api/v1/automations/{created['id']}")[2]
    assert got["data"]["runs"]["succeeded"] == 100


def test_a_user_deactivated_after_saving_is_skipped_and_the_run_says_why(api, leads, flow):
    leads.create(first_name="Seed")
    flow.pump()
    (user_id,) = seed_users("acme", 1)
    created, _ = _create(
        api,
        {"name": "Assign", "trigger": {"type": "lead.created"}, "actions": [{"type": "assign", "user_id": user_id}]},
    )
    users_service.patch_user("acme", user_id, UserPatch(active=False), None)
    lead = leads.create(first_name="Aoi")
    flow.pump()
    assert leads.get(lead["id"]).data["assigned_user_id"] is None
    (run,) = _runs(api, created["id"])
    (step,) = run["actions"]
    assert step["outcome"] == "skipped" and "not an active user" in step["detail"]


def test_the_classic_loop_stops_at_depth_3_recorded_as_stopped_loop(api, leads, flow):
    lead = leads.create(first_name="Seed", tags=["x", "y"])
    assert leads.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/y").status == 204
    assert leads.call("DELETE", f"/api/v1/leads/{lead['id']}/tags/x").status == 204
    flow.pump()
    a, _ = _create(
        api,
        {
            "name": "A",
            "reenroll": True,
            "trigger": {"type": "lead.tagged", "tag": "y"},
            "actions": [{"type": "add_tag", "tag": "x"}, {"type": "remove_tag", "tag": "y"}],
        },
    )
    b, _ = _create(
        api,
        {
            "name": "B",
            "reenroll": True,
            "trigger": {"type": "lead.tagged", "tag": "x"},
            "actions": [{"type": "add_tag", "tag": "y"}, {"type": "remove_tag", "tag": "x"}],
        },
    )
    assert leads.call("POST", f"/api/v1/leads/{lead['id']}/tags", body={"tag": "y"}).status in (200, 201)
    flow.pump()
    runs_a, runs_b = _runs(api, a["id"]), _runs(api, b["id"])
    assert sorted((run["depth"], run["status"]) for run in runs_a) == [(1, "succeeded"), (3, "succeeded")]
    assert sorted((run["depth"], run["status"], run["reason"]) for run in runs_b) == [
        (2, "succeeded", None),
        (4, "stopped", "loop"),
    ]
    assert leads.get(lead["id"]).data["tags"] == ["x"]


def test_wait_then_send_webhook_delivers_a_signed_request_after_the_scaled_delay(api, leads, flow, monkeypatch):
    monkeypatch.setenv("LEADGATE_LOCAL_DELAY_SCALE", "0.001")  # 1000 s wait -> 1 s
    get_settings.cache_clear()
    leads.create(first_name="Seed")
    flow.pump()
    with Receiver() as receiver:
        created, _ = _create(
            api,
            {
                "name": "Follow up",
                "trigger": {"type": "lead.created"},
                "actions": [{"type": "wait", "seconds": 1000}, {"type": "send_webhook", "url": receiver.url}],
            },
        )
        assert created["secret"].startswith("whsec_")
        lead = leads.create(first_name="Aoi")
        flow.pump()
        (run,) = _runs(api, created["id"])
        assert run["status"] == "waiting" and receiver.received == []
        time.sleep(1.2)
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = get_settings().automations_queue_url
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert len(messages) == 1
        assert handle("automation_runner", sqs_event(messages, arn)) == {"batchItemFailures": []}
        assert handle("automation_runner", sqs_event(messages, arn)) == {"batchItemFailures": []}  # a duplicate
        (got,) = receiver.received
    payload = Webhook(created["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "automation.webhook" and payload["data"]["id"] == lead["id"]
    (run,) = _runs(api, created["id"])
    assert run["status"] == "succeeded" and [step["outcome"] for step in run["actions"]] == ["waiting", "done"]


def test_a_failing_action_is_retried_with_backoff_and_the_run_shows_its_attempts(api, leads, flow, monkeypatch):
    monkeypatch.setenv("LEADGATE_LOCAL_DELAY_SCALE", "0")  # the backoff's waits: the mechanism, not the time
    get_settings.cache_clear()
    leads.create(first_name="Seed")
    flow.pump()
    tags.create("acme", "never", None, None)
    with Receiver(statuses=[500, 503]) as flaky, Receiver(statuses=[400]) as refusing:
        retried, _ = _create(
            api,
            {
                "name": "Flaky",
                "trigger": {"type": "lead.created"},
                "actions": [{"type": "send_webhook", "url": flaky.url}],
            },
        )
        refused, _ = _create(
            api,
            {
                "name": "Refused",
                "trigger": {"type": "lead.created"},
                "actions": [{"type": "send_webhook", "url": refusing.url}, {"type": "add_tag", "tag": "never"}],
            },
        )
        leads.create(first_name="Aoi")
        flow.pump()
        assert (len(flaky.received), len(refusing.received)) == (3, 1)
        assert len({got.headers["webhook-id"] for got in flaky.received}) == 1  # one message, attempted 3 times
    ((step,),) = [run["actions"] for run in _runs(api, retried["id"])]
    assert step["outcome"] == "done" and step["attempts"] == 3
    (run,) = _runs(api, refused["id"])
    assert run["status"] == "failed" and run["error"] == "HTTP 400" and len(run["actions"]) == 1


def test_an_automation_naming_a_user_deactivated_since_can_still_be_paused_not_given_new_actions(api, leads):
    leads.create(first_name="Seed")
    (user_id,) = seed_users("acme", 1)
    created, _ = _create(
        api,
        {"name": "Assign", "trigger": {"type": "lead.created"}, "actions": [{"type": "assign", "user_id": user_id}]},
    )
    users_service.patch_user("acme", user_id, UserPatch(active=False), None)
    path = f"/api/v1/automations/{created['id']}"
    assert api("PATCH", path, {"active": False, "name": "Paused"})[0] == 200
    status, _, answer = api(
        "PATCH", path, {"actions": [{"type": "assign", "user_id": user_id}, {"type": "wait", "seconds": 5}]}
    )
    assert status == 422 and set(answer["errors"]) == {"actions.0.user_id"}


def _delayed_messages() -> int:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = get_settings().automations_queue_url
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"])


def _resumption(automation_id: int) -> dict:
    """The waiting run's resumption message as the queue holds it (delayed: not receivable yet)."""
    (item,) = boto3.client("dynamodb").query(
        TableName=get_settings().workspace_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": runs.partition("acme", automation_id)}},
    )["Items"]
    run = runs.run_from("acme", automation_id, items.plain(item))
    return {"MessageId": "m1", "ReceiptHandle": "r1", "Body": resume.message(run)}


def test_a_wait_longer_than_sqs_holds_hops_until_due_then_goes_on(api, leads, flow, clock):
    leads.create(first_name="Seed")
    flow.pump()
    tags.create("acme", "followed-up", None, None)
    created, _ = _create(
        api,
        {
            "name": "A day later",
            "trigger": {"type": "lead.created"},
            "actions": [{"type": "wait", "seconds": 86_400}, {"type": "add_tag", "tag": "followed-up"}],
        },
    )
    lead = leads.create(first_name="Aoi")
    flow.pump()
    assert _runs(api, created["id"])[0]["status"] == "waiting"
    assert _delayed_messages() == 1  # delayed 15 minutes, the most SQS holds
    queued = sqs_event([_resumption(created["id"])], "arn:aws:sqs:us-east-1:123456789012:local-AutomationsQueue")
    clock.now += 900
    assert handle("automation_runner", queued) == {"batchItemFailures": []}
    assert _delayed_messages() == 2 and _runs(api, created["id"])[0]["status"] == "waiting"  # the next hop
    clock.now += 86_400
    assert handle("automation_runner", queued) == {"batchItemFailures": []}
    (done,) = _runs(api, created["id"])
    assert done["status"] == "succeeded" and leads.get(lead["id"]).data["tags"] == ["followed-up"]
    assert handle("automation_runner", queued) == {"batchItemFailures": []}  # a duplicate message: nothing
    assert len(_runs(api, created["id"])) == 1
