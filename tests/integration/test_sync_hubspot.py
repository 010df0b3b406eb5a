"""HubSpot both ways on moto against the fake HubSpot: registered connections run through `run_connection`
(secrets in Secrets Manager, the registry, schedules in moto's EventBridge Scheduler)."""

from __future__ import annotations

import time

import boto3
import pytest

from leadgate import aws as leadgate_aws
from leadgate.clock import Budget
from leadgate.connections import secrets as connection_secrets
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry, clear_cache
from leadgate.connections.secrets import ConnectionSecrets
from leadgate.leads import repository, service
from leadgate.leads.requests import LeadCreate
from leadgate.sync.connector import ConnectorConfig
from leadgate.sync.hubspot import HubSpotConnector
from leadgate.sync.runner import run_connection
from leadgate.sync.runs import list_runs
from leadgate.sync.schedules import Schedules, ScheduleTarget
from tests.fakes.hubspot import CONTACTS, SEARCH_CAP, TOKEN
from tests.support.clock import FakeClock
from tests.support.sync import by_email, text

SEARCH = f"{CONTACTS}/search"
UPSERT = f"{CONTACTS}/batch/upsert"
GROUP = "test-sync"
TARGET = ScheduleTarget(
    "arn:aws:lambda:us-east-1:123456789012:function:test-sync",
    "arn:aws:iam::123456789012:role/test-sync-scheduler",
    "arn:aws:sqs:us-east-1:123456789012:test-sync-dlq",
)


@pytest.fixture
def schedules(aws):
    client = boto3.client("scheduler")
    client.create_schedule_group(Name=GROUP)
    return Schedules(client, GROUP)


@pytest.fixture
def connect(aws, fake_hubspot):
    """A HubSpot connection to the fake, with OAuth (default) or a private-app token."""
    clear_cache()

    def create(*, tenant: str = "acme", private: bool = False, sync_every: str | None = "15m") -> Connection:
        if private:
            fake_hubspot.add_private_token("pat-1")
            secrets = ConnectionSecrets(access_token="pat-1")
        else:
            fake_hubspot.register_app("app-client", "app-secret", "refresh-0")
            secrets = ConnectionSecrets(client_id="app-client", client_secret="app-secret", refresh_token="refresh-0")
        connection = Connection(
            tenant_id=tenant,
            provider="hubspot",
            settings={"portal_id": "62515", "app_id": "1001"},
            base_url=fake_hubspot.url,
            sync_every=sync_every,
        )
        arn = connection_secrets.default_store().create(connection.connection_id, secrets, tenant_id=tenant)
        return ConnectionRegistry.from_settings().put(connection.model_copy(update={"secret_arn": arn}))

    return create


def run(connection: Connection, schedules: Schedules | None = None, **options):
    return run_connection(connection.connection_id, budget_seconds=60, schedules=schedules, **options)


def stored_secrets(connection: Connection) -> ConnectionSecrets:
    raw = leadgate_aws.secretsmanager().get_secret_value(SecretId=connection.secret_arn, VersionStage="AWSCURRENT")
    return ConnectionSecrets.from_secret_string(raw["SecretString"])


def test_a_pull_takes_contacts_in_with_their_hubspot_ids(connect, fake_hubspot):
    ids = [fake_hubspot.add_contact(email=f"p{n}@example.com", firstname=f"F{n}", lastname="Yamada") for n in range(3)]
    connection = connect()

    record = run(connection)

    assert record.status == "succeeded", record.error
    assert (record.counts.fetched, record.counts.created, record.counts.pushed) == (3, 3, 0)
    leads = by_email("acme")
    assert {email: lead["external_ids"]["M"]["hubspot"]["S"] for email, lead in leads.items()} == {
        f"p{n}@example.com": ids[n] for n in range(3)
    }
    (search,) = fake_hubspot.requests_to(SEARCH)
    body = search.json()
    assert body["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": "0",
    }
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    assert search.bearer and search.bearer.startswith("access-")
    assert not fake_hubspot.requests_to(UPSERT)  # what came from HubSpot is never pushed back


def test_a_change_in_hubspot_is_pulled_and_nothing_else_costs_a_write(connect, fake_hubspot):
    first = fake_hubspot.add_contact(email="a@example.com", firstname="Old")
    fake_hubspot.add_contact(email="b@example.com", firstname="Same")
    connection = connect()
    run(connection)
    fake_hubspot.update_contact(first, firstname="New")

    record = run(connection)

    assert record.status == "succeeded"
    assert record.counts.updated == 1 and record.counts.created == 0
    assert text(by_email("acme")["a@example.com"], "first_name") == "New"
    # The second search starts at the last change seen, and the contact taken there is not taken twice.
    later = fake_hubspot.requests_to(SEARCH)[1].json()
    assert int(later["filterGroups"][0]["filters"][0]["value"]) > 0
    assert record.counts.fetched == 1


