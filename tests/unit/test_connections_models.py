"""Connection models: ids, per-provider settings, default base URLs, the public view."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadgate.connections.models import (
    ChatDealerSettings,
    Connection,
    HubSpotSettings,
    Provider,
    is_connection_id,
    new_connection_id,
)


def test_connection_ids_are_prefixed_ulids():
    first, second = new_connection_id(), new_connection_id()

    assert first.startswith("con_") and len(first) == 30
    assert is_connection_id(first) and is_connection_id(second)
    assert not is_connection_id(first.removeprefix("con_"))
    assert not is_connection_id("con_" + "Z" * 26)


@pytest.mark.parametrize(
    ("provider", "settings", "base_url"),
    [
        ("hubspot", {"portal_id": "62515", "app_id": "1"}, "https://api.hubapi.com"),
        ("intercom", {"app_id": "abc"}, "https://api.intercom.io"),
        (
            "chatdealer",
            {"domain": "Acme.ChatDealer.jp", "field_map": {"email": "メール"}},
            "https://acme.chatdealer.jp",
        ),
        ("standard", {}, None),
    ],
)
def test_base_url_defaults_to_the_providers_api(provider, settings, base_url):
    connection = Connection(tenant_id="acme", provider=provider, settings=settings)

    assert connection.base_url == base_url
    assert Connection(
        tenant_id="acme", provider=provider, settings=settings, base_url="http://127.0.0.1:8/x/"
    ).base_url == ("http://127.0.0.1:8/x")


def test_settings_are_validated_by_the_providers_model():
    connection = Connection(tenant_id="acme", provider="hubspot", settings={"portal_id": "1", "app_id": "2"})
    assert isinstance(connection.settings, HubSpotSettings)
    assert connection.settings.allow_unversioned_signatures is False

    with pytest.raises(ValidationError):  # Intercom's settings on a HubSpot connection
        Connection(tenant_id="acme", provider="hubspot", settings={"app_id": "2"})
    with pytest.raises(ValidationError):
        Connection(tenant_id="acme", provider="standard", settings={"app_id": "2"})
    with pytest.raises(ValidationError):
        Connection(tenant_id="acme", provider="zendesk", settings={})


@pytest.mark.parametrize(
    "field_map",
    [{}, {"shoe_size": "x"}, {"email": ""}, {"custom_fields.": "x"}, {"custom_fields.budget": 3}],
)
def test_chatdealer_field_maps_name_our_fields(field_map):
    with pytest.raises(ValidationError):
        ChatDealerSettings(domain="x.example", field_map=field_map)


def test_chatdealer_field_map_may_name_custom_fields():
    settings = ChatDealerSettings(domain="x.example", field_map={"custom_fields.budget": "予算", "phone": "電話番号"})

    assert settings.field_map.mapped() == {"custom_fields.budget": "予算", "phone": "電話番号"}
    assert settings.model_dump()["field_map"] == {"custom_fields.budget": "予算", "phone": "電話番号"}


@pytest.mark.parametrize("every", ["15m", "1h", "2d"])
def test_sync_every(every):
    assert Connection(tenant_id="acme", provider="standard", settings={}, sync_every=every).sync_every == every


@pytest.mark.parametrize("every", ["0m", "15", "15s", "1w", "m"])
def test_bad_sync_every(every):
    with pytest.raises(ValidationError):
        Connection(tenant_id="acme", provider="standard", settings={}, sync_every=every)


def test_public_view_has_no_secret_arn():
    connection = Connection(
        tenant_id="acme", provider=Provider.STANDARD, settings={}, secret_arn="arn:aws:secretsmanager:x"
    )

    public = connection.public()

    assert "secret_arn" not in public
    assert public["provider"] == "standard"
    assert public["created_at"].endswith("Z") or public["created_at"].endswith("+00:00")
