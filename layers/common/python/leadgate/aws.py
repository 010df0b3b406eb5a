"""Lazily built AWS clients, one per service and process. Endpoint overrides come from boto3's own
AWS_ENDPOINT_URL_<SERVICE> variables, so the local stack needs no code here. Every client has the timeouts,
retries and deadline of `leadgate.dependencies`."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from leadgate import dependencies
from leadgate.settings import get_settings

# boto3 sessions are not thread-safe, hence one lock around client creation. Loading service models is the
# costly part of making a client, so one model loader serves every session this process makes.
_clients: dict[str, Any] = {}
_lock = threading.Lock()


@cache
def _model_loader() -> Any:
    import botocore.loaders  # imported here so that importing leadgate costs nothing until AWS is used

    return botocore.loaders.create_loader()


def new_session() -> Any:
    """A boto3 session that reads credentials and config afresh but shares the loaded service models."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _model_loader())
    return boto3.session.Session(botocore_session=core)


def client(service: str) -> Any:
    if service not in _clients:
        with _lock:
            if service not in _clients:
                made = new_session().client(
                    service, region_name=get_settings().region, config=dependencies.client_config()
                )
                _clients[service] = dependencies.watch_deadline(made)
    return _clients[service]


def dynamodb() -> Any:
    return client("dynamodb")


def cognito() -> Any:
    return client("cognito-idp")


def secretsmanager() -> Any:
    return client("secretsmanager")


def sqs() -> Any:
    return client("sqs")


def reset_clients() -> None:
    """Forget clients and settings (tests and tools that switch endpoints, credentials or environments)."""
    with _lock:
        _clients.clear()
    get_settings.cache_clear()