def test_pages_follow_after_and_re_anchor_before_the_10000_cap(aws, fake_hubspot):
    clock = FakeClock(1_790_000_000.0)
    fake_hubspot.clock = clock
    ids = set()
    for n in range(SEARCH_CAP + 150):
        clock.now += 0.001  # a millisecond apart
        ids.add(fake_hubspot.add_contact(email=f"c{n}@example.com"))
    fake_hubspot.add_private_token("pat-1")
    config = ConnectorConfig(
        "acme", "con-x", "hubspot", fake_hubspot.url, settings={"page_size": 200}, secrets={"access_token": "pat-1"}
    )
    connector = HubSpotConnector(config)

    seen: list[str] = []
    pages = list(connector.fetch_changes(None, Budget(lambda: 0.0, 600)))

    for page in pages:
        seen += [record.external_id for record in page.records]
    assert len(seen) == len(set(seen)) == len(ids) and set(seen) == ids
    assert [page.has_more for page in pages][-1] is False
    searches = [request.json() for request in fake_hubspot.requests_to(SEARCH)]
    anchored = [body for body in searches[1:] if "after" not in body]
    assert len(anchored) == 1  # one re-anchor, on the last modified date seen, before the 400 at the cap
    assert int(anchored[0]["filterGroups"][0]["filters"][0]["value"]) == pages[49].checkpoint["max_ms"]
    assert all(int(body.get("after", 0)) + body["limit"] <= SEARCH_CAP for body in searches)


def test_contacts_sharing_the_anchor_millisecond_are_taken_once(aws, fake_hubspot):
    clock = FakeClock(0.0)
    fake_hubspot.clock = clock
    ids = []
    for n, moment in enumerate([1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0]):
        clock.now = moment
        ids.append(fake_hubspot.add_contact(email=f"s{n}@example.com"))
    fake_hubspot.add_private_token("pat-1")
    config = ConnectorConfig(
        "acme",
        "con-x",
        "hubspot",
        fake_hubspot.url,
        settings={"page_size": 2, "search_cap": 4},
        secrets={"access_token": "pat-1"},
    )
    pages = list(HubSpotConnector(config).fetch_changes(None, Budget(lambda: 0.0, 60)))
    seen = [record.external_id for page in pages for record in page.records]
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    # A later walk from the final checkpoint takes nothing again.
    again = list(HubSpotConnector(config).fetch_changes(pages[-1].checkpoint, Budget(lambda: 0.0, 60)))
    assert [record.external_id for page in again for record in page.records] == []


def test_an_expired_access_token_is_refreshed_and_a_rotated_refresh_token_stored(connect, fake_hubspot):
    fake_hubspot.rotate_refresh_tokens = True
    fake_hubspot.add_contact(email="a@example.com")
    connection = connect()
    run(connection)
    after_first = stored_secrets(connection)
    assert after_first.refresh_token.get_secret_value() != "refresh-0"  # rotated, and stored before use
    assert after_first.refresh_token.get_secret_value() in fake_hubspot.refresh_tokens
    assert after_first.access_token is not None and after_first.access_token_expires_at is not None

    fake_hubspot.expire_access_tokens()
    fake_hubspot.add_contact(email="b@example.com")
    connection_secrets.default_store().forget(connection.secret_arn)
    record = run(connection)

    assert record.status == "succeeded" and record.counts.created == 1
    refreshes = fake_hubspot.requests_to(TOKEN)
    assert [request.form()["refresh_token"] for request in refreshes] == [
        "refresh-0",
        after_first.refresh_token.get_secret_value(),
    ]
    assert stored_secrets(connection).refresh_token.get_secret_value() in fake_hubspot.refresh_tokens


def test_a_private_app_token_is_used_as_is(connect, fake_hubspot):
    fake_hubspot.add_contact(email="a@example.com")
    connection = connect(private=True)
    record = run(connection)
    assert record.status == "succeeded" and record.counts.created == 1
    assert not fake_hubspot.requests_to(TOKEN)
    assert {request.bearer for request in fake_hubspot.requests_to(SEARCH)} == {"pat-1"}


def test_429_and_5xx_are_retried(connect, fake_hubspot):
    fake_hubspot.add_contact(email="a@example.com")
    fake_hubspot.fail(SEARCH, 429, times=1, retry_after=0.05)
    fake_hubspot.fail(SEARCH, 503, times=1)
    record = run(connect(private=True))
    assert record.status == "succeeded" and record.counts.created == 1
    assert len(fake_hubspot.requests_to(SEARCH)) == 3


