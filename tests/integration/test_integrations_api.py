"""/api/v1/integrations through the connections function's handler with API Gateway events on moto: the types
catalog, create/read/replace/patch/delete with write-only secrets and ETags, SSRF on `base_url`, the schedule
that `sync_every` drives, the credentials test against the fakes, a run started over the API, and the older
`/api/v1/connections` alias. Every answer of every test is checked for the secrets it was given."""

from __future__ import annotations

import json

import boto3
import pytest

from leadgate import aws as leadgate_aws
from leadgate.connections import registry as registry_module
from leadgate.connections import secrets as connection_secrets
from leadgate.connections.registry import ConnectionRegistry
from leadgate.sync.runs import list_runs
from leadgate_dev.harness import authorizer_context, handle
from leadgate_dev.harness.events import rest_event
from tests.fakes.chatdealer import FakeChatDealer
from tests.fakes.intercom import FakeIntercom

GROUP = "local-sync"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:local-sync"
SECRETS = ("app-secret-value", "refresh-token-value", "pat-token-value", "cd-token", "intercom-token", "whsec_")
HUBSPOT = {
    "provider": "hubspot",
    "settings": {"portal_id": "123", "app_id": "456"},
    "secrets": {"client_id": "cid", "client_secret": "app-secret-value", "refresh_token": "refresh-token-value"},
}
FIELD_MAP = {"external_id": "訪問者ID", "email": "メールアドレス"}


@pytest.fixture
def env(aws, monkeypatch):
    registry_module.clear_cache()
    for name, value in {
        "SYNC_SCHEDULE_GROUP": GROUP,
        "SYNC_FUNCTION_ARN": FUNCTION_ARN,
        "SYNC_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/local-sync-scheduler",
        "SYNC_DEAD_LETTER_ARN": "arn:aws:sqs:us-east-1:123456789012:local-dlq",
        "ALLOW_LOOPBACK_URLS": "true",
    }.items():
        monkeypatch.setenv(name, value)
    leadgate_aws.reset_clients()
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    return aws


@pytest.fixture
def api(env, invoke):
    """Calls the handler; keeps every answer, and checks at teardown that none held a secret."""
    answers: list[str] = []

    def _call(method, path, body=None, *, tenant="acme", headers=None, scopes=("write:integrations",)):
        event = rest_event(
            method,
            path,
            body=body,
            headers={
                "Host": "api.example.com",
                **({"Content-Type": "application/json"} if body else {}),
                **(headers or {}),
            },
            authorizer=authorizer_context(tenant=tenant, scopes=scopes, client_id=f"client-{tenant}"),
        )
        status, answer_headers, answer = invoke("connections", event)
        answers.append(json.dumps([answer_headers, answer], ensure_ascii=False))
        return status, answer_headers, answer

    _call.answers = answers
    yield _call
    for text in answers:
        for secret in SECRETS:
            if secret == "whsec_":
                continue  # a Standard Webhooks POST answers its signing secret once: checked in its test
            assert secret not in text


def create(api, body, **options):
    status, headers, answer = api("POST", "/api/v1/integrations", body, **options)
    assert status == 201, answer
    return headers, answer["data"]


def secret_of(integration_id: str) -> dict:
    connection = ConnectionRegistry.from_settings().get(integration_id, fresh=True)
    stored = connection_secrets.default_store().read(connection.secret_arn, force_fetch=True).secrets
    return json.loads(stored.to_secret_string())


def test_types_list_each_provider_with_generated_schemas_and_capabilities(api):
    status, _, body = api("GET", "/api/v1/integrations/types", scopes=("read:integrations",))

    assert status == 200
    types = {entry["type"]: entry for entry in body["data"]}
    assert list(types) == ["hubspot", "intercom", "chatdealer", "standard"]
    assert types["hubspot"]["capabilities"] == {"receive_webhooks": True, "pull": True, "push": True}
    assert types["standard"]["capabilities"] == {"receive_webhooks": True, "pull": False, "push": False}
    assert types["chatdealer"]["settings_schema"]["required"] == ["domain", "field_map"]
    assert types["hubspot"]["secrets_schema"]["properties"]["client_secret"]["writeOnly"] is True
    assert types["chatdealer"]["secrets_schema"]["required"] == ["api_token"]


