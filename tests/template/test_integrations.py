"""The integrations' resources: the connections table's access, the webhook queue, its dead-letter queue and alarm."""

from __future__ import annotations

import json

from leadgate_dev import template

WORKER_TIMEOUT_SECONDS = 30  # the webhook worker's Timeout; the queue's visibility must be 6 x that


def _roles_touching(transformed: dict, logical_id: str) -> set[str]:
    return {
        name
        for name, resource in transformed["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role" and {"Ref": logical_id} in _refs(resource)
    }


def _refs(value) -> list:
    if isinstance(value, dict):
        return ([value] if set(value) == {"Ref"} else []) + [ref for item in value.values() for ref in _refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _refs(item)]
    return []


def test_only_the_connections_api_and_the_webhook_functions_read_the_connections_table(transformed):
    """And the leads function: an erasure deletes the HubSpot contact through the tenant's connections."""
    assert _roles_touching(transformed, "ConnectionsTable") == {
        "ConnectionsFunctionRole",
        "WebhooksFunctionRole",
        "WebhookWorkerFunctionRole",
        "LeadsFunctionRole",
        "EventStreamFunctionRole",  # its stream only (integration.disabled events)
    }
    stream_reader = json.dumps(transformed["Resources"]["EventStreamFunctionRole"])
    assert "dynamodb:GetItem" not in stream_reader and "dynamodb:Query" not in stream_reader
    role = json.dumps(transformed["Resources"]["ConnectionsFunctionRole"])
    assert "sqs:" not in role


def _statements(transformed: dict, role: str) -> list[dict]:
    return [
        statement
        for policy in transformed["Resources"][role]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_connections_function_writes_integrations_their_runs_and_its_rate_counters_only(transformed):
    statements = _statements(transformed, "ConnectionsFunctionRole")
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not any(action.startswith("dynamodb:") for action in actions):
            continue
        tables = {resource["Fn::Sub"][1]["tableName"]["Ref"] for resource in statement["Resource"]}
        writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} & set(actions)
        assert not writes or tables <= {"ConnectionsTable", "SyncTable", "RateLimitTable"}, statement
    assert any(
        {resource["Fn::Sub"][1]["tableName"]["Ref"] for resource in statement["Resource"]} == {"ConnectionsTable"}
        and "dynamodb:Query" in statement["Action"]
        for statement in statements
        if isinstance(statement["Action"], list) and statement["Action"][0].startswith("dynamodb:")
    )


def test_connections_function_touches_only_the_connections_secrets(transformed):
    secret_statements = [
        statement
        for statement in _statements(transformed, "ConnectionsFunctionRole")
        if any(str(action).startswith("secretsmanager:") for action in statement["Action"])
    ]
    assert secret_statements
    for statement in secret_statements:
        assert "secret:leadgate/${Stage}/connections/*" in json.dumps(statement["Resource"])


def test_webhook_queue_has_a_dead_letter_queue_and_a_long_enough_visibility_timeout(source):
    queue = source["Resources"]["WebhookQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queue["VisibilityTimeout"] >= 6 * WORKER_TIMEOUT_SECONDS
    assert source["Resources"]["WebhookDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    # The DLQ keeps messages longer than the queue, so nothing expires there before it is looked at.
    assert (
        source["Resources"]["WebhookDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"]
        > queue["MessageRetentionPeriod"]
    )


def test_dead_letter_alarm_fires_on_any_message(source):
    alarm = source["Resources"]["WebhookDeadLetterAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["WebhookDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_queues_parse_for_the_local_stack_dead_letter_queue_first():
    specs = template.queues()
    order = [spec.logical_id for spec in specs]
    assert set(order) == {
        "WebhookDeadLetterQueue",
        "WebhookQueue",
        "SyncSchedulesDeadLetterQueue",
        "JobsQueue",
        "JobsDeadLetterQueue",
        "DeliveriesQueue",
        "DeliveriesDeadLetterQueue",
        "WebhookDispatchFailureQueue",
        "EventStreamFailureQueue",
        "AutomationsQueue",
        "AutomationsDeadLetterQueue",
        "AutomationRunFailureQueue",
    }
    assert order.index("WebhookDeadLetterQueue") < order.index("WebhookQueue")
    queue = specs[order.index("WebhookQueue")]
    assert (queue.env_var, queue.dead_letter_queue, queue.max_receive_count) == (
        "WEBHOOK_QUEUE_URL",
        "WebhookDeadLetterQueue",
        5,
    )
    assert queue.attributes["VisibilityTimeout"] == "180"
    assert template.function_environment("connections")["SCOPE_PREFIX"] == "leadgate"


def _statements(transformed: dict, role: str) -> list[dict]:
    return [
        statement
        for policy in transformed["Resources"][role]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> set[str]:
    action = statement["Action"]
    return set(action if isinstance(action, list) else [action])


def test_the_receiver_may_send_to_the_queue_read_connection_secrets_and_nothing_else(transformed):
    statements = _statements(transformed, "WebhooksFunctionRole")
    sqs = [statement for statement in statements if any(a.startswith("sqs:") for a in _actions(statement))]
    assert len(sqs) == 1 and _actions(sqs[0]) == {"sqs:SendMessage*"}
    assert "WebhookQueue" in json.dumps(sqs[0]["Resource"])
    secrets = [
        statement for statement in statements if any(a.startswith("secretsmanager:") for a in _actions(statement))
    ]
    assert len(secrets) == 1 and _actions(secrets[0]) == {"secretsmanager:GetSecretValue"}
    assert secrets[0]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
        "leadgate/${Stage}/connections/*"
    }
    others = {a for statement in statements for a in _actions(statement)}
    assert all(a.startswith(("dynamodb:", "sqs:SendMessage", "secretsmanager:GetSecretValue")) for a in others)


def test_the_worker_reads_and_rotates_connection_secrets_and_consumes_the_queue(transformed, source):
    statements = _statements(transformed, "WebhookWorkerFunctionRole")
    secrets = [
        statement for statement in statements if any(a.startswith("secretsmanager:") for a in _actions(statement))
    ]
    assert _actions(secrets[0]) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    }
    assert "leadgate/${Stage}/connections/*" in json.dumps(secrets[0]["Resource"])
    assert not any(a.startswith("sqs:SendMessage") for statement in statements for a in _actions(statement))
    worker = source["Resources"]["WebhookWorkerFunction"]["Properties"]
    assert worker["Timeout"] == WORKER_TIMEOUT_SECONDS
    (event,) = worker["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] >= 2
    spec = next(spec for spec in template.sqs_event_sources() if spec.function == "webhook_worker")
    assert (spec.function, spec.queue, spec.batch_size) == ("webhook_worker", "WebhookQueue", 10)


def test_the_jobs_queue_is_fifo_with_its_worker_as_event_source():
    specs = {spec.logical_id: spec for spec in template.queues()}
    jobs = specs["JobsQueue"]
    assert (jobs.env_var, jobs.dead_letter_queue, jobs.attributes["FifoQueue"]) == (
        "JOBS_QUEUE_URL",
        "JobsDeadLetterQueue",
        "true",
    )
    assert specs["JobsDeadLetterQueue"].attributes["FifoQueue"] == "true"
    sources = {source.function: source for source in template.sqs_event_sources()}
    assert sources["jobs_worker"].queue == "JobsQueue"
    assert sources["jobs_worker"].report_batch_item_failures


def test_the_event_stream_mapping_cannot_be_stalled_by_a_poison_record(source):
    """Partial batch failures, bisecting, bounded retries and age, a failure queue, an alarm on iterator age."""
    specs = template.stream_event_sources()
    assert {(spec.function, spec.table, spec.on_failure) for spec in specs} == {
        ("event_stream", "LeadsTable", "EventStreamFailureQueue"),
        ("event_stream", "SyncTable", "EventStreamFailureQueue"),
        ("event_stream", "ConnectionsTable", "EventStreamFailureQueue"),
        ("webhook_dispatcher", "EventsTable", "WebhookDispatchFailureQueue"),
        ("automation_runner", "EventsTable", "AutomationRunFailureQueue"),
    }
    for spec in specs:
        assert spec.report_batch_item_failures and spec.bisect_on_error
        assert 0 <= spec.maximum_retry_attempts <= 10
    for event in source["Resources"]["EventStreamFunction"]["Properties"]["Events"].values():
        assert 0 < event["Properties"]["MaximumRecordAgeInSeconds"] <= 6 * 3600
    leads = source["Resources"]["LeadsTable"]["Properties"]["StreamSpecification"]
    assert leads == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    journal = source["Resources"]["EventsTable"]["Properties"]
    assert journal["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert journal["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    alarm = source["Resources"]["EventStreamIteratorAgeAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "IteratorAge")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "EventStreamFunction"}}]
