"""`leadgate`: the admin CLI. Manages API clients on the local stack (default) or a deployed stack.

    leadgate clients create --tenant acme [--scopes read:leads write:leads] [--name NAME] [--tier standard]
    leadgate clients list [--tenant acme]
    leadgate clients disable CLIENT_ID
    leadgate clients rotate-key CLIENT_ID
    leadgate clients set-tier CLIENT_ID --tier partner
    leadgate clients set-limits CLIENT_ID [--hourly 1000] [--minutely 60] [--policy LIMIT/SECONDS ...] [--default]
    leadgate clients set-scopes CLIENT_ID --scopes read:leads read:pipelines ...
    leadgate pipelines list --tenant acme
    leadgate connections create --tenant acme --provider standard|hubspot|intercom|chatdealer [provider options]
    leadgate connections list [--tenant acme]
    leadgate connections show CONNECTION_ID
    leadgate connections disable CONNECTION_ID
    leadgate connections rotate-secret CONNECTION_ID
    leadgate webhooks events --connection CONNECTION_ID
    leadgate webhooks dead-letters [--connection CONNECTION_ID]
    leadgate webhooks redrive [--connection CONNECTION_ID]
    leadgate webhooks endpoints --tenant acme              (outbound: the tenant's webhook endpoints)
    leadgate webhooks deliveries --tenant acme --endpoint 1 [--status failed] [--limit 20]
    leadgate webhooks retry --tenant acme --endpoint 1 DELIVERY_ID
    leadgate connections set-schedule CONNECTION_ID --every 15m|1h|1d | --off
    leadgate sync run CONNECTION_ID      (prints the run's record; exits 1 when the run failed)
    leadgate sync runs CONNECTION_ID
    leadgate users list --tenant acme    (with each user's open_lead_count)
    leadgate tags list --tenant acme     (the tags catalog, with exact lead counts)
    leadgate workspace backfill --tenant acme   (queues a job counting leads from before the workspace)
    leadgate automations runs AUTOMATION_ID --tenant acme [--limit 20]   (newest first)

Every command takes `--local-dir DIR` (default: $LEADGATE_LOCAL_DIR, else the nearest `.local/` holding a
`stack.json` in the working directory or above it, as `make run` writes it in the checkout) or
`--stack NAME [--region REGION]` for a deployed stack, whose outputs name the user pool and the tables.
On the local stack, every command that changes something saves the stack's state (`leadgate_admin.local_state`),
so that clients, API keys and connection secrets survive a restart.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from leadgate.auth.clients import DEFAULT_TIER
from leadgate.connections.models import SYNC_EVERY_PATTERN, Provider
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection
from leadgate.connections.secrets import SecretStore
from leadgate.ratelimit.policies import InvalidPolicies, Policy, parse_policy_spec
from leadgate_admin import local_state
from leadgate_admin.automations import AutomationsAdmin
from leadgate_admin.clients import ClientRegistry, ClientSpecError, UnknownClient, client_view
from leadgate_admin.connections import SECRET_OPTIONS, SETTING_OPTIONS, ConnectionAdmin, ConnectionSpecError
from leadgate_admin.outbound import OutboundAdmin, UnknownDelivery
from leadgate_admin.sync import SyncAdmin, lambda_invoker, refuse_schedule
from leadgate_admin.tags import list_tags
from leadgate_admin.usage_plans import ApiKeys, UnknownTier
from leadgate_admin.webhooks import WebhookAdmin
from leadgate_admin.workspace import WorkspaceAdmin, queue_backfill

LOCAL_DIR_ENV = "LEADGATE_LOCAL_DIR"
STACK_FILE = "stack.json"
LOCAL_DIR_NAME = ".local"
DEFAULT_SCOPE_PREFIX = "leadgate"


class TargetError(RuntimeError):
    """The stack to manage cannot be found or is incomplete."""


@dataclass(frozen=True)
class Target:
    """Where the registry lives: a region, the clients table, the user pool, and (local) endpoints."""

    region: str
    clients_table: str
    user_pool_id: str
    scope_prefix: str = DEFAULT_SCOPE_PREFIX
    endpoints: Mapping[str, str] = field(default_factory=dict)
    local: bool = False
    stack_name: str = "local"  # its usage plans are named `{stack_name}-{tier}`
    connections_table: str = ""
    api_url: str = ""
    stage: str = "local"  # connection secrets are named `leadgate/{stage}/connections/{id}`
    local_dir: Path | None = None
    webhooks_resources: Mapping[str, str] = field(default_factory=dict)  # events table, queue and DLQ URLs
    sync: Mapping[str, str] = field(default_factory=dict)  # schedule_group, function_arn, role_arn, dead_letter_arn
    environment: Mapping[str, str] = field(default_factory=dict)  # leadgate's settings, for in-process sync runs
    workspace_table: str = ""
    outbound: Mapping[str, str] = field(default_factory=dict)  # outbound webhooks: table, queue_url

    @cached_property
    def session(self) -> Any:
        import boto3

        # The local stack's emulators accept any credentials; the user's real ones are never sent there.
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"} if self.local else {}
        return boto3.session.Session(region_name=self.region, **credentials)

    def client(self, service: str) -> Any:
        # Locally, a service without its own endpoint is on moto's server ("default"), never on AWS.
        endpoint = self.endpoints.get(service) or (self.endpoints.get("default") if self.local else None)
        return self.session.client(service, endpoint_url=endpoint)

    def registry(self) -> ClientRegistry:
        return ClientRegistry(
            dynamodb=self.client("dynamodb"),
            cognito=self.client("cognito-idp"),
            table=self.clients_table,
            user_pool_id=self.user_pool_id,
            scope_prefix=self.scope_prefix,
            api_keys=ApiKeys.for_stack(self.client("apigateway"), self.stack_name),
        )

    def connections(self) -> ConnectionAdmin:
        if not self.connections_table:
            raise TargetError("This stack has no connections table: restart the local stack, or deploy again.")
        return ConnectionAdmin(
            registry=ConnectionRegistry(dynamodb=self.client("dynamodb"), table=self.connections_table),
            secrets=SecretStore(client=self.client("secretsmanager"), stage=self.stage),
            api_url=self.api_url,
        )

    def automations(self) -> AutomationsAdmin:
        if not self.workspace_table:
            raise TargetError("This stack has no workspace table: restart or deploy it again.")
        return AutomationsAdmin(dynamodb=self.client("dynamodb"), table=self.workspace_table)

    def workspace(self) -> WorkspaceAdmin:
        if not self.workspace_table:
            raise TargetError("This stack has no workspace table: restart the local stack, or deploy again.")
        return WorkspaceAdmin(dynamodb=self.client("dynamodb"), table=self.workspace_table)

    def webhooks(self) -> WebhookAdmin:
        names = ("events_table", "queue_url", "dead_letter_queue_url")
        if any(not self.webhooks_resources.get(name) for name in names):
            raise TargetError("This stack has no webhook queue or events table: restart or deploy it again.")
        return WebhookAdmin(
            dynamodb=self.client("dynamodb"),
            sqs=self.client("sqs"),
            **{name: self.webhooks_resources[name] for name in names},
        )

    def outbound_admin(self) -> OutboundAdmin:
        if not (self.outbound.get("table") and self.outbound.get("queue_url")):
            raise TargetError("This stack has no outbound webhooks table or queue: restart or deploy it again.")
        return OutboundAdmin(
            dynamodb=self.client("dynamodb"),
            sqs=self.client("sqs"),
            table=self.outbound["table"],
            queue_url=self.outbound["queue_url"],
        )

    def sync_admin(self) -> SyncAdmin:
        if not self.sync.get("schedule_group"):
            raise TargetError("This stack has no sync schedule group: restart the local stack, or deploy again.")
        from leadgate.sync.schedules import Schedules, ScheduleTarget

        return SyncAdmin(
            registry=ConnectionRegistry(dynamodb=self.client("dynamodb"), table=self.connections_table),
            schedules=Schedules(self.client("scheduler"), self.sync["schedule_group"]),
            target=ScheduleTarget(self.sync["function_arn"], self.sync["role_arn"], self.sync["dead_letter_arn"]),
            environment=self.environment,
            invoke=None if self.local else lambda_invoker(self.client("lambda"), self.sync["function_arn"]),
        )

    def save_local_state(self) -> None:
        """The local stack's moto-held state, so that a restart gives back the same credentials."""
        if self.local and self.local_dir is not None:
            state = local_state.snapshot(
                cognito=self.client("cognito-idp"),
                apigateway=self.client("apigateway"),
                secretsmanager=self.client("secretsmanager"),
                user_pool_id=self.user_pool_id,
                stack=self.stack_name,
            )
            local_state.save(self.local_dir, state)


