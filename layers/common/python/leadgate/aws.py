"""Lazily built AWS clients, one per process. Endpoint overrides come from boto3's own
AWS_ENDPOINT_URL_<SERVICE> variables, so the local stack needs no code here."""

from __future__ import annotations

from functools import cache
from typing import Any

from leadgate.settings import get_settings


@cache
def client(service: str) -> Any:
    import boto3  # imported here so that importing leadgate costs nothing until AWS is used

    return boto3.session.Session().client(service, region_name=get_settings().region)


def dynamodb() -> Any:
    return client("dynamodb")


def cognito() -> Any:
    return client("cognito-idp")


def reset_clients() -> None:
    """Forget cached clients and settings (tests that switch endpoints or environments)."""
    client.cache_clear()
    get_settings.cache_clear()
