"""Provider clients built from a connection, and the token store's stale-write policy, on moto's Secrets Manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from leadgate import clock
from leadgate.connections import registry
from leadgate.connections.secrets import ConnectionSecrets, get_secrets, put_secrets
from leadgate.integrations.clients import TokenStore, hubspot_client
from leadgate.integrations.errors import PermanentError, TransientError
from leadgate.integrations.hubspot import OAuthTokens
from tests.support.webhooks import create


@pytest.fixture
def connection(aws):
    made = create(
        "hubspot",
        portal_id="42",
        app_id="7",
        client_id="cid",
        client_secret="app-secret",
        refresh_token="refresh-0",
        base_url="https://hubspot.eu.example",
    )
    return registry.get_connection(made["connection_id"], fresh=True)


def tokens(name: str, lifetime: float = 1800) -> OAuthTokens:
    return OAuthTokens(
        access_token=f"access-{name}", refresh_token=f"refresh-{name}", expires_at=clock.timestamp() + lifetime
    )


def test_the_client_uses_the_connections_base_url(connection):
    client = hubspot_client(connection.base_url, get_secrets(connection).secrets)

    assert client.base_url == "https://hubspot.eu.example"
    assert hubspot_client(None, get_secrets(connection).secrets).base_url == "https://api.hubapi.com"


def test_a_secret_without_credentials_is_a_permanent_error():
    with pytest.raises(PermanentError):
        hubspot_client(None, ConnectionSecrets(signing_secret=SecretStr("whsec_x")))


def test_refreshed_tokens_are_stored_before_use(connection):
    store = TokenStore(connection, get_secrets(connection))

    assert store(tokens("a")).refresh_token.get_secret_value() == "refresh-a"
    stored = get_secrets(connection, force_fetch=True).secrets
    assert stored.refresh_token.get_secret_value() == "refresh-a"
    assert stored.client_secret.get_secret_value() == "app-secret"  # the rest of the secret is kept


def test_a_write_that_loses_uses_the_winners_tokens_and_never_overwrites_them(connection):
    read = get_secrets(connection)
    winner, loser = TokenStore(connection, read), TokenStore(connection, read)

    winner(tokens("winner"))
    used = loser(tokens("loser"))

    assert used.refresh_token.get_secret_value() == "refresh-winner"
    stored = get_secrets(connection, force_fetch=True).secrets
    assert stored.refresh_token.get_secret_value() == "refresh-winner"


def test_a_lost_write_whose_winner_left_no_access_token_is_retried_later(connection):
    read = get_secrets(connection)
    rotated_by_hand = read.secrets.model_copy(update={"refresh_token": SecretStr("refresh-operator")})
    put_secrets(connection, rotated_by_hand, expected_version=read.version_id)  # an operator re-authorised

    with pytest.raises(TransientError):
        TokenStore(connection, read)(tokens("stale"))

    stored = get_secrets(connection, force_fetch=True).secrets
    assert stored.refresh_token.get_secret_value() == "refresh-operator"


def test_stored_tokens_about_to_expire_are_not_used(connection, clock):
    read = get_secrets(connection)
    TokenStore(connection, read)(tokens("winner", lifetime=timedelta(minutes=1).total_seconds()))

    with pytest.raises(TransientError):
        TokenStore(connection, read)(tokens("loser"))