def local_target(local_dir: Path) -> Target:
    """The local stack, from the `stack.json` it writes when it starts."""
    path = local_dir / STACK_FILE
    try:
        stack = json.loads(path.read_text())
        return Target(
            region=stack["region"],
            clients_table=stack["tables"]["CLIENTS_TABLE"],
            user_pool_id=stack["user_pool_id"],
            scope_prefix=stack.get("resource_server") or DEFAULT_SCOPE_PREFIX,
            endpoints=stack.get("endpoints") or {},
            local=True,
            connections_table=stack["tables"].get("CONNECTIONS_TABLE", ""),
            workspace_table=stack["tables"].get("WORKSPACE_TABLE", ""),
            api_url=stack.get("api_url", ""),
            stage=stack.get("stage", "local"),
            local_dir=local_dir,
            webhooks_resources={
                "events_table": stack["tables"].get("WEBHOOK_EVENTS_TABLE", ""),
                "queue_url": (stack.get("queues") or {}).get("WebhookQueue", ""),
                "dead_letter_queue_url": (stack.get("queues") or {}).get("WebhookDeadLetterQueue", ""),
            },
            sync=stack.get("sync") or {},
            environment=stack.get("environment") or {},
            outbound={
                "table": stack["tables"].get("OUTBOUND_WEBHOOKS_TABLE", ""),
                "queue_url": (stack.get("queues") or {}).get("DeliveriesQueue", ""),
            },
        )
    except FileNotFoundError as exc:
        raise TargetError(f"No local stack at {path}: start it with `make run`, or pass --stack NAME.") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise TargetError(f"{path} is not a local stack description ({exc!r}).") from exc


