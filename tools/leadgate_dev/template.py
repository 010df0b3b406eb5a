"""Reads template.yaml so that the local stack, the tests and the CLI define nothing twice.

CloudFormation short-form tags (`!Ref`, `!GetAtt`, `!Sub`, `!If`, ...) load as their long-form dicts
(`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`), exactly as CloudFormation reads them. Every accessor takes an
optional already-loaded template, so tests can check a changed copy; by default it reads ROOT/template.yaml.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

TIER_TAG = "leadgate:tier"
LAMBDA_DEFAULT_TIMEOUT = 3  # seconds, when neither the function nor Globals set one
# The keys SAM accepts in an Api event's Auth block; anything else would be dropped without a word.
API_EVENT_AUTH_KEYS = frozenset(
    {"ApiKeyRequired", "AuthorizationScopes", "Authorizer", "InvokeRole", "OverrideApiAuth", "ResourcePolicy"}
)


class TemplateError(ValueError):
    """The template is not shaped as the tooling expects (for example, a misspelled Auth key)."""


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    env_var: str
    create_kwargs: dict[str, Any]  # for dynamodb.create_table(TableName=..., **create_kwargs)
    ttl_attribute: str | None


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    env_var: str | None  # the Globals variable that carries its URL, if any
    attributes: dict[str, str]  # SQS attributes (VisibilityTimeout, ...), RedrivePolicy left out
    dead_letter_queue: str | None  # logical id of its dead-letter queue
    max_receive_count: int | None


@dataclass(frozen=True)
class SqsEventSourceSpec:
    """A function's SQS event (Lambda's event source mapping): which queue, how many records per batch."""

    function: str  # functions/<function>
    queue: str  # logical id of the queue
    batch_size: int
    maximum_concurrency: int | None
    report_batch_item_failures: bool


@dataclass(frozen=True)
class ScheduleEventSpec:
    """A function's `Schedule` event with a `rate(...)` expression (the webhook sweeper's each minute)."""

    function: str  # functions/<function>
    every_seconds: float


@dataclass(frozen=True)
class StreamEventSourceSpec:
    """A function's DynamoDB stream event (Lambda's event source mapping) and how it retries."""

    function: str  # functions/<function>
    table: str  # logical id of the table whose stream it reads
    batch_size: int
    starting_position: str  # TRIM_HORIZON or LATEST
    report_batch_item_failures: bool
    bisect_on_error: bool
    maximum_retry_attempts: int  # -1: until the record expires
    on_failure: str | None  # logical id of the failure destination queue


@dataclass(frozen=True)
class TemplateRoute:
    method: str
    path: str
    function: str  # the folder under functions/
    scopes: tuple[str, ...] | None  # None: public, no authorizer


@dataclass(frozen=True)
class ResourceServerSpec:
    identifier: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class UsagePlanSpec:
    tier: str
    rate_limit: float
    burst_limit: int
    quota_limit: int | None
    quota_period: str | None


@dataclass(frozen=True)
class GatewayResponseSpec:
    status: int
    body_template: str  # the application/json template
    headers: dict[str, str]  # header -> API Gateway mapping expression: "'static'" or "context.<name>"

    def render_headers(self, context: dict[str, str]) -> dict[str, str]:
        """The header values API Gateway would send, given its context variables (e.g. requestId)."""
        rendered = {}
        for name, expression in self.headers.items():
            if expression.startswith("'") and expression.endswith("'"):
                rendered[name] = expression[1:-1]
            elif expression.startswith("context."):
                rendered[name] = context.get(expression.removeprefix("context."), "")
            else:
                raise TemplateError(f"unsupported gateway response mapping {expression!r} for {name}")
        return rendered


# ------------------------------------------------------------------ loading


class _CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that turns short-form intrinsic tags into their long form."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def parse_template(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


@cache
def _load(path: Path) -> dict[str, Any]:
    return parse_template(path.read_text(encoding="utf-8"))


def load_template(path: Path | None = None) -> dict[str, Any]:
    """The parsed template (cached per path; treat it as read-only, deep-copy it to change it)."""
    return _load(Path(path or TEMPLATE_PATH).resolve())


def _template(template: dict[str, Any] | None) -> dict[str, Any]:
    return load_template() if template is None else template


def _resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def _only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = _resources(template, resource_type)
    if len(found) != 1:
        raise TemplateError(f"expected exactly one {resource_type}, found {sorted(found)}")
    return next(iter(found.items()))


def _global_environment(template: dict[str, Any]) -> dict[str, Any]:
    return template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})


def _parameter_default(template: dict[str, Any], value: Any) -> Any:
    """A literal, or the default of the parameter a `{"Ref": ...}` names."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = template.get("Parameters", {}).get(value["Ref"])
        if parameter is None or "Default" not in parameter:
            raise TemplateError(f"{value['Ref']} is not a parameter with a default")
        return parameter["Default"]
    return value


