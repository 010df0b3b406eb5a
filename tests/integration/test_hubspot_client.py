"""The HubSpot client against the loopback fake: tokens, retries, contacts, search and batch upsert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadgate.integrations.errors import AuthenticationFailed, OutOfBudget, ProviderNotFound, TransientError
from leadgate.integrations.hubspot import REFRESH_MARGIN_SECONDS, HubSpotClient, HubSpotCredentials, OAuthTokens
from tests.fakes.hubspot import CONTACTS, SEARCH_CAP, TOKEN, contact_path
from tests.support.clock import FakeClock

OAUTH = {"client_id": "app-client", "client_secret": "app-secret", "refresh_token": "refresh-0"}


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def oauth_client(fake_hubspot, sleeps):
    fake_hubspot.register_app("app-client", "app-secret", "refresh-0")
    stored: list[OAuthTokens] = []

    def store(tokens: OAuthTokens) -> OAuthTokens:
        stored.append(tokens)
        return tokens

    client = HubSpotClient(HubSpotCredentials(**OAUTH), base_url=fake_hubspot.url, on_tokens=store, sleep=sleeps.append)
    client.stored = stored
    return client


def private_client(fake, sleeps, **options):
    fake.add_private_token("pat-na1-secret")
    return HubSpotClient(
        HubSpotCredentials(access_token="pat-na1-secret"), base_url=fake.url, sleep=sleeps.append, **options
    )


def test_get_contact_asks_for_the_mapped_properties_with_the_private_app_token(fake_hubspot, sleeps):
    contact_id = fake_hubspot.add_contact(
        email="taro@example.jp", firstname="太郎", lastname="山田", phone="090-1234-5678"
    )

    contact = private_client(fake_hubspot, sleeps).get_contact(contact_id)

    assert contact.id == contact_id
    assert contact.properties["email"] == "taro@example.jp"
    assert contact.properties["lastname"] == "山田"
    assert contact.updated_at
    (request,) = fake_hubspot.requests_to(contact_path(contact_id))
    assert request.bearer == "pat-na1-secret"
    assert "firstname" in request.query["properties"][0].split(",")
    assert request.query["archived"] == ["false"]


def test_an_unknown_contact_is_not_found_without_retrying(fake_hubspot, sleeps):
    with pytest.raises(ProviderNotFound):
        private_client(fake_hubspot, sleeps).get_contact("999")
    assert len(fake_hubspot.requests_to(contact_path("999"))) == 1
    assert sleeps == []


def test_oauth_refreshes_once_then_reuses_the_access_token(fake_hubspot, oauth_client):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")

    oauth_client.get_contact(contact_id)
    oauth_client.get_contact(contact_id)

    (refresh,) = fake_hubspot.requests_to(TOKEN)
    assert refresh.form() == {
        "grant_type": "refresh_token",
        "client_id": "app-client",
        "client_secret": "app-secret",
        "refresh_token": "refresh-0",
    }
    tokens = {request.bearer for request in fake_hubspot.requests_to(contact_path(contact_id))}
    assert tokens == {oauth_client.stored[0].access_token.get_secret_value()}


def test_the_access_token_is_refreshed_before_it_expires(fake_hubspot):
    fake_hubspot.register_app("app-client", "app-secret", "refresh-0")
    clock = FakeClock(1_000_000.0)
    fake_hubspot.clock = clock
    client = HubSpotClient(HubSpotCredentials(**OAUTH), base_url=fake_hubspot.url, clock=clock)
    contact_id = fake_hubspot.add_contact(email="a@example.jp")

    client.get_contact(contact_id)
    clock.now += fake_hubspot.token_lifetime - REFRESH_MARGIN_SECONDS + 1  # still valid at HubSpot, but soon not
    client.get_contact(contact_id)

    assert len(fake_hubspot.requests_to(TOKEN)) == 2
    bearers = [request.bearer for request in fake_hubspot.requests_to(contact_path(contact_id))]
    assert bearers[0] != bearers[1]


def test_a_401_refreshes_once_and_retries(fake_hubspot, oauth_client):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")
    oauth_client.get_contact(contact_id)
    fake_hubspot.expire_access_tokens()  # HubSpot expired it before our clock said so

    contact = oauth_client.get_contact(contact_id)

    assert contact.id == contact_id
    assert len(fake_hubspot.requests_to(TOKEN)) == 2
    assert len(fake_hubspot.requests_to(contact_path(contact_id))) == 3  # ok, 401, ok


def test_a_rotated_refresh_token_is_handed_over_before_use_and_used_next(fake_hubspot, oauth_client):
    fake_hubspot.rotate_refresh_tokens = True
    contact_id = fake_hubspot.add_contact(email="a@example.jp")

    oauth_client.get_contact(contact_id)
    fake_hubspot.expire_access_tokens()
    oauth_client.get_contact(contact_id)

    first, second = oauth_client.stored
    assert first.refresh_token.get_secret_value() != "refresh-0"
    refreshes = [request.form()["refresh_token"] for request in fake_hubspot.requests_to(TOKEN)]
    assert refreshes == ["refresh-0", first.refresh_token.get_secret_value()]
    assert second.refresh_token.get_secret_value() in fake_hubspot.refresh_tokens
    assert "refresh-0" not in fake_hubspot.refresh_tokens


def test_a_refused_refresh_token_is_an_authentication_failure(fake_hubspot, sleeps):
    fake_hubspot.register_app("app-client", "app-secret", "another-token")
    client = HubSpotClient(HubSpotCredentials(**OAUTH), base_url=fake_hubspot.url, sleep=sleeps.append)

    with pytest.raises(AuthenticationFailed):
        client.get_contact("1")
    assert fake_hubspot.requests_to(contact_path("1")) == []


def test_a_private_app_token_refused_is_an_authentication_failure(fake_hubspot, sleeps):
    client = HubSpotClient(HubSpotCredentials(access_token="revoked"), base_url=fake_hubspot.url, sleep=sleeps.append)
    with pytest.raises(AuthenticationFailed):
        client.get_contact("1")


def test_500_twice_then_success_is_retried_with_backoff(fake_hubspot, sleeps):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")
    fake_hubspot.fail(contact_path(contact_id), 500, times=2)

    contact = private_client(fake_hubspot, sleeps).get_contact(contact_id)

    assert contact.properties["email"] == "a@example.jp"
    assert len(fake_hubspot.requests_to(contact_path(contact_id))) == 3
    assert len(sleeps) == 2
    assert all(0 <= pause <= 8 for pause in sleeps)


def test_429_waits_what_retry_after_says(fake_hubspot, sleeps):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")
    fake_hubspot.fail(contact_path(contact_id), 429, times=1, retry_after=7)

    private_client(fake_hubspot, sleeps).get_contact(contact_id)

    assert sleeps == [7.0]


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(fake_hubspot, sleeps):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")
    fake_hubspot.fail(contact_path(contact_id), 429, retry_after=60)

    with pytest.raises(OutOfBudget) as raised:
        private_client(fake_hubspot, sleeps, time_budget=20).get_contact(contact_id)

    assert raised.value.retry_after == 60
    assert sleeps == []
    assert len(fake_hubspot.requests_to(contact_path(contact_id))) == 1


def test_always_failing_is_transient_after_the_attempts(fake_hubspot, sleeps):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")
    fake_hubspot.fail(contact_path(contact_id), 503)

    with pytest.raises(TransientError):
        private_client(fake_hubspot, sleeps).get_contact(contact_id)

    assert len(fake_hubspot.requests_to(contact_path(contact_id))) == 3


def test_a_timeout_is_retried_then_transient(fake_hubspot, sleeps):
    contact_id = fake_hubspot.add_contact(email="a@example.jp")
    fake_hubspot.slow(contact_path(contact_id), 0.5)

    with pytest.raises(TransientError, match="Timeout"):
        private_client(fake_hubspot, sleeps, timeout=(0.2, 0.1), max_attempts=2).get_contact(contact_id)

    assert len(sleeps) == 1


def test_search_pages_contacts_changed_since_in_ascending_order(fake_hubspot, sleeps):
    clock = FakeClock(1_700_000_000.0)
    fake_hubspot.clock = clock
    ids = []
    for number in range(5):
        clock.now += 60
        ids.append(fake_hubspot.add_contact(email=f"p{number}@example.jp"))
    client = private_client(fake_hubspot, sleeps)
    since = datetime.fromtimestamp(1_700_000_000 + 120, UTC)  # the second contact's change onwards

    first = client.search_contacts_modified_since(since, limit=2)
    second = client.search_contacts_modified_since(since, first.after, limit=2)

    assert [c.id for c in first.contacts + second.contacts] == ids[1:]
    assert first.total == 4
    assert second.after is None
    body = fake_hubspot.requests_to(f"{CONTACTS}/search")[0].json()
    assert body["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": str((1_700_000_000 + 120) * 1000),
    }
    assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


def test_search_past_the_10000_cap_is_refused(fake_hubspot, sleeps):
    client = private_client(fake_hubspot, sleeps)
    with pytest.raises(Exception, match="400"):
        client.search_contacts_modified_since(datetime.now(UTC), after_cursor=str(SEARCH_CAP), limit=100)


def test_batch_upsert_by_email_creates_and_updates(fake_hubspot, sleeps):
    existing = fake_hubspot.add_contact(email="known@example.jp", firstname="Old")
    client = private_client(fake_hubspot, sleeps)

    results = client.batch_upsert_by_email(
        [{"email": "known@example.jp", "firstname": "New"}, {"email": "fresh@example.jp", "lastname": "山田"}]
    )

    assert [(r.contact.id == existing, r.created) for r in results] == [(True, False), (False, True)]
    assert fake_hubspot.contacts[existing]["properties"]["firstname"] == "New"
    body = fake_hubspot.requests_to(f"{CONTACTS}/batch/upsert")[0].json()
    assert body["inputs"][0] == {
        "idProperty": "email",
        "id": "known@example.jp",
        "properties": {"email": "known@example.jp", "firstname": "New"},
    }


def test_credentials_need_a_token_or_the_oauth_triple():
    with pytest.raises(ValueError, match="access_token"):
        HubSpotCredentials(client_id="x", client_secret="y")