def deployed_target(stack: str, region: str | None) -> Target:
    """A deployed stack, from its CloudFormation outputs."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    cloudformation = boto3.session.Session(region_name=region).client("cloudformation")
    try:
        description = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except (BotoCoreError, ClientError) as exc:
        raise TargetError(f"Cannot read stack {stack!r}: {exc}") from exc
    outputs = {output["OutputKey"]: output["OutputValue"] for output in description.get("Outputs", [])}
    parameters = {item["ParameterKey"]: item.get("ParameterValue") for item in description.get("Parameters", [])}
    missing = [key for key in ("UserPoolId", "ClientsTable") if key not in outputs]
    if missing:
        raise TargetError(f"Stack {stack!r} has no output {', '.join(missing)}: is it a leadgate stack?")
    return Target(
        region=cloudformation.meta.region_name,
        clients_table=outputs["ClientsTable"],
        user_pool_id=outputs["UserPoolId"],
        scope_prefix=outputs.get("ResourceServer") or DEFAULT_SCOPE_PREFIX,
        stack_name=stack,
        connections_table=outputs.get("ConnectionsTable", ""),
        workspace_table=outputs.get("WorkspaceTable", ""),
        api_url=outputs.get("ApiUrl", ""),
        stage=parameters.get("Stage") or "dev",
        webhooks_resources={
            "events_table": outputs.get("WebhookEventsTable", ""),
            "queue_url": outputs.get("WebhookQueueUrl", ""),
            "dead_letter_queue_url": outputs.get("WebhookDeadLetterQueueUrl", ""),
        },
        outbound={
            "table": outputs.get("OutboundWebhooksTable", ""),
            "queue_url": outputs.get("DeliveriesQueueUrl", ""),
        },
        sync={
            "schedule_group": outputs.get("SyncScheduleGroup", ""),
            "function_arn": outputs.get("SyncFunctionArn", ""),
            "role_arn": outputs.get("SyncSchedulerRoleArn", ""),
            "dead_letter_arn": outputs.get("SyncSchedulesDeadLetterQueueArn", ""),
        },
        environment={
            "AWS_REGION": cloudformation.meta.region_name,
            "SYNC_TABLE": outputs.get("SyncTable", ""),
            "CONNECTIONS_TABLE": outputs.get("ConnectionsTable", ""),
            "WORKSPACE_TABLE": outputs.get("WorkspaceTable", ""),
            "LEADS_TABLE": outputs.get("LeadsTable", ""),
            "JOBS_QUEUE_URL": outputs.get("JobsQueueUrl", ""),
            "STAGE": parameters.get("Stage") or "dev",
        },
    )


def resolve_target(args: argparse.Namespace) -> Target:
    if args.stack:
        return deployed_target(args.stack, args.region)
    local_dir = args.local_dir or os.environ.get(LOCAL_DIR_ENV) or nearest_local_dir(Path.cwd())
    return local_target(Path(local_dir))


def nearest_local_dir(start: Path) -> Path:
    """The `.local/` of a running local stack in `start` or above it (the CLI may be installed apart from any
    checkout, so it looks where it is run, as git looks for `.git`); `start/.local` when there is none."""
    for directory in (start, *start.parents):
        if (directory / LOCAL_DIR_NAME / STACK_FILE).is_file():
            return directory / LOCAL_DIR_NAME
    return start / LOCAL_DIR_NAME


# ---------------------------------------------------------------- commands


def create_client(target: Target, args: argparse.Namespace) -> Any:
    """Printed once: the secret is not stored anywhere and cannot be shown again."""
    return target.registry().create(args.tenant, args.scopes, args.name, args.tier)


def list_clients(target: Target, args: argparse.Namespace) -> Any:
    return [client_view(client) for client in target.registry().list(args.tenant)]


def disable_client(target: Target, args: argparse.Namespace) -> Any:
    return client_view(target.registry().disable(args.client_id))


def rotate_key(target: Target, args: argparse.Namespace) -> Any:
    return client_view(target.registry().rotate_key(args.client_id))


def set_tier(target: Target, args: argparse.Namespace) -> Any:
    return client_view(target.registry().set_tier(args.client_id, args.tier))


def set_scopes(target: Target, args: argparse.Namespace) -> Any:
    return client_view(target.registry().set_scopes(args.client_id, args.scopes))


def list_pipelines(target: Target, args: argparse.Namespace) -> Any:
    return target.workspace().pipelines(args.tenant)


def set_limits(target: Target, args: argparse.Namespace) -> Any:
    policies = [parse_policy_spec(spec) for spec in args.policy or []]
    windows = ((args.hourly, 3600), (args.minutely, 60))
    policies += [Policy(limit=limit, window=window) for limit, window in windows if limit]
    if args.default == bool(policies):
        raise InvalidPolicies("Give --hourly, --minutely or --policy, or --default alone.")
    return client_view(target.registry().set_limits(args.client_id, policies))


def create_connection(target: Target, args: argparse.Namespace) -> Any:
    """Printed once: a generated signing secret is shown here and never again."""
    options = {name: getattr(args, name) for name in (*SETTING_OPTIONS, *SECRET_OPTIONS)}
    if args.sync_every:
        refuse_schedule(args.provider)
    sync = target.sync_admin() if args.sync_every else None  # a stack without scheduling fails before creating
    created = target.connections().create(args.tenant, args.provider, options, base_url=args.base_url)
    if sync is None:
        return created
    scheduled = sync.set_schedule(created["connection_id"], args.sync_every)
    return {**created, "sync_every": scheduled["sync_every"], "schedule": scheduled["schedule"]}


def set_connection_schedule(target: Target, args: argparse.Namespace) -> Any:
    return target.sync_admin().set_schedule(args.connection_id, None if args.off else args.every)


def run_sync(target: Target, args: argparse.Namespace) -> Any:
    return target.sync_admin().run(args.connection_id)


def list_sync_runs(target: Target, args: argparse.Namespace) -> Any:
    return target.sync_admin().runs(args.connection_id, limit=args.limit)


def _interval(text: str) -> str:
    if not re.match(SYNC_EVERY_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an interval like 15m, 1h or 1d")
    return text


def list_connections(target: Target, args: argparse.Namespace) -> Any:
    return target.connections().list(args.tenant)


def show_connection(target: Target, args: argparse.Namespace) -> Any:
    return target.connections().show(args.connection_id)


def disable_connection(target: Target, args: argparse.Namespace) -> Any:
    return target.connections().disable(args.connection_id)


def rotate_connection_secret(target: Target, args: argparse.Namespace) -> Any:
    return target.connections().rotate_secret(args.connection_id)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def list_tenant_tags(target: Target, args: argparse.Namespace) -> Any:
    if not target.environment.get("WORKSPACE_TABLE"):
        raise TargetError("This stack has no workspace table: restart the local stack, or deploy again.")
    return list_tags(target.environment, args.tenant)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadgate", description="leadgate administration.")
    target = argparse.ArgumentParser(add_help=False)
    where = target.add_argument_group("target (default: the local stack)")
    where.add_argument(
        "--local-dir",
        type=Path,
        help=f"the local stack's data dir (default: ${LOCAL_DIR_ENV}, else the nearest .local here or above)",
    )
    where.add_argument("--stack", metavar="NAME", help="a deployed CloudFormation stack")
    where.add_argument("--region", help="the deployed stack's region (default: your AWS configuration)")

    groups = parser.add_subparsers(
        dest="group", required=True, metavar="{clients,connections,webhooks,sync,pipelines,users,tags,workspace}"
    )
    clients = groups.add_parser("clients", help="API clients (Cognito app clients and their registry entries)")
    commands = clients.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", parents=[target], help="create a client; prints its secret once")
    create.add_argument("--tenant", required=True, help="tenant slug: a-z, 0-9 and '-', 2 to 40 characters")
    create.add_argument("--scopes", nargs="+", metavar="SCOPE", help="e.g. read:leads write:leads (default: all)")
    create.add_argument("--name", help="a name for the client (default: the tenant)")
    create.add_argument("--tier", default=DEFAULT_TIER, help=f"usage tier (default: {DEFAULT_TIER})")
    create.set_defaults(run=create_client, changes=True)

    listing = commands.add_parser("list", parents=[target], help="list clients (never their secrets)")
    listing.add_argument("--tenant", help="only this tenant's clients")
    listing.set_defaults(run=list_clients)

    disable = commands.add_parser("disable", parents=[target], help="disable a client")
    disable.add_argument("client_id", metavar="CLIENT_ID")
    disable.set_defaults(run=disable_client, changes=True)

    rotate = commands.add_parser("rotate-key", parents=[target], help="give a client a new API key")
    rotate.add_argument("client_id", metavar="CLIENT_ID")
    rotate.set_defaults(run=rotate_key, changes=True)

    tier = commands.add_parser("set-tier", parents=[target], help="move a client to another usage plan")
    tier.add_argument("client_id", metavar="CLIENT_ID")
    tier.add_argument("--tier", required=True, help="a usage tier of the stack, e.g. standard or partner")
    tier.set_defaults(run=set_tier, changes=True)

    limits = commands.add_parser("set-limits", parents=[target], help="set a client's rate limits")
    limits.add_argument("client_id", metavar="CLIENT_ID")
    limits.add_argument("--hourly", type=_count, default=0, metavar="N", help="requests per hour")
    limits.add_argument("--minutely", type=_count, default=0, metavar="N", help="requests per minute")
    limits.add_argument("--policy", action="append", metavar="LIMIT/SECONDS", help="e.g. 5000/86400 (repeatable)")
    limits.add_argument("--default", action="store_true", help="back to the default, 1000 requests per hour")
    limits.set_defaults(run=set_limits, changes=True)

    scopes = commands.add_parser("set-scopes", parents=[target], help="replace a client's scopes")
    scopes.add_argument("client_id", metavar="CLIENT_ID")
    scopes.add_argument("--scopes", nargs="+", required=True, metavar="SCOPE", help="e.g. read:leads read:pipelines")
    scopes.set_defaults(run=set_scopes, changes=True)
    _connection_commands(groups, target)
    _workspace_commands(groups, target)
    _webhook_commands(groups, target)
    _sync_commands(groups, target)
    _users_commands(groups, target)
    _automations_commands(groups, target)
    return parser


def _webhook_commands(groups: Any, target: argparse.ArgumentParser) -> None:
    webhooks = groups.add_parser("webhooks", help="received webhook events and dead letters (docs/integrations.md)")
    commands = webhooks.add_subparsers(dest="command", required=True)
    events = commands.add_parser("events", parents=[target], help="a connection's received events and their status")
    events.add_argument("--connection", required=True, metavar="CONNECTION_ID")
    events.set_defaults(run=lambda target, args: target.webhooks().events(args.connection))
    letters = commands.add_parser("dead-letters", parents=[target], help="what is in the dead-letter queue")
    letters.add_argument("--connection", metavar="CONNECTION_ID", help="only this connection's")
    letters.set_defaults(run=lambda target, args: target.webhooks().dead_letters(args.connection))
    redrive = commands.add_parser("redrive", parents=[target], help="move dead letters back to the queue")
    redrive.add_argument("--connection", metavar="CONNECTION_ID", help="only this connection's")
    redrive.set_defaults(run=lambda target, args: target.webhooks().redrive(args.connection))

    # Outbound webhooks (docs/webhooks-out.md).
    endpoints = commands.add_parser("endpoints", parents=[target], help="a tenant's outbound webhook endpoints")
    endpoints.add_argument("--tenant", required=True)
    endpoints.set_defaults(run=lambda target, args: target.outbound_admin().endpoints(args.tenant))
    deliveries = commands.add_parser("deliveries", parents=[target], help="an endpoint's delivery log, newest first")
    deliveries.add_argument("--tenant", required=True)
    deliveries.add_argument("--endpoint", required=True, type=_count, metavar="ENDPOINT_ID")
    deliveries.add_argument("--status", choices=["pending", "succeeded", "failed", "paused"])
    deliveries.add_argument("--limit", type=_count, default=20, metavar="N", help="at most N (default 20)")
    deliveries.set_defaults(
        run=lambda target, args: target.outbound_admin().deliveries(args.tenant, args.endpoint, args.status, args.limit)
    )
    retry = commands.add_parser("retry", parents=[target], help="send a delivery again (same webhook-id)")
    retry.add_argument("--tenant", required=True)
    retry.add_argument("--endpoint", required=True, type=_count, metavar="ENDPOINT_ID")
    retry.add_argument("delivery_id", metavar="DELIVERY_ID")
    retry.set_defaults(
        run=lambda target, args: target.outbound_admin().retry(args.tenant, args.endpoint, args.delivery_id)
    )


def _connection_commands(groups: Any, target: argparse.ArgumentParser) -> None:
    connections = groups.add_parser("connections", help="connections to external systems (docs/integrations.md)")
    commands = connections.add_subparsers(dest="command", required=True)
    secret = " (a value, @path to read a file, or - to read standard input)"

    create = commands.add_parser("create", parents=[target], help="create a connection; prints a generated secret once")
    create.add_argument("--tenant", required=True, help="tenant slug")
    create.add_argument("--provider", required=True, choices=[provider.value for provider in Provider])
    create.add_argument("--base-url", help="the provider API's base URL (default: the provider's own)")
    create.add_argument("--portal-id", help="hubspot: the portal (account) id")
    create.add_argument("--app-id", help="hubspot, intercom: the app id")
    create.add_argument("--client-id", help="hubspot: the OAuth app's client id")
    create.add_argument("--client-secret", help="hubspot, intercom: the app's client secret" + secret)
    create.add_argument("--refresh-token", help="hubspot: an OAuth refresh token" + secret)
    create.add_argument("--access-token", help="hubspot: a private-app token; intercom: the access token" + secret)
    create.add_argument("--domain", help="chatdealer: the environment's domain")
    create.add_argument("--api-token", help="chatdealer: the API token (X-CD-apitoken)" + secret)
    create.add_argument("--field-map", metavar="JSON", help='chatdealer: e.g. {"email": "メールアドレス"}')
    create.add_argument("--sync-every", type=_interval, metavar="INTERVAL", help="sync on a schedule: 15m, 1h, 1d")
    create.set_defaults(run=create_connection, changes=True)

    listing = commands.add_parser("list", parents=[target], help="list connections (never their secrets)")
    listing.add_argument("--tenant", help="only this tenant's connections")
    listing.set_defaults(run=list_connections)

    for name, run, changes, help_text in (
        ("show", show_connection, False, "show a connection (never its secrets)"),
        ("disable", disable_connection, True, "disable a connection: its webhooks are refused"),
        (
            "rotate-secret",
            rotate_connection_secret,
            True,
            "standard: a new signing secret; the old one stays valid 24 h",
        ),
    ):
        command = commands.add_parser(name, parents=[target], help=help_text)
        command.add_argument("connection_id", metavar="CONNECTION_ID")
        command.set_defaults(run=run, changes=changes)

    schedule = commands.add_parser("set-schedule", parents=[target], help="sync a connection on a schedule, or stop")
    schedule.add_argument("connection_id", metavar="CONNECTION_ID")
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", type=_interval, metavar="INTERVAL", help="15m, 1h, 1d, ...")
    when.add_argument("--off", action="store_true", help="delete the schedule")
    schedule.set_defaults(run=set_connection_schedule)


def list_users(target: Target, args: argparse.Namespace) -> Any:
    return target.workspace().users(args.tenant)


def _users_commands(groups: Any, target: argparse.ArgumentParser) -> None:
    users = groups.add_parser("users", help="the users leads are assigned to (docs/workspace.md)")
    commands = users.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", parents=[target], help="a tenant's users, with their open_lead_count")
    listing.add_argument("--tenant", required=True, help="the tenant")
    listing.set_defaults(run=list_users)


def _automations_commands(groups: Any, target: argparse.ArgumentParser) -> None:
    automations = groups.add_parser("automations", help="automations and their runs (docs/automations.md)")
    commands = automations.add_subparsers(dest="command", required=True)
    runs = commands.add_parser("runs", parents=[target], help="an automation's recent runs, newest first")
    runs.add_argument("automation_id", type=_count, metavar="AUTOMATION_ID")
    runs.add_argument("--tenant", required=True)
    runs.add_argument("--limit", type=_count, default=20, metavar="N", help="at most N runs (default 20)")
    runs.set_defaults(run=lambda target, args: target.automations().runs(args.tenant, args.automation_id, args.limit))


def _workspace_commands(groups: Any, target: argparse.ArgumentParser) -> None:
    pipelines = groups.add_parser("pipelines", help="a tenant's pipelines and stages (docs/workspace.md)")
    commands = pipelines.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", parents=[target], help="pipelines with their stages and lead counts")
    listing.add_argument("--tenant", required=True)
    listing.set_defaults(run=list_pipelines)

    workspace = groups.add_parser("workspace", help="a tenant's workspace as a whole (docs/workspace.md)")
    commands = workspace.add_subparsers(dest="command", required=True)
    backfill = commands.add_parser(
        "backfill",
        parents=[target],
        help="queue a job counting leads from before the workspace in its tag and user counts; prints the job",
    )
    backfill.add_argument("--tenant", required=True)
    backfill.set_defaults(run=backfill_counts)


def backfill_counts(target: Target, args: argparse.Namespace) -> Any:
    missing = [
        name for name in ("WORKSPACE_TABLE", "LEADS_TABLE", "JOBS_QUEUE_URL") if not target.environment.get(name)
    ]
    if missing:
        raise TargetError(f"This stack has no {', '.join(missing)}: restart the local stack, or deploy again.")
    return queue_backfill(target.environment, args.tenant)


def _sync_commands(groups: Any, target: argparse.ArgumentParser) -> None:
    sync = groups.add_parser("sync", help="sync runs of connections (docs/integrations-sync.md)")
    commands = sync.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", parents=[target], help="run a sync now; prints its record, exits 1 if it failed")
    run.add_argument("connection_id", metavar="CONNECTION_ID")
    run.set_defaults(run=run_sync, fails_with_run=True)
    runs = commands.add_parser("runs", parents=[target], help="a connection's past runs, newest first")
    runs.add_argument("connection_id", metavar="CONNECTION_ID")
    runs.add_argument("--limit", type=_count, default=20, metavar="N", help="at most N runs (default 20)")
    runs.set_defaults(run=list_sync_runs)

    tags = groups.add_parser("tags", help="a tenant's tags catalog (docs/workspace.md)")
    commands = tags.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", parents=[target], help="the tenant's tags with their lead counts")
    listing.add_argument("--tenant", required=True)
    listing.set_defaults(run=list_tenant_tags)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.region and not args.stack:
        parser.error("--region only applies with --stack")
    run: Callable[[Target, argparse.Namespace], Any] = args.run
    try:
        target = resolve_target(args)
        result = run(target, args)
        if getattr(args, "changes", False):
            target.save_local_state()
    except (TargetError, ClientSpecError, InvalidPolicies, UnknownTier, ConnectionSpecError) as exc:
        print(f"leadgate: error: {exc}", file=sys.stderr)
        return 2
    except UnknownClient as exc:
        print(f"leadgate: error: no client {exc} in the registry", file=sys.stderr)
        return 1
    except UnknownConnection as exc:
        print(f"leadgate: error: no connection {exc} in the registry", file=sys.stderr)
        return 1
    except UnknownDelivery as exc:
        print(f"leadgate: error: no delivery {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if getattr(args, "fails_with_run", False) and result.get("status") == "failed":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