def test_create_read_and_list_never_answer_a_secret(api):
    headers, created = create(api, HUBSPOT)

    assert headers["ETag"] == '"1"'
    assert headers["Location"].endswith(f"/api/v1/integrations/{created['id']}")
    assert created["has_client_secret"] and created["has_refresh_token"] and not created["has_access_token"]
    assert "secrets" not in created and "secret_arn" not in created
    assert secret_of(created["id"])["refresh_token"] == "refresh-token-value"

    status, headers, read = api("GET", f"/api/v1/integrations/{created['id']}")
    assert status == 200 and read["data"] == created and headers["ETag"] == '"1"'
    status, _, page = api("GET", "/api/v1/integrations")
    assert status == 200 and [entry["id"] for entry in page["data"]] == [created["id"]]
    # The older name is the same resource.
    assert api("GET", f"/api/v1/connections/{created['id']}")[2]["data"] == created
    assert api("GET", "/api/v1/connections")[2]["data"] == page["data"]


def test_a_standard_integration_answers_its_signing_secret_once(api):
    _, created = create(api, {"provider": "standard"})

    assert created["signing_secret"].startswith("whsec_")
    assert created["has_signing_secret"] is True
    assert secret_of(created["id"])["signing_secret"] == created["signing_secret"]
    _, _, read = api("GET", f"/api/v1/integrations/{created['id']}")
    assert "whsec_" not in json.dumps(read)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "hubspot", "settings": HUBSPOT["settings"]}, "secrets"),
        ({**HUBSPOT, "secrets": {**HUBSPOT["secrets"], "access_token": "pat-token-value"}}, "secrets"),
        ({"provider": "chatdealer", "settings": {"domain": "x.example"}, "secrets": {"api_token": "t"}}, "settings"),
        ({"provider": "mailgun"}, "provider"),
        ({"provider": "standard", "sync_every": "15m"}, "sync_every"),
        ({**HUBSPOT, "base_url": "https://169.254.169.254/"}, "base_url"),
        ({**HUBSPOT, "base_url": "https://10.0.0.1"}, "base_url"),
        ({**HUBSPOT, "base_url": "ftp://example.com"}, "base_url"),
    ],
)
def test_invalid_integrations_are_422_naming_the_field(api, body, field):
    status, _, answer = api("POST", "/api/v1/integrations", body)

    assert status == 422, answer
    assert answer["code"] == "VALIDATION_FAILED"
    assert any(name.startswith(field) for name in answer["errors"]), answer["errors"]
    assert ConnectionRegistry.from_settings().list_for_tenant("acme").connections == []


def test_loopback_base_urls_are_refused_unless_the_stack_allows_them(api, monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "false")
    leadgate_aws.reset_clients()

    status, _, answer = api("POST", "/api/v1/integrations", {**HUBSPOT, "base_url": "http://127.0.0.1:9"})

    assert status == 422 and "base_url" in answer["errors"]


def test_put_replaces_with_if_match_and_keeps_secrets_it_is_not_given(api):
    _, created = create(api, HUBSPOT)
    path = f"/api/v1/integrations/{created['id']}"
    body = {"provider": "hubspot", "settings": {"portal_id": "999", "app_id": "456"}}

    stale = api("PUT", path, body, headers={"If-Match": '"7"'})
    assert stale[0] == 412 and stale[1]["ETag"] == '"1"'
    status, headers, replaced = api("PUT", path, body, headers={"If-Match": '"1"'})
    assert status == 200, replaced
    assert headers["ETag"] == '"2"' and replaced["data"]["settings"]["portal_id"] == "999"
    assert replaced["data"]["has_refresh_token"] is True
    assert secret_of(created["id"])["refresh_token"] == "refresh-token-value"
    moved = api("PUT", path, {"provider": "standard"})
    assert moved[0] == 422 and "provider" in moved[2]["errors"]


