"""The start-up sequence: emulators, environment, provisioning from the template, demo client, gateway, server."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import boto3

from leadgate import aws
from leadgate.connections.registry import ConnectionRegistry
from leadgate_admin import local_state
from leadgate_admin.usage_plans import ApiKeys
from leadgate_dev import template
from leadgate_dev.local import cognito as local_cognito
from leadgate_dev.local.authorizer import PolicyCache
from leadgate_dev.local.emulation import Emulation, start_emulation
from leadgate_dev.local.event_sources import QueuePoller, ScheduleRunner, start_pollers, start_schedules
from leadgate_dev.local.gateway import AUTHORIZER_FUNCTION, Gateway, HttpRequest, HttpResponse
from leadgate_dev.local.instances import DEFAULT_POOL_SIZE, FunctionPool
from leadgate_dev.local.provision import USER_POOL_NAME, StackResources, provision
from leadgate_dev.local.scheduler import LocalScheduler, stack_target
from leadgate_dev.local.server import LocalHttpServer
from leadgate_dev.local.state import restore, restore_user_pool
from leadgate_dev.local.streams import StreamPoller, start_stream_pollers
from leadgate_dev.local.usage_plans import create_usage_plans

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
STAGE = "local"
STACK_NAME = "local"
DEMO_TENANT = "demo"
COGNITO_TOKEN_PATH = "/_local/cognito/oauth2/token"
STACK_FILE = "stack.json"
DEMO_CLIENT_FILE = "demo-client.json"
# Dummy credentials: DynamoDB Local (-sharedDb) and moto accept any.
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local"}


EVENT_SOURCES_STOP_SECONDS = 3.0  # all of them together


@dataclass(frozen=True)
class StackConfig:
    host: str = "127.0.0.1"
    port: int = 3000
    local_dir: Path = ROOT / ".local"
    npm_dir: Path = ROOT / ".local" / "npm"  # shared even when local_dir is a temporary test directory
    pool_size: int = DEFAULT_POOL_SIZE
    auth_cache_ttl: int | None = None  # None: the template's ReauthorizeEvery
    use_dynamodb_local: bool = True
    visibility_timeout: int | None = None  # failed SQS messages visible again after this (None: the queue's)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> StackConfig:
        env = os.environ if env is None else env
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "3000")),
            local_dir=Path(env.get("LEADGATE_LOCAL_DIR") or ROOT / ".local").resolve(),
            pool_size=int(env.get("LEADGATE_LOCAL_INSTANCES", DEFAULT_POOL_SIZE)),
            auth_cache_ttl=int(env["AUTH_CACHE_TTL"]) if env.get("AUTH_CACHE_TTL") else None,
            use_dynamodb_local=env.get("LEADGATE_LOCAL_DYNAMODB", "local") != "moto",
            visibility_timeout=int(env["LEADGATE_LOCAL_VISIBILITY_TIMEOUT"])
            if env.get("LEADGATE_LOCAL_VISIBILITY_TIMEOUT")
            else None,
        )


@dataclass
class LocalStack:
    config: StackConfig
    emulation: Emulation | None = None
    resources: StackResources | None = None
    demo_client: dict[str, Any] = field(default_factory=dict)
    functions: FunctionPool | None = None
    scheduler: LocalScheduler | None = None
    _server: LocalHttpServer | None = None
    _gateway: Gateway | None = None
    _thread: threading.Thread | None = None
    _pollers: list[QueuePoller] = field(default_factory=list)
    _schedules: list[ScheduleRunner] = field(default_factory=list)
    _stream_pollers: list[StreamPoller] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    def start(self) -> None:
        self.config.local_dir.mkdir(parents=True, exist_ok=True)
        # Bind first: a port in use fails before anything else starts.
        self._server = LocalHttpServer(
            (self.config.host, self.config.port),
            self._handle,
            {COGNITO_TOKEN_PATH: self._cognito_token},
            template.gateway_responses(),
        )
        self.emulation = start_emulation(
            data_dir=self.config.local_dir,
            npm_dir=self.config.npm_dir,
            use_dynamodb_local=self.config.use_dynamodb_local,
        )
        os.environ.update(self._aws_environment())
        saved = local_state.load(self.config.local_dir)  # what the CLI made before a restart
        restore_user_pool(saved, name=f"{STACK_NAME}-{USER_POOL_NAME}", region=REGION)
        self.resources = provision(
            dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"), stack=STACK_NAME
        )
        os.environ.update(self.handler_environment())
        aws.reset_clients()  # built again on the local endpoints
        usage_plans = create_usage_plans(STACK_NAME)  # the tiers' plans exist before any client gets a key
        restore(
            saved,
            user_pool_id=self.resources.user_pool_id,
            usage_plans=self.resources.usage_plans,
            region=REGION,
            secretsmanager=boto3.client("secretsmanager"),
        )
        self.demo_client = self._replace_demo_client()
        self._save_state()
        self.functions = FunctionPool(self.config.pool_size)
        self.scheduler = self._start_scheduler()
        self._gateway = Gateway(
            routes=template.api_routes(),
            responses=template.gateway_responses(),
            method_not_allowed=template.method_not_allowed(),
            functions=self.functions,
            policy_cache=PolicyCache(self.auth_cache_ttl),
            usage_plans=usage_plans,
            stage=STAGE,
        )
        # The SQS event sources (the webhook worker), run on the same function instances as the gateway's.
        self._pollers = start_pollers(
            template.sqs_event_sources(),
            sqs=boto3.client("sqs"),
            queue_urls=self.resources.queues,
            functions=self.functions,
            visibility_timeout=self.config.visibility_timeout,
        )
        # The template's Schedule events (the webhook sweeper), on the same function instances.
        self._schedules = start_schedules(template.schedule_event_sources(), functions=self.functions)
        # The DynamoDB stream event sources (the event stream function, and any reader of the events table).
        self._stream_pollers = start_stream_pollers(
            template.stream_event_sources(),
            dynamodb=boto3.client("dynamodb"),
            streams=boto3.client("dynamodbstreams"),
            table_names={spec.logical_id: self.resources.tables[spec.env_var] for spec in template.tables()},
            functions=self.functions,
            sqs=boto3.client("sqs"),
            queue_urls=self.resources.queues,
        )
        self._write_json(STACK_FILE, self.description())
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-stack-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # Every event source is told at once, then joined against one shared deadline: a source stuck on a
        # hung dependency must not hold the others' stop (a stop always stops within seconds).
        sources = [*self._pollers, *self._stream_pollers, *self._schedules]
        for source in sources:
            source.stop(timeout=0)
        deadline = time.monotonic() + EVENT_SOURCES_STOP_SECONDS
        for source in sources:
            source.stop(timeout=max(0.0, deadline - time.monotonic()))
        if self.scheduler is not None:
            self.scheduler.stop()
        if self._thread is not None and self._server is not None:
            self._server.shutdown()
        if self._server is not None:
            self._server.server_close()
        if self.emulation is not None:
            self.emulation.stop()
        (self.config.local_dir / STACK_FILE).unlink(missing_ok=True)

    def _start_scheduler(self) -> LocalScheduler:
        """Fires the sync schedules (leadgate_dev.local.scheduler); its DLQ is the template's, on moto."""
        assert self.functions is not None and self.resources is not None
        scheduler = LocalScheduler.for_stack(
            stack=STACK_NAME, region=REGION, functions=self.functions, dead_letter_arn=self._sync_dead_letter_arn()
        )
        connections = ConnectionRegistry(dynamodb=aws.dynamodb(), table=self.resources.tables["CONNECTIONS_TABLE"])
        scheduler.restore(connections.list_all())
        scheduler.start()
        return scheduler

    @property
    def auth_cache_ttl(self) -> int:
        return self.config.auth_cache_ttl if self.config.auth_cache_ttl is not None else template.authorizer_ttl()

    # ---------------------------------------------------------------- environment

    def _aws_environment(self) -> dict[str, str]:
        """boto3's own settings: dummy credentials, the region and an endpoint per emulated service."""
        assert self.emulation is not None
        endpoints = self.emulation.endpoints()
        return {
            **AWS_CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoints["default"],
            "AWS_ENDPOINT_URL_DYNAMODB": endpoints["dynamodb"],
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": endpoints["dynamodb"],  # DynamoDB Local serves its streams too
            "AWS_ENDPOINT_URL_COGNITO_IDP": endpoints["cognito-idp"],
            "AWS_ENDPOINT_URL_APIGATEWAY": endpoints["apigateway"],
        }

    def handler_environment(self) -> dict[str, str]:
        """What the functions see: the template's literal function environment, then the local resources."""
        assert self.emulation is not None and self.resources is not None
        environment: dict[str, str] = {}
        for function in sorted({route.function for route in template.api_routes()} | {AUTHORIZER_FUNCTION, "sync"}):
            environment.update(template.function_environment(function))
        pool_id = self.resources.user_pool_id
        return {
            **environment,
            **self._aws_environment(),
            **self.resources.environment(),
            "STAGE": STAGE,
            "ALLOW_LOOPBACK_URLS": "true",  # the fakes and test receivers listen on 127.0.0.1 (leadgate.ssrf)
            "SYNC_SCHEDULE_GROUP": f"{STACK_NAME}-sync",
            **self._sync_target(),
            "AUTH_CACHE_TTL": str(self.auth_cache_ttl),
            "COGNITO_TOKEN_URL": f"{self.url}{COGNITO_TOKEN_PATH}",
            "PUBLIC_BASE_URL": self.url,
            "COGNITO_ISSUER": self.cognito_issuer,
            "COGNITO_JWKS_URL": f"{self.emulation.moto.endpoint}/{pool_id}/.well-known/jwks.json",
        }

    def _sync_dead_letter_arn(self) -> str:
        assert self.resources is not None
        dead_letter_url = self.resources.queues["SyncSchedulesDeadLetterQueue"]
        attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def _sync_target(self) -> dict[str, str]:
        """What the API's schedules target (`POST /api/v1/integrations/{id}/sync`, `sync_every`): the local
        scheduler's own target."""
        target = stack_target(stack=STACK_NAME, region=REGION, dead_letter_arn=self._sync_dead_letter_arn())
        return {
            "SYNC_FUNCTION_ARN": target.function_arn,
            "SYNC_SCHEDULER_ROLE_ARN": target.role_arn,
            "SYNC_DEAD_LETTER_ARN": target.dead_letter_arn,
        }

    def _save_state(self) -> None:
        """state.json as the admin CLI writes it (leadgate_dev.local.state), now with this start's demo client."""
        assert self.resources is not None
        state = local_state.snapshot(
            cognito=boto3.client("cognito-idp"),
            apigateway=boto3.client("apigateway"),
            secretsmanager=boto3.client("secretsmanager"),
            user_pool_id=self.resources.user_pool_id,
            stack=STACK_NAME,
        )
        local_state.save(self.config.local_dir, state)

    @property
    def cognito_issuer(self) -> str:
        assert self.resources is not None
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.resources.user_pool_id}"

    # ---------------------------------------------------------------- demo client

    def _replace_demo_client(self) -> dict[str, Any]:
        """A fresh demo client each start: moto's Cognito forgets its clients, DynamoDB Local keeps the registry."""
        from leadgate_admin.clients import create_client

        previous = self._read_json(DEMO_CLIENT_FILE)
        if previous.get("client_id"):
            self._forget_client(previous["client_id"])
        assert self.resources is not None
        # With an API key in the standard usage plan, as `leadgate clients create` gives every client.
        api_keys = ApiKeys(boto3.client("apigateway"), self.resources.usage_plans)
        client = create_client(DEMO_TENANT, None, "demo", "standard", api_keys=api_keys)
        demo = {**client, "api_url": self.url, "token_url": self.token_url}
        self._write_json(DEMO_CLIENT_FILE, demo, private=True)
        return demo

    def _forget_client(self, client_id: str) -> None:
        assert self.resources is not None
        removed = (
            boto3.client("dynamodb")
            .delete_item(
                TableName=self.resources.tables["CLIENTS_TABLE"],
                Key={"client_id": {"S": client_id}},
                ReturnValues="ALL_OLD",
            )
            .get("Attributes", {})
        )
        if "api_key_id" in removed:  # restored from state.json: without this, old demo keys would pile up
            ApiKeys(boto3.client("apigateway"), self.resources.usage_plans).delete(removed["api_key_id"]["S"])
        cognito = boto3.client("cognito-idp")
        with contextlib.suppress(cognito.exceptions.ResourceNotFoundException):
            cognito.delete_user_pool_client(UserPoolId=self.resources.user_pool_id, ClientId=client_id)

    # ---------------------------------------------------------------- requests

    def _handle(self, request: HttpRequest) -> HttpResponse:
        assert self._gateway is not None
        return self._gateway.handle(request)

    def _cognito_token(self, request: HttpRequest) -> HttpResponse:
        """The user pool domain's /oauth2/token, which moto lacks (leadgate_dev.local.cognito)."""
        assert self.resources is not None
        if request.method != "POST":
            return _json_response(405, {"error": "invalid_request"})
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        authorization = next((value for name, value in request.headers if name.lower() == "authorization"), None)
        status, body = local_cognito.issue_token(
            aws.cognito(), self.resources.user_pool_id, form, authorization, self.cognito_issuer
        )
        return _json_response(status, body)

    # ---------------------------------------------------------------- files

    def description(self) -> dict[str, Any]:
        """stack.json: how the CLI and tests reach this stack."""
        assert self.emulation is not None and self.resources is not None
        return {
            "api_url": self.url,
            "token_url": self.token_url,
            "cognito_token_url": f"{self.url}{COGNITO_TOKEN_PATH}",
            "region": REGION,
            "stage": STAGE,
            "dynamodb_backend": self.emulation.dynamodb_backend,
            "endpoints": self.emulation.endpoints(),
            "processes": self.emulation.processes(),
            **self.resources.to_json(),
            "auth_cache_ttl": self.auth_cache_ttl,
            "sync": self.scheduler.description() if self.scheduler else {},
            "environment": self.handler_environment(),
            "pid": os.getpid(),
        }

    def banner(self) -> str:
        assert self.emulation is not None
        demo = self.demo_client
        lines = [
            f"leadgate local stack on {self.url}  (DynamoDB: {self.emulation.dynamodb_backend})",
            *([self.emulation.notice] if self.emulation.notice else []),
            f"data: {self.config.local_dir}   demo client: {self.config.local_dir / DEMO_CLIENT_FILE}",
            f"  tenant:        {demo.get('tenant')}",
            f"  client_id:     {demo.get('client_id')}",
            f"  client_secret: {demo.get('client_secret')}",
            "try:",
            f"  TOKEN=$(curl -s -u '{demo.get('client_id')}:{demo.get('client_secret')}' "
            f"-d grant_type=client_credentials {self.token_url} | python3 -c 'import json,sys; "
            'print(json.load(sys.stdin)["access_token"])\')',
            f'  curl -s -H "Authorization: Bearer $TOKEN" {self.url}/api/v1/leads',
            f"  curl -s {self.url}/api/v1/health",
        ]
        return "\n".join(lines)

    def _write_json(self, name: str, content: Mapping[str, Any], *, private: bool = False) -> None:
        path = self.config.local_dir / name
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        if private:
            path.chmod(0o600)

    def _read_json(self, name: str) -> dict[str, Any]:
        try:
            return json.loads((self.config.local_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}


def _json_response(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json;charset=UTF-8")], json.dumps(body).encode())
