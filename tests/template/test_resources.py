"""Tables, Cognito, functions, policies, logs and outputs of the stack."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from leadgate_dev import template
from leadgate_dev.template import ROOT

FUNCTION_FOLDERS = {
    "health",
    "token",
    "authorizer",
    "leads",
    "inbound",
    "usage",
    "connections",
    "webhooks",
    "webhook_worker",
    "docs",
    "sync",
    "workspace",
    "jobs_worker",
    "forms",
    "form_submissions",
    "webhook_endpoints",
    "webhook_dispatcher",
    "webhook_sender",
    "webhook_sweeper",
    "events",
    "event_stream",
    "automations",
    "automation_runner",
}


def resolve(source: dict, value: Any, stage: str) -> Any:
    """The value of a property for a Stage parameter value: enough of Fn::If/Fn::Equals/Ref for conditions."""
    if isinstance(value, dict) and "Fn::If" in value:
        condition, when_true, when_false = value["Fn::If"]
        chosen = when_true if resolve(source, source["Conditions"][condition], stage) else when_false
        return resolve(source, chosen, stage)
    if isinstance(value, dict) and "Fn::Equals" in value:
        left, right = (resolve(source, side, stage) for side in value["Fn::Equals"])
        return left == right
    if value == {"Ref": "Stage"}:
        return stage
    return value


def _of_type(source: dict, resource_type: str) -> dict[str, dict]:
    return {name: res for name, res in source["Resources"].items() if res["Type"] == resource_type}


def test_tables_are_on_demand_encrypted_recoverable_and_protected_in_prod(source):
    tables = _of_type(source, "AWS::DynamoDB::Table")
    assert set(tables) == {
        "LeadsTable",
        "ClientsTable",
        "RateLimitTable",
        "IdempotencyTable",
        "WebhookEventsTable",
        "SyncTable",
        "ConnectionsTable",
        "WorkspaceTable",
        "EventsTable",
        "OutboundWebhooksTable",
    }
    for name, table in tables.items():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", name
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert properties["SSESpecification"] == {"SSEEnabled": True}, name
        assert resolve(source, properties["DeletionProtectionEnabled"], "prod") is True, name
        assert resolve(source, properties["DeletionProtectionEnabled"], "dev") is False, name


def _first_code(cell: str) -> str:
    return re.findall(r"`([^`]+)`", cell)[0]


def test_leads_indexes_are_the_documented_ones_keys_only():
    documented = {}
    for line in (ROOT / "docs" / "access-patterns.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`by_"):
            documented[_first_code(cells[0])] = (_first_code(cells[1]), _first_code(cells[2]))
    leads = next(spec for spec in template.tables() if spec.logical_id == "LeadsTable")
    indexes = leads.create_kwargs["GlobalSecondaryIndexes"]
    assert len(documented) == 13
    assert {
        index["IndexName"]: tuple(key["AttributeName"] for key in index["KeySchema"]) for index in indexes
    } == documented
    # A form's submissions are read by ONE Query of `by_form` (sparse: submissions only), so it projects ALL.
    projections = {index["IndexName"]: index["Projection"]["ProjectionType"] for index in indexes}
    assert projections.pop("by_form") == "ALL"
    assert set(projections.values()) == {"KEYS_ONLY"}
    assert leads.create_kwargs["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert {d["AttributeType"] for d in leads.create_kwargs["AttributeDefinitions"]} == {"S"}


def test_small_tables_keys_and_ttl():
    specs = {spec.logical_id: spec for spec in template.tables()}
    assert specs["ClientsTable"].create_kwargs["KeySchema"] == [{"AttributeName": "client_id", "KeyType": "HASH"}]
    (by_tenant,) = specs["ClientsTable"].create_kwargs["GlobalSecondaryIndexes"]
    assert by_tenant["IndexName"] == "by_tenant"
    assert [key["AttributeName"] for key in by_tenant["KeySchema"]] == ["tenant", "created_at"]
    assert [key["AttributeName"] for key in specs["RateLimitTable"].create_kwargs["KeySchema"]] == ["pk", "sk"]
    assert specs["RateLimitTable"].ttl_attribute == "expires_at"
    assert [key["AttributeName"] for key in specs["IdempotencyTable"].create_kwargs["KeySchema"]] == ["id"]
    assert specs["IdempotencyTable"].ttl_attribute == "expiration"
    assert [key["AttributeName"] for key in specs["SyncTable"].create_kwargs["KeySchema"]] == ["pk", "sk"]
    assert specs["SyncTable"].ttl_attribute == "expires_at"
    assert specs["ConnectionsTable"].create_kwargs["KeySchema"] == [
        {"AttributeName": "connection_id", "KeyType": "HASH"}
    ]
    (connections_by_tenant,) = specs["ConnectionsTable"].create_kwargs["GlobalSecondaryIndexes"]
    assert connections_by_tenant["IndexName"] == "by_tenant"
    assert [key["AttributeName"] for key in connections_by_tenant["KeySchema"]] == ["tenant_id", "connection_id"]
    assert [key["AttributeName"] for key in specs["WorkspaceTable"].create_kwargs["KeySchema"]] == ["pk", "sk"]
    assert "GlobalSecondaryIndexes" not in specs["WorkspaceTable"].create_kwargs  # every read is by tenant
    assert specs["WorkspaceTable"].ttl_attribute == "expires_at"


def test_user_pool_is_protected_in_prod_and_has_a_domain_and_no_app_clients(source):
    pool = source["Resources"]["UserPool"]["Properties"]
    assert resolve(source, pool["DeletionProtection"], "prod") == "ACTIVE"
    assert resolve(source, pool["DeletionProtection"], "dev") == "INACTIVE"
    assert _of_type(source, "AWS::Cognito::UserPoolDomain")
    assert not _of_type(source, "AWS::Cognito::UserPoolClient")  # the CLI creates clients


def _common_layer_id(transformed) -> str:
    (logical_id,) = (name for name in transformed["Resources"] if name.startswith("CommonLayer"))
    return logical_id


def test_functions_share_the_runtime_settings_from_globals(source, transformed):
    functions = _of_type(source, "AWS::Serverless::Function")
    assert {template.function_folder(res) for res in functions.values()} == FUNCTION_FOLDERS
    for name in functions:
        deployed = transformed["Resources"][name]["Properties"]
        assert deployed["Runtime"] == "python3.13", name
        assert deployed["Architectures"] == ["arm64"], name
        assert deployed["TracingConfig"] == {"Mode": "Active"}, name
        assert deployed["Handler"] == "app.lambda_handler", name
        assert deployed["Layers"][0] == {"Ref": _common_layer_id(transformed)}, name  # the rest: test_layer.py
        assert set(deployed["Environment"]["Variables"]) >= {
            "POWERTOOLS_SERVICE_NAME",
            "POWERTOOLS_METRICS_NAMESPACE",
            "POWERTOOLS_LOG_LEVEL",
            "LEADS_TABLE",
            "CLIENTS_TABLE",
            "RATE_LIMIT_TABLE",
            "IDEMPOTENCY_TABLE",
            "CONNECTIONS_TABLE",
            "WEBHOOK_QUEUE_URL",
            "USER_POOL_ID",
            "SCOPE_PREFIX",
            "AUTH_CACHE_TTL",
            "STAGE",
            "API_VERSION",
            "COGNITO_TOKEN_URL",
        }, name


def test_api_version_is_the_project_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert template.function_environment("health")["API_VERSION"] == project["version"]


@pytest.mark.parametrize("folder", sorted(FUNCTION_FOLDERS))
def test_function_folders_hold_a_handler_and_no_requirements(folder):
    assert (ROOT / "functions" / folder / "app.py").is_file()
    assert not (ROOT / "functions" / folder / "requirements.txt").exists()  # dependencies live in the layer


def _table_access(role: dict) -> dict[str, str]:
    """table logical id -> "crud" or "read", from the role's inline DynamoDB statements."""
    access: dict[str, str] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
            if not all(action.startswith("dynamodb:") for action in actions):
                continue  # SQS and Secrets Manager: tests/template/test_integrations.py
            level = "crud" if "dynamodb:PutItem" in actions else "read"
            if actions == {"dynamodb:PutItem"}:
                level = "append"  # an inline statement: puts only (the journal's writers)
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                if "Fn::GetAtt" in resource:
                    attribute = resource["Fn::GetAtt"]
                    table = (attribute.split(".") if isinstance(attribute, str) else attribute)[0]
                else:
                    table = resource["Fn::Sub"][1]["tableName"]["Ref"]
                access[table] = "crud" if access.get(table) == "crud" else level
    return access