def test_patch_merges_secrets_and_settings_and_drives_the_schedule(api):
    _, created = create(api, HUBSPOT)
    path = f"/api/v1/integrations/{created['id']}"

    status, headers, patched = api(
        "PATCH",
        path,
        {"secrets": {"refresh_token": None, "access_token": "pat-token-value"}, "sync_every": "15m"},
    )
    assert status == 200, patched
    assert patched["data"]["has_access_token"] and not patched["data"]["has_refresh_token"]
    assert patched["data"]["sync_every"] == "15m" and headers["ETag"] == '"3"'
    stored = secret_of(created["id"])
    assert stored["access_token"] == "pat-token-value" and "refresh_token" not in stored
    assert stored["client_secret"] == "app-secret-value"
    schedule = boto3.client("scheduler").get_schedule(Name=created["id"], GroupName=GROUP)
    assert schedule["ScheduleExpression"] == "rate(15 minutes)" and schedule["Target"]["Arn"] == FUNCTION_ARN

    bad = api("PATCH", path, {"secrets": {"access_token": None}})
    assert bad[0] == 422 and "secrets" in bad[2]["errors"]
    status, _, patched = api("PATCH", path, {"sync_every": None, "settings": {"portal_id": "77"}})
    assert status == 200 and patched["data"]["sync_every"] is None
    assert patched["data"]["settings"] == {"portal_id": "77", "app_id": "456", "allow_unversioned_signatures": False}
    assert boto3.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"] == []


def test_delete_removes_the_item_its_secret_and_its_schedule(api):
    _, created = create(api, {**HUBSPOT, "sync_every": "1h"})
    path = f"/api/v1/integrations/{created['id']}"
    arn = ConnectionRegistry.from_settings().get(created["id"], fresh=True).secret_arn

    assert api("DELETE", path, headers={"If-Match": '"1"'})[0] == 412  # the schedule moved it to version 2
    assert api("DELETE", path, headers={"If-Match": '"2"'})[0] == 204
    assert api("GET", path)[0] == 404
    assert api("DELETE", path)[0] == 404
    with pytest.raises(connection_secrets.MissingSecrets):
        connection_secrets.default_store().read(arn, force_fetch=True)
    assert boto3.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"] == []


def test_another_tenants_integration_is_a_404_on_every_route(api):
    _, theirs = create(api, HUBSPOT, tenant="beta")
    path = f"/api/v1/integrations/{theirs['id']}"

    for method, suffix, body in [
        ("GET", "", None),
        ("PUT", "", {"provider": "hubspot", "settings": HUBSPOT["settings"]}),
        ("PATCH", "", {"sync_every": "1h"}),
        ("DELETE", "", None),
        ("POST", "/test", None),
        ("POST", "/sync", None),
        ("GET", "/runs", None),
    ]:
        status, _, answer = api(method, path + suffix, body)
        assert (status, answer["code"]) == (404, "NOT_FOUND"), (method, suffix)
    assert api("GET", "/api/v1/integrations/con_nope")[0] == 404


def test_the_credentials_test_answers_the_providers_verdict(api):
    chatdealer = FakeChatDealer(token="cd-token")
    intercom = FakeIntercom(token="intercom-token")
    chatdealer.server.start()
    intercom.server.start()
    try:
        _, good = create(
            api,
            {
                "provider": "chatdealer",
                "settings": {"domain": "cd.example", "field_map": FIELD_MAP},
                "secrets": {"api_token": "cd-token"},
                "base_url": chatdealer.url,
            },
        )
        _, refused = create(
            api,
            {
                "provider": "intercom",
                "settings": {"app_id": "abc"},
                "secrets": {"client_secret": "s", "access_token": "wrong"},
                "base_url": intercom.url,
            },
        )
        status, _, answer = api("POST", f"/api/v1/integrations/{good['id']}/test")
        assert status == 200 and answer["data"]["ok"] is True, answer
        assert len(chatdealer.queries) == 1
        status, _, answer = api("POST", f"/api/v1/integrations/{refused['id']}/test")
        assert status == 200 and answer["data"]["ok"] is False and answer["data"]["provider_status"] == 401
    finally:
        chatdealer.server.stop()
        intercom.server.stop()