def test_a_provider_down_past_the_retries_fails_the_run_and_keeps_the_schedule(connect, fake_hubspot, schedules):
    connection = connect(private=True)
    schedules.put(connection.connection_id, "15m", TARGET)
    fake_hubspot.fail(SEARCH, 500)
    record = run(connection, schedules)
    assert record.status == "failed" and "HubSpot" in record.error
    assert schedules.get(connection.connection_id)["State"] == "ENABLED"


def test_a_401_after_a_refresh_disables_the_schedule_with_the_reason(connect, fake_hubspot, schedules):
    fake_hubspot.add_contact(email="a@example.com")
    connection = connect()
    schedules.put(connection.connection_id, "15m", TARGET)
    fake_hubspot.fail(SEARCH, 401)  # every access token refused, the fresh one too

    record = run(connection, schedules)

    assert record.status == "failed" and record.error.startswith("Unauthorized")
    assert len(fake_hubspot.requests_to(TOKEN)) == 2  # refreshed, then refreshed again on the 401
    stored = ConnectionRegistry.from_settings().get(connection.connection_id, fresh=True)
    assert stored.sync_disabled_reason.startswith("Unauthorized")
    assert schedules.get(connection.connection_id)["State"] == "DISABLED"
    # Until someone sets the schedule again, a run refuses at once and says why.
    again = run(connection, schedules)
    assert again.status == "failed" and again.error.startswith("Sync is disabled")
    assert [r.status for r in list_runs("acme", connection.connection_id)[0]] == ["failed", "failed"]


def test_a_refused_refresh_token_disables_the_schedule_too(connect, fake_hubspot, schedules):
    connection = connect()
    schedules.put(connection.connection_id, "1h", TARGET)
    fake_hubspot.refresh_tokens.clear()  # revoked
    record = run(connection, schedules)
    assert record.status == "failed" and record.error.startswith("Unauthorized")
    assert schedules.get(connection.connection_id)["State"] == "DISABLED"


def test_leads_changed_in_leadgate_are_pushed_by_email_and_their_ids_stored(connect, fake_hubspot):
    connection = connect()
    created = service.create_lead(
        "acme", LeadCreate.model_validate({"first_name": "Hanako", "last_name": "Sato", "email": "h@example.com"})
    )
    service.create_lead("acme", LeadCreate.model_validate({"first_name": "NoMail", "phone": "09012345678"}))

    record = run(connection)

    assert record.status == "succeeded" and record.counts.pushed == 1
    (upsert,) = fake_hubspot.requests_to(UPSERT)
    (entry,) = upsert.json()["inputs"]
    assert entry["idProperty"] == "email" and entry["id"] == "h@example.com"
    assert entry["properties"] == {"email": "h@example.com", "firstname": "Hanako", "lastname": "Sato"}
    contact_id = next(c["id"] for c in fake_hubspot.contacts.values() if c["properties"]["email"] == "h@example.com")
    assert repository.get("acme", created.id).external_ids == {"hubspot": contact_id}

    # No echo: the next runs pull the contact our push changed once, and push nothing back.
    for _ in range(2):
        again = run(connection)
        assert again.status == "succeeded" and again.counts.pushed == 0
    assert len(fake_hubspot.requests_to(UPSERT)) == 1
    assert len(by_email("acme")) == 1  # the pulled contact is the same lead, matched by its HubSpot id

    # A change made in leadgate afterwards is pushed again.
    lead = repository.get("acme", created.id)
    repository.update("acme", lead, lead.data.model_copy(update={"company": "Acme KK"}))
    third = run(connection)
    assert third.counts.pushed == 1
    assert fake_hubspot.contacts[contact_id]["properties"]["company"] == "Acme KK"


def test_a_run_of_another_tenant_pushes_only_its_own_leads(connect, fake_hubspot):
    service.create_lead("beta", LeadCreate.model_validate({"first_name": "B", "email": "b@example.com"}))
    connection = connect(tenant="acme")
    service.create_lead("acme", LeadCreate.model_validate({"first_name": "A", "email": "a@example.com"}))
    record = run(connection)
    assert record.counts.pushed == 1
    (upsert,) = fake_hubspot.requests_to(UPSERT)
    assert [entry["id"] for entry in upsert.json()["inputs"]] == ["a@example.com"]


def test_a_stored_oauth_secret_with_its_cached_access_token_is_still_oauth(connect, fake_hubspot):
    fake_hubspot.token_lifetime = 1  # the cached token is stale by the next run: refreshed, not used as a PAT
    connection = connect()
    run(connection)
    assert stored_secrets(connection).access_token is not None  # cached beside the refresh token
    connection_secrets.default_store().forget(connection.secret_arn)
    time.sleep(1.1)
    fake_hubspot.add_contact(email="later@example.com")
    record = run(connection)
    assert record.status == "succeeded" and record.counts.created == 1
    assert len(fake_hubspot.requests_to(TOKEN)) == 2
