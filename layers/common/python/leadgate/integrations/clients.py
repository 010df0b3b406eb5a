"""Provider API clients built from a connection's base URL and secret, and the one store of the OAuth tokens
they refresh. The webhook worker and the sync runs both build their clients here.

Stale-write policy (`TokenStore`): refreshed tokens are written by compare-and-swap on the secret version
read. A write that loses (another worker or run, or an operator, changed the secret since) is dropped, never
written over the winner: the secret is read again and the winner's tokens are used. A refresh token the
winner rotated stays the current one, and an operator's new credentials are never undone by a stale
refresh. When the winner's secret holds no usable access token, the call fails as transient and its retry
starts from the secret as it is now.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from pydantic import ValidationError

from leadgate import clock
from leadgate.connections.models import Connection
from leadgate.connections.secrets import (
    ConnectionSecrets,
    StaleSecrets,
    VersionedSecrets,
    get_secrets,
    put_secrets,
)
from leadgate.integrations.errors import PermanentError, TransientError
from leadgate.integrations.hubspot import (
    DEFAULT_BASE_URL,
    REFRESH_MARGIN_SECONDS,
    HubSpotClient,
    HubSpotCredentials,
    OAuthTokens,
    TokensCallback,
)


def hubspot_client(
    base_url: str | None, secrets: ConnectionSecrets, *, on_tokens: TokensCallback | None = None
) -> HubSpotClient:
    """A HubSpot client on the connection's base URL (HubSpot's own when it has none) and its secret: a
    private-app token, or OAuth's client and refresh token with the access token last stored."""
    oauth = secrets.refresh_token is not None
    try:
        credentials = HubSpotCredentials(
            client_id=secrets.client_id,
            client_secret=secrets.client_secret,
            refresh_token=secrets.refresh_token,
            access_token=None if oauth else secrets.access_token,
        )
    except ValidationError:
        raise PermanentError("The HubSpot connection has neither a private-app token nor OAuth credentials.") from None
    return HubSpotClient(
        credentials,
        base_url=base_url or DEFAULT_BASE_URL,
        tokens=stored_tokens(secrets) if oauth else None,
        on_tokens=on_tokens if oauth else None,
    )


def stored_tokens(secrets: ConnectionSecrets) -> OAuthTokens | None:
    """The OAuth tokens a secret holds (written by whoever refreshed last), if it holds an access token."""
    if not (secrets.refresh_token and secrets.access_token and secrets.access_token_expires_at):
        return None
    return OAuthTokens(
        access_token=secrets.access_token,
        refresh_token=secrets.refresh_token,
        expires_at=secrets.access_token_expires_at.timestamp(),
    )


class TokenStore:
    """One connection's refreshed OAuth tokens into its secret (the module's stale-write policy). Called by
    the client with the tokens it got; answers the tokens to use."""

    def __init__(self, connection: Connection, read: VersionedSecrets) -> None:
        self.connection = connection
        self.current = read  # the secret as last read or written
        self._lock = threading.Lock()

    def __call__(self, tokens: OAuthTokens) -> OAuthTokens:
        with self._lock:
            updated = self.current.secrets.model_copy(
                update={
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "access_token_expires_at": datetime.fromtimestamp(tokens.expires_at, UTC),
                }
            )
            try:
                self.current = put_secrets(self.connection, updated, expected_version=self.current.version_id)
                return tokens
            except StaleSecrets:
                self.current = get_secrets(self.connection, force_fetch=True)
            winner = stored_tokens(self.current.secrets)
        if winner is None or winner.expires_at - REFRESH_MARGIN_SECONDS <= clock.timestamp():
            raise TransientError("Another writer changed the connection's secret; the call is to be retried.")
        return winner