# ------------------------------------------------------------------ tables


def tables(template: dict[str, Any] | None = None) -> list[TableSpec]:
    template = _template(template)
    env_by_table = {
        value["Ref"]: name
        for name, value in _global_environment(template).items()
        if isinstance(value, dict) and set(value) == {"Ref"}
    }
    specs = []
    for logical_id, resource in _resources(template, "AWS::DynamoDB::Table").items():
        if logical_id not in env_by_table:
            raise TemplateError(f"no Globals environment variable carries the name of {logical_id}")
        properties = resource["Properties"]
        create_kwargs: dict[str, Any] = {
            "KeySchema": copy.deepcopy(properties["KeySchema"]),
            "AttributeDefinitions": copy.deepcopy(properties["AttributeDefinitions"]),
            "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if properties.get("GlobalSecondaryIndexes"):
            create_kwargs["GlobalSecondaryIndexes"] = [
                {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
                for index in copy.deepcopy(properties["GlobalSecondaryIndexes"])
            ]
        if properties.get("StreamSpecification"):
            create_kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": properties["StreamSpecification"]["StreamViewType"],
            }
        ttl = properties.get("TimeToLiveSpecification") or {}
        specs.append(
            TableSpec(
                logical_id=logical_id,
                env_var=env_by_table[logical_id],
                create_kwargs=create_kwargs,
                ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
            )
        )
    return specs


# ------------------------------------------------------------------ queues

# CloudFormation's AWS::SQS::Queue properties that are SQS attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
)


