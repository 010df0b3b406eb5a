"""The sync's resources: the schedule group, the sync function's least-privilege role, the Scheduler's role and
the schedules' dead-letter queue; the schedules themselves are the CLI's, never the template's."""

from __future__ import annotations

from leadgate_dev import template


def _statements(transformed: dict, role: str) -> list[dict]:
    return [
        statement
        for policy in transformed["Resources"][role]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def test_the_group_is_declared_and_no_schedule_is(source):
    types = [resource["Type"] for resource in source["Resources"].values()]
    assert types.count("AWS::Scheduler::ScheduleGroup") == 1
    assert "AWS::Scheduler::Schedule" not in types


def test_the_sync_function_runs_under_its_timeout_with_the_group_in_its_environment(source):
    function = source["Resources"]["SyncFunction"]["Properties"]
    assert function["CodeUri"] == "functions/sync/"
    assert template.function_timeouts()["sync"] == 300
    assert function["Environment"]["Variables"]["SYNC_SCHEDULE_GROUP"] == {"Ref": "SyncScheduleGroup"}
    assert "Events" not in function  # invoked by the CLI's schedules, not by an API route


def test_the_sync_role_has_no_wildcard_action_and_only_its_secrets_and_schedules(transformed):
    statements = _statements(transformed, "SyncFunctionRole")
    actions = [action for statement in statements for action in _actions(statement)]
    assert not [action for action in actions if action.endswith("*")]
    by_service = {action.split(":")[0] for action in actions}
    assert by_service == {"dynamodb", "secretsmanager", "scheduler", "iam"}
    secrets = next(s for s in statements if any(a.startswith("secretsmanager:") for a in _actions(s)))
    assert "connections/*" in str(secrets["Resource"])
    assert "secretsmanager:CreateSecret" not in actions and "secretsmanager:DeleteSecret" not in actions
    schedules = next(s for s in statements if any(a.startswith("scheduler:") for a in _actions(s)))
    assert "scheduler:DeleteSchedule" not in _actions(schedules)
    assert "SyncScheduleGroup" in str(schedules["Resource"])
    connections = next(s for s in statements if "dynamodb:UpdateItem" in _actions(s) and "Connections" in str(s))
    assert sorted(_actions(connections)) == ["dynamodb:GetItem", "dynamodb:UpdateItem"]


def test_the_scheduler_role_may_only_invoke_the_sync_function_and_feed_its_dead_letter_queue(source):
    role = source["Resources"]["SyncSchedulerRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    (policy,) = role["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    assert {statement["Action"] for statement in statements} == {"lambda:InvokeFunction", "sqs:SendMessage"}
    assert {"Fn::GetAtt": ["SyncSchedulesDeadLetterQueue", "Arn"]} in [s["Resource"] for s in statements]


def test_the_runs_route_needs_read_integrations(source):
    events = source["Resources"]["ConnectionsFunction"]["Properties"]["Events"]
    runs = events["ListConnectionRuns"]["Properties"]
    assert runs["Path"] == "/api/v1/connections/{id}/runs"
    assert runs["Auth"]["AuthorizationScopes"] == ["read:integrations"]