def test_an_unreachable_provider_is_an_outcome_not_a_server_error(api, closed_port):
    _, created = create(
        api,
        {
            "provider": "intercom",
            "settings": {"app_id": "abc"},
            "secrets": {"client_secret": "s", "access_token": "intercom-token"},
            "base_url": f"http://127.0.0.1:{closed_port}",
        },
    )

    status, _, answer = api("POST", f"/api/v1/integrations/{created['id']}/test")

    assert status == 200 and answer["data"]["ok"] is False


def test_hubspot_credentials_test_makes_one_authenticated_call(api, fake_hubspot):
    fake_hubspot.add_private_token("pat-token-value")
    _, created = create(
        api,
        {
            **HUBSPOT,
            "secrets": {"client_id": "cid", "client_secret": "app-secret-value", "access_token": "pat-token-value"},
            "base_url": fake_hubspot.url,
        },
    )

    status, _, answer = api("POST", f"/api/v1/integrations/{created['id']}/test")

    assert status == 200 and answer["data"]["ok"] is True, answer
    assert len(fake_hubspot.requests) == 1
    standard = create(api, {"provider": "standard"})[1]
    assert api("POST", f"/api/v1/integrations/{standard['id']}/test")[2]["data"]["ok"] is True


def test_sync_starts_a_run_under_the_id_it_answers(api):
    chatdealer = FakeChatDealer(token="cd-token")
    chatdealer.server.start()
    try:
        _, created = create(
            api,
            {
                "provider": "chatdealer",
                "settings": {"domain": "cd.example", "field_map": FIELD_MAP},
                "secrets": {"api_token": "cd-token"},
                "base_url": chatdealer.url,
            },
        )
        status, _, answer = api("POST", f"/api/v1/integrations/{created['id']}/sync")
        assert status == 202, answer
        run = answer["data"]
        assert run["status"] == "queued" and run["connection_id"] == created["id"]
        scheduler = boto3.client("scheduler")
        (summary,) = scheduler.list_schedules(GroupName=GROUP)["Schedules"]
        schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=GROUP)
        assert schedule["ScheduleExpression"].startswith("at(")
        event = json.loads(schedule["Target"]["Input"])
        assert event == {"connection_id": created["id"], "run_id": run["run_id"]}

        finished = handle("sync", event, budget_ms=60_000)  # what the Scheduler does with it

        assert finished["run_id"] == run["run_id"] and finished["status"] == "succeeded"
        runs, _ = list_runs("acme", created["id"])
        assert [(entry.run_id, entry.status) for entry in runs] == [(run["run_id"], "succeeded")]
        listed = api("GET", f"/api/v1/integrations/{created['id']}/runs")[2]["data"]
        assert [entry["run_id"] for entry in listed] == [run["run_id"]]
    finally:
        chatdealer.server.stop()
    _, standard = create(api, {"provider": "standard"})
    status, _, answer = api("POST", f"/api/v1/integrations/{standard['id']}/sync")
    assert status == 409 and answer["code"] == "CONFLICT"


def test_a_sync_the_provider_switched_off_resumes_with_new_credentials_only(api):
    _, created = create(api, {**HUBSPOT, "sync_every": "15m"})
    path = f"/api/v1/integrations/{created['id']}"
    ConnectionRegistry.from_settings().set_fields(created["id"], sync_disabled_reason="Unauthorized: 401")

    _, _, patched = api("PATCH", path, {"settings": {"portal_id": "1"}}, headers={"If-Match": "*"})
    assert patched["data"]["sync_disabled_reason"] == "Unauthorized: 401"
    _, _, patched = api("PATCH", path, {"secrets": {"refresh_token": "refresh-token-value"}})
    assert patched["data"]["sync_disabled_reason"] is None and patched["data"]["sync_every"] == "15m"
    assert boto3.client("scheduler").get_schedule(Name=created["id"], GroupName=GROUP)["State"] == "ENABLED"
