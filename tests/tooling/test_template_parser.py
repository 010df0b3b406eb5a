"""leadgate_dev.template: the one reader of template.yaml for the local stack, the tests and the CLI."""

from __future__ import annotations

import copy

import pytest

from leadgate.routes import ALL_SCOPES
from leadgate_dev import template
from leadgate_dev.template import GatewayResponseSpec, TemplateError, parse_template

SMALL = """
Parameters:
  Ttl: {Type: Number, Default: 120}
Globals:
  Function:
    Environment:
      Variables:
        ORDERS_TABLE: !Ref OrdersTable
        SERVICE: orders
        REGION_URL: !Sub https://${AWS::Region}.example
Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: owner, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: by_owner
          KeySchema: [{AttributeName: owner, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
          ContributorInsightsSpecification: {Enabled: true}
      TimeToLiveSpecification: {AttributeName: gone_at, Enabled: true}
      DeletionProtectionEnabled: !If [IsProd, true, false]
  Api:
    Type: AWS::Serverless::Api
    Properties:
      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 5, ThrottlingBurstLimit: 9}]
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate: {FunctionArn: !GetAtt GateFunction.Arn, Identity: {ReauthorizeEvery: !Ref Ttl}}
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/orders/
      Environment: {Variables: {SERVICE: orders-fn, EXTRA: "1"}}
      Events:
        Read:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/orders/{id}", Method: get, Auth: {AuthorizationScopes: [read]}}
        Ping:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /ping, Method: GET, Auth: {Authorizer: NONE}}
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
"""


@pytest.fixture
def small():
    return parse_template(SMALL)


def test_short_form_tags_load_as_cloudformation_long_form(small):
    table = small["Resources"]["OrdersTable"]["Properties"]
    assert table["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    env = small["Globals"]["Function"]["Environment"]["Variables"]
    assert env["ORDERS_TABLE"] == {"Ref": "OrdersTable"}
    assert env["REGION_URL"] == {"Fn::Sub": "https://${AWS::Region}.example"}
    authorizer = small["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["Gate"]
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": ["GateFunction", "Arn"]}


def test_tables_give_create_table_arguments_env_var_and_ttl(small):
    (spec,) = template.tables(small)
    assert spec.logical_id == "OrdersTable"
    assert spec.env_var == "ORDERS_TABLE"
    assert spec.ttl_attribute == "gone_at"
    assert spec.create_kwargs == {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        # CloudFormation-only index properties are not create_table arguments
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_owner",
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    }


def test_a_table_without_an_environment_variable_is_an_error(small):
    del small["Globals"]["Function"]["Environment"]["Variables"]["ORDERS_TABLE"]
    with pytest.raises(TemplateError, match="OrdersTable"):
        template.tables(small)


def test_api_routes_read_method_path_function_and_scopes(small):
    assert sorted(template.api_routes(small), key=lambda route: route.path) == [
        template.TemplateRoute("GET", "/orders/{id}", "orders", ("read",)),
        template.TemplateRoute("GET", "/ping", "orders", None),
    ]


def test_a_misspelled_auth_key_is_an_error_not_an_open_route(small):
    broken = copy.deepcopy(small)
    auth = broken["Resources"]["OrdersFunction"]["Properties"]["Events"]["Read"]["Properties"]["Auth"]
    auth["AuthorisationScopes"] = auth.pop("AuthorizationScopes")
    with pytest.raises(TemplateError, match="AuthorisationScopes"):
        template.api_routes(broken)


def test_function_environment_merges_globals_and_leaves_out_intrinsics(small):
    assert template.function_environment("orders", small) == {"SERVICE": "orders-fn", "EXTRA": "1"}
    with pytest.raises(TemplateError):
        template.function_environment("missing", small)


def test_authorizer_ttl_resolves_a_parameter_default(small):
    assert template.authorizer_ttl(small) == 120


def test_stage_throttle(small):
    assert template.stage_throttle(small) == (5.0, 9)


def test_gateway_response_headers_render_static_and_context_values():
    spec = GatewayResponseSpec(429, "{}", {"X-Request-Id": "context.requestId", "Retry-After": "'1'"})
    assert spec.render_headers({"requestId": "req-1"}) == {"X-Request-Id": "req-1", "Retry-After": "1"}
    with pytest.raises(TemplateError):
        GatewayResponseSpec(400, "{}", {"X": "method.request.header.y"}).render_headers({})


def test_the_project_template_defines_the_stack_pieces_the_tools_need():
    specs = {spec.logical_id: spec for spec in template.tables()}
    assert {name: spec.env_var for name, spec in specs.items()} == {
        "LeadsTable": "LEADS_TABLE",
        "ClientsTable": "CLIENTS_TABLE",
        "RateLimitTable": "RATE_LIMIT_TABLE",
        "IdempotencyTable": "IDEMPOTENCY_TABLE",
        "WebhookEventsTable": "WEBHOOK_EVENTS_TABLE",
        "SyncTable": "SYNC_TABLE",
        "ConnectionsTable": "CONNECTIONS_TABLE",
        "WorkspaceTable": "WORKSPACE_TABLE",
        "EventsTable": "EVENTS_TABLE",
    }
    assert specs["RateLimitTable"].ttl_attribute == "expires_at"
    assert specs["WebhookEventsTable"].ttl_attribute == "expires_at"
    assert specs["IdempotencyTable"].ttl_attribute == "expiration"
    assert template.resource_server() == template.ResourceServerSpec("leadgate", ALL_SCOPES)
    assert {plan.tier for plan in template.usage_plans()} == {"standard", "partner"}
    assert template.usage_plan_logical_ids() == {"standard": "StandardUsagePlan", "partner": "PartnerUsagePlan"}
    assert template.function_environment("health")["POWERTOOLS_SERVICE_NAME"] == "leadgate"


QUEUES = """
Globals:
  Function:
    Environment:
      Variables:
        JOBS_URL: !Ref Jobs
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 90
      RedrivePolicy: { deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 3 }
  Dead:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 600
"""


def test_queues_come_dead_letter_queues_first_with_their_redrive():
    dead, jobs = template.queues(parse_template(QUEUES))

    assert dead == template.QueueSpec("Dead", None, {"MessageRetentionPeriod": "600"}, None, None)
    assert jobs == template.QueueSpec("Jobs", "JOBS_URL", {"VisibilityTimeout": "90"}, "Dead", 3)


def test_a_redrive_target_that_is_not_a_queue_arn_is_refused():
    broken = QUEUES.replace("!GetAtt Dead.Arn", "arn:aws:sqs:us-east-1:1:dead")

    with pytest.raises(TemplateError, match="deadLetterTargetArn"):
        template.queues(parse_template(broken))