def test_each_function_may_touch_only_the_tables_it_needs(transformed):
    lead_writer = {"LeadsTable": "crud", "IdempotencyTable": "crud", "RateLimitTable": "crud", "WorkspaceTable": "crud"}
    expected = {
        "HealthFunction": {},
        "TokenFunction": {"ClientsTable": "read", "RateLimitTable": "crud"},  # registry; token limits
        "AuthorizerFunction": {"ClientsTable": "read"},
        # Lead writers check the stages, users and tags a lead names and move their counts in the transaction.
        # Erasure: the lead's sync content hashes, journaled events and their webhook deliveries deleted, the
        # tenant's connections read (docs/privacy.md).
        "LeadsFunction": {
            **lead_writer,
            "SyncTable": "crud",
            "ConnectionsTable": "read",
            "EventsTable": "crud",
            "OutboundWebhooksTable": "crud",
        },
        "InboundFunction": lead_writer,
        "UsageFunction": {"RateLimitTable": "crud"},
        "DocsFunction": {},
        "WebhooksFunction": {"ConnectionsTable": "read", "RateLimitTable": "crud"},  # refusals counted
        "WebhookWorkerFunction": {
            "LeadsTable": "crud",
            "WebhookEventsTable": "crud",
            "ConnectionsTable": "read",
            "WorkspaceTable": "crud",
        },
        "ConnectionsFunction": {
            "ConnectionsTable": "crud",
            "SyncTable": "crud",
            "RateLimitTable": "crud",
        },  # integrations, runs
        "WorkspaceFunction": {**lead_writer, "WorkspaceTable": "crud"},
        "WebhookEndpointsFunction": {
            "OutboundWebhooksTable": "crud",
            "IdempotencyTable": "crud",
            "RateLimitTable": "crud",
        },
        "WebhookDispatcherFunction": {"OutboundWebhooksTable": "crud"},
        # The sender journals webhook_endpoint.disabled when it disables an endpoint: PutItem on the journal only.
        "WebhookSenderFunction": {"OutboundWebhooksTable": "crud", "RateLimitTable": "crud", "EventsTable": "append"},
        "WebhookSweeperFunction": {"OutboundWebhooksTable": "crud"},
    }
    for function, access in expected.items():
        role = transformed["Resources"][f"{function}Role"]
        assert _table_access(role) == access, function
        # SAM adds its SQS execution role to a function with an SQS event, and it cannot be switched off.
        consumers = ("Worker", "Sender")
        sqs = (
            {"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"}
            if any(kind in function for kind in consumers)
            else set()
        )
        # ... and its stream execution role to a function with a DynamoDB stream event.
        if function == "WebhookDispatcherFunction":
            sqs = {"arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"}
        assert set(role["Properties"]["ManagedPolicyArns"]) == {
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
            *sqs,
        }, function


