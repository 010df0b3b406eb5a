"""The connections registry on moto: items, the tenant index, the per-process cache, updates."""

from __future__ import annotations

import boto3
import pytest
from pydantic import ValidationError

from leadgate.connections import registry as registry_module
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection, get_connection
from leadgate.ttlcache import TTLCache
from tests.support.clock import FakeClock


@pytest.fixture
def connections(aws):
    registry_module.clear_cache()
    yield ConnectionRegistry(dynamodb=boto3.client("dynamodb"), table=aws.tables["CONNECTIONS_TABLE"])
    registry_module.clear_cache()


def hubspot(tenant: str = "acme", **fields) -> Connection:
    return Connection(tenant_id=tenant, provider="hubspot", settings={"portal_id": "123", "app_id": "456"}, **fields)


def test_put_and_get_round_trip_every_field(connections):
    stored = connections.put(hubspot(secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:x", sync_every="15m"))

    read = connections.get(stored.connection_id, fresh=True)

    assert read == stored
    assert read.base_url == "https://api.hubapi.com"
    assert read.settings.allow_unversioned_signatures is False


def test_put_never_overwrites_an_existing_id(connections):
    first = connections.put(hubspot())

    with pytest.raises(connections.dynamodb.exceptions.ConditionalCheckFailedException):
        connections.put(hubspot(tenant="beta", connection_id=first.connection_id))

    assert connections.get(first.connection_id, fresh=True).tenant_id == "acme"


def test_get_is_cached_until_its_ttl_and_fresh_reads_through(aws, connections):
    clock = FakeClock(1000.0)
    cached = ConnectionRegistry(
        dynamodb=boto3.client("dynamodb"),
        table=aws.tables["CONNECTIONS_TABLE"],
        cache=TTLCache(60, clock=clock),
    )
    stored = connections.put(hubspot())
    assert cached.get(stored.connection_id).enabled is True
    connections.disable(stored.connection_id)  # another process (the CLI) disables it

    assert cached.get(stored.connection_id).enabled is True  # still cached
    assert cached.get(stored.connection_id, fresh=True).enabled is False
    connections.set_fields(stored.connection_id, sync_every="1h")
    clock.now += 61
    assert cached.get(stored.connection_id).sync_every == "1h"


def test_unknown_ids_are_cached_too(aws, connections):
    clock = FakeClock(0.0)
    cached = ConnectionRegistry(
        dynamodb=boto3.client("dynamodb"),
        table=aws.tables["CONNECTIONS_TABLE"],
        cache=TTLCache(registry_module.CACHE_SECONDS, clock=clock),
    )
    missing = hubspot()
    assert cached.get(missing.connection_id) is None
    connections.put(missing)

    assert cached.get(missing.connection_id) is None
    clock.now += registry_module.CACHE_SECONDS + 1
    assert cached.get(missing.connection_id) == missing


def test_the_functions_registry_reads_the_settings_table(connections):
    stored = connections.put(hubspot())

    assert get_connection(stored.connection_id) == stored
    assert get_connection(hubspot().connection_id) is None


def test_list_for_tenant_pages_in_creation_order_and_stays_in_the_tenant(connections):
    mine = [connections.put(hubspot()) for _ in range(5)]
    connections.put(hubspot(tenant="beta"))

    first = connections.list_for_tenant("acme", limit=2)
    second = connections.list_for_tenant("acme", limit=2, after=first.last_key)
    third = connections.list_for_tenant("acme", limit=2, after=second.last_key)

    listed = first.connections + second.connections + third.connections
    assert [connection.connection_id for connection in listed] == sorted(c.connection_id for c in mine)
    assert third.last_key is None or connections.list_for_tenant("acme", after=third.last_key).connections == []
    assert connections.list_all("acme") == listed
    assert {connection.tenant_id for connection in connections.list_all()} == {"acme", "beta"}


def test_get_for_tenant_hides_other_tenants_connections(connections):
    stored = connections.put(hubspot(tenant="beta"))

    with pytest.raises(UnknownConnection):
        connections.get_for_tenant("acme", stored.connection_id)
    assert connections.get_for_tenant("beta", stored.connection_id) == stored


def test_disable_and_set_fields(connections):
    stored = connections.put(hubspot())

    disabled = connections.disable(stored.connection_id)
    again = connections.disable(stored.connection_id)
    scheduled = connections.set_fields(stored.connection_id, sync_every="15m", sync_disabled_reason="401 after refresh")
    cleared = connections.set_fields(stored.connection_id, sync_disabled_reason=None)

    assert disabled.enabled is False and disabled.disabled_at is not None
    assert again.disabled_at == disabled.disabled_at
    assert (scheduled.sync_every, scheduled.sync_disabled_reason) == ("15m", "401 after refresh")
    assert (cleared.sync_every, cleared.sync_disabled_reason) == ("15m", None)
    assert connections.get(stored.connection_id, fresh=True) == cleared


def test_set_fields_validates_before_writing(connections):
    stored = connections.put(hubspot())

    with pytest.raises(ValidationError):
        connections.set_fields(stored.connection_id, sync_every="every day")
    with pytest.raises(ValidationError):
        connections.set_fields(stored.connection_id, settings={"portal_id": "not digits", "app_id": "1"})
    with pytest.raises(ValueError, match="not settable"):
        connections.set_fields(stored.connection_id, tenant_id="beta")

    assert connections.get(stored.connection_id, fresh=True) == stored


def test_unknown_connection_updates(connections):
    with pytest.raises(UnknownConnection):
        connections.disable(hubspot().connection_id)
    with pytest.raises(UnknownConnection):
        connections.set_fields(hubspot().connection_id, sync_every="1h")
