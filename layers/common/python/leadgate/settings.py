"""The one place that reads the environment. Call `get_settings()`; never read os.environ elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    region: str
    stage: str
    api_version: str
    leads_table: str
    clients_table: str
    rate_limit_table: str
    idempotency_table: str
    webhook_events_table: str
    sync_table: str
    connections_table: str
    events_table: str  # the events journal (leadgate.events.journal)
    workspace_table: str  # pipelines, stages, users, tags, jobs, id sequences, lead counts (leadgate.workspace)
    sync_schedule_group: str  # the EventBridge Scheduler group of the sync schedules
    # What a schedule the API creates targets (leadgate.sync.schedules.ScheduleTarget): the sync function, the
    # role the Scheduler assumes, the schedules' dead-letter queue. Empty: the function schedules nothing.
    sync_function_arn: str
    sync_scheduler_role_arn: str
    sync_dead_letter_arn: str
    webhook_queue_url: str
    jobs_queue_url: str  # the FIFO queue of background jobs' pages (leadgate.workspace.jobs)
    outbound_webhooks_table: str  # webhook endpoints and their deliveries (leadgate.outbound)
    deliveries_queue_url: str  # the queue of outbound webhook deliveries (leadgate.outbound.queue)
    automations_queue_url: str  # automation runs waiting out a `wait` (leadgate.automations.resume)
    user_pool_id: str
    cognito_token_url: str
    cognito_issuer: str
    cognito_jwks_url: str
    scope_prefix: str
    auth_cache_ttl: int
    tracing_enabled: bool
    # POST /oauth2/token protection (leadgate.ratelimit.token_guard): counts per fixed window; the `client`
    # limits count one client id from one source address (never a client id alone: docs/rate-limits.md).
    token_window_seconds: int
    token_requests_per_client: int
    token_failures_per_client: int
    token_requests_per_ip: int
    token_failures_per_ip: int
    # The origin links and Location headers are built on (`https://api.example.com`); empty: API Gateway's
    # domain and stage from the request context (leadgate.leads.service.public_url). Never the Host header.
    public_base_url: str
    # Every AWS client (leadgate.dependencies): seconds to connect, seconds to wait for an answer, attempts.
    dependency_connect_timeout: float
    dependency_read_timeout: float
    dependency_max_attempts: int
    # URLs users give us may be http:// and loopback (the local stack's fakes only; leadgate.ssrf).
    allow_loopback_urls: bool
    # Where Cloudflare Turnstile tokens are verified (leadgate.forms.turnstile); tests point it at a fake.
    turnstile_verify_url: str
    # The local stack's factor on every deliberate wait (retry delays, Retry-After); 1 in the cloud.
    local_delay_scale: float

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        user_pool_id = env.get("USER_POOL_ID", "")
        issuer = env.get("COGNITO_ISSUER") or f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        return cls(
            region=region,
            stage=env.get("STAGE", "dev"),
            api_version=env.get("API_VERSION", "1.0.0"),
            leads_table=env.get("LEADS_TABLE", ""),
            clients_table=env.get("CLIENTS_TABLE", ""),
            rate_limit_table=env.get("RATE_LIMIT_TABLE", ""),
            idempotency_table=env.get("IDEMPOTENCY_TABLE", ""),
            webhook_events_table=env.get("WEBHOOK_EVENTS_TABLE", ""),
            sync_table=env.get("SYNC_TABLE", ""),
            connections_table=env.get("CONNECTIONS_TABLE", ""),
            events_table=env.get("EVENTS_TABLE", ""),
            workspace_table=env.get("WORKSPACE_TABLE", ""),
            sync_schedule_group=env.get("SYNC_SCHEDULE_GROUP", ""),
            sync_function_arn=env.get("SYNC_FUNCTION_ARN", ""),
            sync_scheduler_role_arn=env.get("SYNC_SCHEDULER_ROLE_ARN", ""),
            sync_dead_letter_arn=env.get("SYNC_DEAD_LETTER_ARN", ""),
            webhook_queue_url=env.get("WEBHOOK_QUEUE_URL", ""),
            jobs_queue_url=env.get("JOBS_QUEUE_URL", ""),
            outbound_webhooks_table=env.get("OUTBOUND_WEBHOOKS_TABLE", ""),
            deliveries_queue_url=env.get("DELIVERIES_QUEUE_URL", ""),
            automations_queue_url=env.get("AUTOMATIONS_QUEUE_URL", ""),
            user_pool_id=user_pool_id,
            cognito_token_url=env.get("COGNITO_TOKEN_URL", ""),
            cognito_issuer=issuer,
            cognito_jwks_url=env.get("COGNITO_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
            scope_prefix=env.get("SCOPE_PREFIX", "leadgate"),
            auth_cache_ttl=int(env.get("AUTH_CACHE_TTL", "300")),
            token_window_seconds=int(env.get("TOKEN_WINDOW_SECONDS", "900")),
            token_requests_per_client=int(env.get("TOKEN_REQUESTS_PER_CLIENT", "60")),
            token_failures_per_client=int(env.get("TOKEN_FAILURES_PER_CLIENT", "5")),
            token_requests_per_ip=int(env.get("TOKEN_REQUESTS_PER_IP", "300")),
            token_failures_per_ip=int(env.get("TOKEN_FAILURES_PER_IP", "20")),
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            dependency_connect_timeout=float(env.get("DEPENDENCY_CONNECT_TIMEOUT", "1")),
            dependency_read_timeout=float(env.get("DEPENDENCY_READ_TIMEOUT", "3")),
            dependency_max_attempts=int(env.get("DEPENDENCY_MAX_ATTEMPTS", "3")),
            allow_loopback_urls=env.get("ALLOW_LOOPBACK_URLS", "").lower() in ("1", "true"),
            turnstile_verify_url=env.get("TURNSTILE_VERIFY_URL")
            or "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            local_delay_scale=float(env.get("LEADGATE_LOCAL_DELAY_SCALE", "1")),
            tracing_enabled=bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
            and env.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment()