def _queue_attribute(value: Any) -> str:
    """A queue property as SQS takes it: booleans are `true` / `false`."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def queues(template: dict[str, Any] | None = None) -> list[QueueSpec]:
    """Every SQS queue, dead-letter queues first (a redrive policy names its DLQ's ARN)."""
    template = _template(template)
    env_by_queue = {
        value["Ref"]: name
        for name, value in _global_environment(template).items()
        if isinstance(value, dict) and set(value) == {"Ref"}
    }
    specs = []
    for logical_id, resource in _resources(template, "AWS::SQS::Queue").items():
        properties = resource.get("Properties") or {}
        redrive = properties.get("RedrivePolicy") or {}
        target = redrive.get("deadLetterTargetArn")
        if redrive and not (isinstance(target, dict) and target.get("Fn::GetAtt", [None, None])[1] == "Arn"):
            raise TemplateError(f"{logical_id}: deadLetterTargetArn must be !GetAtt <Queue>.Arn")
        specs.append(
            QueueSpec(
                logical_id=logical_id,
                env_var=env_by_queue.get(logical_id),
                attributes={
                    name: _queue_attribute(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties
                },
                dead_letter_queue=target["Fn::GetAtt"][0] if redrive else None,
                max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
            )
        )
    return sorted(specs, key=lambda spec: spec.dead_letter_queue is not None)


# ------------------------------------------------------------------ functions and routes


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _resources(template, "AWS::Serverless::Function")


def function_folder(resource: dict[str, Any]) -> str:
    """`functions/leads/` -> `leads`."""
    code_uri = str(resource["Properties"]["CodeUri"]).rstrip("/")
    return code_uri.rsplit("/", 1)[-1]


def _event_scopes(logical_id: str, event_name: str, auth: dict[str, Any] | None) -> tuple[str, ...] | None:
    auth = auth or {}
    unknown = set(auth) - API_EVENT_AUTH_KEYS
    if unknown:
        raise TemplateError(f"{logical_id}.{event_name}: unknown Auth keys {sorted(unknown)}")
    if auth.get("Authorizer") == "NONE":
        return None
    return tuple(auth.get("AuthorizationScopes") or ())


def api_routes(template: dict[str, Any] | None = None) -> list[TemplateRoute]:
    """Every Api event of every function; `scopes=()` would mean authorised but unscoped (a mistake)."""
    template = _template(template)
    routes = []
    for logical_id, resource in _functions(template).items():
        for event_name, event in (resource["Properties"].get("Events") or {}).items():
            if event.get("Type") != "Api":
                continue
            properties = event["Properties"]
            routes.append(
                TemplateRoute(
                    method=str(properties["Method"]).upper(),
                    path=properties["Path"],
                    function=function_folder(resource),
                    scopes=_event_scopes(logical_id, event_name, properties.get("Auth")),
                )
            )
    return routes


def sqs_event_sources(template: dict[str, Any] | None = None) -> list[SqsEventSourceSpec]:
    """Every SQS event of every function (`Queue: !GetAtt <Queue>.Arn`); BatchSize defaults to SQS's 10."""
    template = _template(template)
    sources = []
    for logical_id, resource in _functions(template).items():
        for event_name, event in (resource["Properties"].get("Events") or {}).items():
            if event.get("Type") != "SQS":
                continue
            properties = event["Properties"]
            queue = properties.get("Queue")
            if not (isinstance(queue, dict) and queue.get("Fn::GetAtt", [None, None])[1] == "Arn"):
                raise TemplateError(f"{logical_id}.{event_name}: Queue must be !GetAtt <Queue>.Arn")
            sources.append(
                SqsEventSourceSpec(
                    function=function_folder(resource),
                    queue=queue["Fn::GetAtt"][0],
                    batch_size=int(properties.get("BatchSize", 10)),
                    maximum_concurrency=(properties.get("ScalingConfig") or {}).get("MaximumConcurrency"),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (properties.get("FunctionResponseTypes") or []),
                )
            )
    return sources


_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def schedule_event_sources(template: dict[str, Any] | None = None) -> list[ScheduleEventSpec]:
    """Every `Schedule` event with a `rate(N unit)` expression; a `cron(...)` one is refused (none yet)."""
    template = _template(template)
    sources = []
    for logical_id, resource in _functions(template).items():
        for event_name, event in (resource["Properties"].get("Events") or {}).items():
            if event.get("Type") != "Schedule":
                continue
            expression = str(event["Properties"]["Schedule"])
            amount, _, unit = expression.removeprefix("rate(").removesuffix(")").partition(" ")
            if not expression.startswith("rate(") or unit not in _RATE_UNITS or not amount.isdigit():
                raise TemplateError(f"{logical_id}.{event_name}: only rate(N unit) schedules, not {expression}")
            sources.append(ScheduleEventSpec(function_folder(resource), int(amount) * _RATE_UNITS[unit]))
    return sources


def _logical_id_of_arn(value: Any, attribute: str) -> str | None:
    """`Logical` of `!GetAtt Logical.<attribute>`, else None."""
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list) and value["Fn::GetAtt"][1] == attribute:
        return str(value["Fn::GetAtt"][0])
    return None


def stream_event_sources(template: dict[str, Any] | None = None) -> list[StreamEventSourceSpec]:
    """Every DynamoDB event of every function (`Stream: !GetAtt <Table>.StreamArn`)."""
    template = _template(template)
    sources = []
    for logical_id, resource in _functions(template).items():
        for event_name, event in (resource["Properties"].get("Events") or {}).items():
            if event.get("Type") != "DynamoDB":
                continue
            properties = event["Properties"]
            table = _logical_id_of_arn(properties.get("Stream"), "StreamArn")
            if table is None:
                raise TemplateError(f"{logical_id}.{event_name}: Stream must be !GetAtt <Table>.StreamArn")
            on_failure = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            sources.append(
                StreamEventSourceSpec(
                    function=function_folder(resource),
                    table=table,
                    batch_size=int(properties.get("BatchSize", 100)),
                    starting_position=str(properties.get("StartingPosition", "LATEST")),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (properties.get("FunctionResponseTypes") or []),
                    bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
                    maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
                    on_failure=_logical_id_of_arn(on_failure, "Arn"),
                )
            )
    return sources


def function_environment(function: str, template: dict[str, Any] | None = None) -> dict[str, str]:
    """The literal environment variables of `functions/<function>` (Globals merged), intrinsics left out."""
    template = _template(template)
    for resource in _functions(template).values():
        if function_folder(resource) == function:
            own = resource["Properties"].get("Environment", {}).get("Variables", {})
            merged = {**_global_environment(template), **own}
            return {name: str(value) for name, value in merged.items() if not isinstance(value, dict | list)}
    raise TemplateError(f"no function with CodeUri functions/{function}/")


def function_timeouts(template: dict[str, Any] | None = None) -> dict[str, float]:
    """Seconds each `functions/<name>` may run: its `Timeout`, else the Globals', else Lambda's default."""
    template = _template(template)
    default = template.get("Globals", {}).get("Function", {}).get("Timeout", LAMBDA_DEFAULT_TIMEOUT)
    return {
        function_folder(resource): float(_parameter_default(template, resource["Properties"].get("Timeout", default)))
        for resource in _functions(template).values()
    }


# ------------------------------------------------------------------ API, auth, usage plans


def _api(template: dict[str, Any]) -> dict[str, Any]:
    return _only(template, "AWS::Serverless::Api")[1]["Properties"]


def resource_server(template: dict[str, Any] | None = None) -> ResourceServerSpec:
    properties = _only(_template(template), "AWS::Cognito::UserPoolResourceServer")[1]["Properties"]
    return ResourceServerSpec(
        identifier=properties["Identifier"],
        scopes=tuple(scope["ScopeName"] for scope in properties.get("Scopes", [])),
    )


def authorizer_ttl(template: dict[str, Any] | None = None) -> int:
    template = _template(template)
    auth = _api(template)["Auth"]
    identity = auth["Authorizers"][auth["DefaultAuthorizer"]].get("Identity", {})
    return int(_parameter_default(template, identity.get("ReauthorizeEvery", 300)))


def stage_throttle(template: dict[str, Any] | None = None) -> tuple[float, int]:
    for setting in _api(_template(template)).get("MethodSettings", []):
        if setting.get("ResourcePath") == "/*" and setting.get("HttpMethod") == "*":
            return float(setting["ThrottlingRateLimit"]), int(setting["ThrottlingBurstLimit"])
    raise TemplateError("the API has no stage-wide (/*, *) method setting")


def usage_plans(template: dict[str, Any] | None = None) -> list[UsagePlanSpec]:
    plans = []
    for logical_id, resource in _resources(_template(template), "AWS::ApiGateway::UsagePlan").items():
        properties = resource["Properties"]
        tags = {tag["Key"]: tag["Value"] for tag in properties.get("Tags", [])}
        if TIER_TAG not in tags:
            raise TemplateError(f"{logical_id} has no {TIER_TAG} tag")
        throttle = properties.get("Throttle", {})
        quota = properties.get("Quota") or {}
        plans.append(
            UsagePlanSpec(
                tier=tags[TIER_TAG],
                rate_limit=float(throttle["RateLimit"]),
                burst_limit=int(throttle["BurstLimit"]),
                quota_limit=int(quota["Limit"]) if "Limit" in quota else None,
                quota_period=quota.get("Period"),
            )
        )
    return plans


def usage_plan_logical_ids(template: dict[str, Any] | None = None) -> dict[str, str]:
    """tier -> the usage plan's logical id (its id is the stack output `<LogicalId>Id`)."""
    return {
        {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}[TIER_TAG]: logical_id
        for logical_id, resource in _resources(_template(template), "AWS::ApiGateway::UsagePlan").items()
    }


def gateway_responses(template: dict[str, Any] | None = None) -> dict[str, GatewayResponseSpec]:
    responses = {}
    for response_type, response in (_api(_template(template)).get("GatewayResponses") or {}).items():
        responses[response_type] = GatewayResponseSpec(
            status=int(response["StatusCode"]),
            body_template=response["ResponseTemplates"]["application/json"],
            headers=dict((response.get("ResponseParameters") or {}).get("Headers") or {}),
        )
    return responses


def method_not_allowed(template: dict[str, Any] | None = None) -> dict[str, GatewayResponseSpec]:
    """The API's MOCK `ANY` methods (its DefinitionBody): resource path -> the answer API Gateway gives there to a
    method the resource does not declare, in a gateway response's terms."""
    answers = {}
    for path, methods in ((_api(_template(template)).get("DefinitionBody") or {}).get("paths") or {}).items():
        integration = (methods.get("x-amazon-apigateway-any-method") or {}).get("x-amazon-apigateway-integration")
        if not integration or integration.get("type") != "mock":
            continue
        answer = integration["responses"]["default"]
        answers[path] = GatewayResponseSpec(
            status=int(answer["statusCode"]),
            body_template=answer["responseTemplates"]["application/json"],
            headers={
                name.removeprefix("method.response.header."): expression
                for name, expression in (answer.get("responseParameters") or {}).items()
            },
        )
    return answers