def test_every_function_has_its_log_group_with_retention(source):
    log_groups = _of_type(source, "AWS::Logs::LogGroup").values()
    named = {group["Properties"]["LogGroupName"]["Fn::Sub"]: group["Properties"] for group in log_groups}
    for function in _of_type(source, "AWS::Serverless::Function"):
        properties = named[f"/aws/lambda/${{{function}}}"]
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}, function


def test_stage_throttle_and_tracing(transformed):
    stage = transformed["Resources"]["LeadgateApiStage"]["Properties"]
    assert stage["TracingEnabled"] is True
    assert stage["StageName"] == {"Ref": "Stage"}
    (setting,) = stage["MethodSettings"]
    assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == template.stage_throttle()


def test_outputs_the_cli_and_docs_rely_on(source):
    assert set(source["Outputs"]) >= {
        "ApiUrl",
        "TokenUrl",
        "UserPoolId",
        "LeadsTable",
        "ClientsTable",
        "RateLimitTable",
        "IdempotencyTable",
        "SyncTable",
        "ConnectionsTable",
        "WorkspaceTable",
        "WebhookQueueUrl",
        "WebhookDeadLetterQueueUrl",
        "StandardUsagePlanId",
        "PartnerUsagePlanId",
        "CommonLayerArn",
    }


def test_parameters_and_prod_condition(source):
    assert source["Parameters"]["Stage"]["AllowedValues"] == ["dev", "prod"]
    assert source["Parameters"]["AuthCacheTtl"]["Default"] == 300
    assert "LogRetentionDays" in source["Parameters"]
    assert resolve(source, source["Conditions"]["IsProd"], "prod") is True


def test_samconfig_deploys_dev_and_prod_with_their_stage():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env in ("dev", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert f"Stage={env}" in deploy["parameter_overrides"]
        assert deploy["stack_name"] == f"leadgate-{env}"
        assert "CAPABILITY_IAM" in deploy["capabilities"]
