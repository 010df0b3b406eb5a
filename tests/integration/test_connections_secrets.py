"""Connection secrets on moto's Secrets Manager: never printed, cached reads, compare-and-swap writes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from leadgate import aws as leadgate_aws
from leadgate.connections import secrets as secrets_module
from leadgate.connections.models import Connection
from leadgate.connections.secrets import (
    ConnectionSecrets,
    MissingSecrets,
    SecretStore,
    StaleSecrets,
    get_secrets,
    put_secrets,
    secret_name,
)
from tests.support.clock import FakeClock


class CountingClient:
    """A Secrets Manager client that counts the calls made through it."""

    def __init__(self, client) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if callable(attribute) and name != "exceptions":
            self.calls.append(name)
        return attribute


@pytest.fixture
def client(aws):
    return boto3.client("secretsmanager")


def test_secrets_never_print(client):
    secrets = ConnectionSecrets(client_secret="app-secret", refresh_token="refresh-me", client_id="cid")

    shown = f"{secrets} {secrets!r} {secrets.model_dump()} {secrets.model_dump_json()}"

    assert "app-secret" not in shown and "refresh-me" not in shown
    assert "cid" in shown  # an OAuth client id is not a secret
    assert ConnectionSecrets.from_secret_string(secrets.to_secret_string()) == secrets


def test_create_names_the_secret_per_stage_and_connection(client):
    store = SecretStore(client=client, stage="dev")

    arn = store.create("con_01ARZ3NDEKTSV4RRFFQ69G5FAV", ConnectionSecrets(api_token="tok"), tenant_id="acme")

    described = client.describe_secret(SecretId=arn)
    assert described["Name"] == secret_name("dev", "con_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert described["Name"] == "leadgate/dev/connections/con_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert {"Key": "leadgate:tenant", "Value": "acme"} in described["Tags"]


def test_reads_are_cached_until_max_age_or_force_fetch(client):
    clock = FakeClock(0.0)
    counting = CountingClient(client)
    writer = SecretStore(client=client, stage="dev")
    reader = SecretStore(client=counting, stage="dev", ttl=300, clock=clock)
    arn = writer.create("con_01ARZ3NDEKTSV4RRFFQ69G5FAV", ConnectionSecrets(api_token="one"), tenant_id="acme")
    first = reader.read(arn)
    writer.replace(arn, ConnectionSecrets(api_token="two"), expected_version=first.version_id)

    cached = reader.read(arn)
    forced = reader.read(arn, force_fetch=True)
    clock.now += 301
    expired = reader.read(arn)

    assert cached.secrets.api_token.get_secret_value() == "one"  # stale until forced or expired
    assert forced.secrets.api_token.get_secret_value() == "two"
    assert expired.secrets.api_token.get_secret_value() == "two"
    assert counting.calls.count("get_secret_value") == 3


def test_replace_is_compare_and_swap_on_the_version(client):
    store = SecretStore(client=client, stage="dev")
    arn = store.create("con_01ARZ3NDEKTSV4RRFFQ69G5FAV", ConnectionSecrets(refresh_token="r1"), tenant_id="acme")
    read = store.read(arn, force_fetch=True)

    won = store.replace(arn, ConnectionSecrets(refresh_token="r2"), expected_version=read.version_id)
    with pytest.raises(StaleSecrets):
        store.replace(arn, ConnectionSecrets(refresh_token="r3"), expected_version=read.version_id)

    current = store.read(arn, force_fetch=True)
    assert current.secrets.refresh_token.get_secret_value() == "r2"
    assert current.version_id == won.version_id
    assert store.read(arn).version_id == won.version_id  # the cache holds what was written


def test_concurrent_refreshes_keep_exactly_one_rotated_refresh_token(client):
    store = SecretStore(client=client, stage="dev")
    arn = store.create("con_01ARZ3NDEKTSV4RRFFQ69G5FAV", ConnectionSecrets(refresh_token="r0"), tenant_id="acme")
    read = store.read(arn, force_fetch=True)
    barrier = threading.Barrier(8)
    outcomes: dict[int, str] = {}

    def refresh(worker: int) -> None:
        mine = SecretStore(client=client, stage="dev")
        barrier.wait()
        try:
            mine.replace(arn, ConnectionSecrets(refresh_token=f"r-{worker}"), expected_version=read.version_id)
            outcomes[worker] = "won"
        except StaleSecrets:
            outcomes[worker] = "stale"

    threads = [threading.Thread(target=refresh, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [worker for worker, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert store.read(arn, force_fetch=True).secrets.refresh_token.get_secret_value() == f"r-{winners[0]}"


def test_signing_secret_rotation_keeps_the_old_one_for_24_hours():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rotated = ConnectionSecrets(signing_secret="whsec_old").rotated_signing_secret("whsec_new", now)

    assert rotated.signing_secrets(now) == ["whsec_new", "whsec_old"]
    assert rotated.signing_secrets(now + timedelta(hours=23, minutes=59)) == ["whsec_new", "whsec_old"]
    assert rotated.signing_secrets(now + timedelta(hours=24)) == ["whsec_new"]
    assert ConnectionSecrets().signing_secrets(now) == []


def test_module_functions_use_the_connections_arn_and_the_process_store(aws):
    leadgate_aws.reset_clients()
    connection = Connection(
        tenant_id="acme", provider="chatdealer", settings={"domain": "x.example", "field_map": {"email": "e"}}
    )
    arn = secrets_module.default_store().create(
        connection.connection_id, ConnectionSecrets(api_token="t1"), tenant_id="acme"
    )
    connection = connection.model_copy(update={"secret_arn": arn})

    read = get_secrets(connection)
    put_secrets(connection, ConnectionSecrets(api_token="t2"), expected_version=read.version_id)

    assert get_secrets(connection).secrets.api_token.get_secret_value() == "t2"
    assert secrets_module.default_store().stage == "dev"
    with pytest.raises(MissingSecrets):
        get_secrets(connection.model_copy(update={"secret_arn": None}))
    with pytest.raises(MissingSecrets):
        get_secrets(connection.model_copy(update={"secret_arn": arn.replace("con_", "con_X")}), force_fetch=True)
