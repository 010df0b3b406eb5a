"""Function timeouts on the local stack, as Lambda and API Gateway enforce them: the template's `Timeout`
per function, the handler's context counting down to it, a timed-out instance retired (never reused while
it still runs) and replaced, and the gateway's answer for each kind of timeout."""

import json
import textwrap
import threading

import pytest

from leadgate_dev import template
from leadgate_dev.local.authorizer import PolicyCache
from leadgate_dev.local.gateway import Gateway, HttpRequest
from leadgate_dev.local.instances import FunctionPool, FunctionTimeout, IntegrationTimeout

# Each loaded copy of the module gets its own INSTANCE, so a caller can tell which instance served it.
WAITER = textwrap.dedent(
    """
    import uuid

    INSTANCE = str(uuid.uuid4())


    def lambda_handler(event, context):
        remaining_at_start = context.get_remaining_time_in_millis()
        release = event.get("release")
        if release is not None:
            event["started"].set()
            release.wait(30)
        return {
            "statusCode": 200,
            "body": "",
            "instance": INSTANCE,
            "remaining_at_start": remaining_at_start,
            "remaining_at_end": context.get_remaining_time_in_millis(),
        }
    """
)


@pytest.fixture
def functions_dir(tmp_path):
    (tmp_path / "waiter").mkdir()
    (tmp_path / "waiter" / "app.py").write_text(WAITER)
    return tmp_path


def blocked_event():
    return {"release": threading.Event(), "started": threading.Event()}


def test_the_template_gives_every_function_its_timeout():
    timeouts = template.function_timeouts()

    assert timeouts["inbound"] == 25  # its own Timeout
    assert timeouts["leads"] == 10  # the Globals'
    assert set(timeouts) >= {route.function for route in template.api_routes()} | {"authorizer"}


def test_a_template_without_timeouts_gets_lambdas_default():
    bare = {"Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/fn/"}}}}

    assert template.function_timeouts(bare) == {"fn": 3}


def test_the_context_counts_down_from_the_functions_timeout(functions_dir):
    pool = FunctionPool(size=1, functions_dir=functions_dir, timeouts={"waiter": 2})
    event = blocked_event()
    threading.Timer(0.3, event["release"].set).start()

    result = pool.invoke("waiter", event, "request-1")

    assert 0 < result["remaining_at_start"] <= 2000
    assert result["remaining_at_end"] <= result["remaining_at_start"] - 250


def test_a_handler_past_its_timeout_is_a_function_timeout_and_its_instance_is_never_reused(functions_dir):
    pool = FunctionPool(size=1, functions_dir=functions_dir, timeouts={"waiter": 0.5})
    stuck = blocked_event()

    with pytest.raises(FunctionTimeout, match=r"Task timed out after 0\.50 seconds"):
        pool.invoke("waiter", stuck, "request-1")
    assert stuck["started"].is_set()
    assert pool.loaded("waiter") == 0  # its place is free although it still runs

    # With a pool of one, this would wait for the stuck instance if its place had not been freed.
    fresh = pool.invoke("waiter", {}, "request-2")
    stuck["release"].set()
    again = pool.invoke("waiter", {}, "request-3")

    assert fresh["instance"] == again["instance"]
    assert idle_instances(pool, "waiter") == [fresh["instance"]]  # the timed-out copy never came back
    assert pool.loaded("waiter") == 1


def idle_instances(pool, function):
    with pool.instance(function) as module:
        return [module.INSTANCE]


def test_api_gateway_stops_waiting_at_its_integration_timeout_when_that_comes_first(functions_dir):
    pool = FunctionPool(size=1, functions_dir=functions_dir, timeouts={"waiter": 30}, integration_timeout=0.3)
    stuck = blocked_event()

    with pytest.raises(IntegrationTimeout):
        pool.invoke("waiter", stuck, "request-1")
    stuck["release"].set()

    assert pool.loaded("waiter") == 0


def test_a_handler_that_answers_in_time_keeps_its_instance(functions_dir):
    pool = FunctionPool(size=1, functions_dir=functions_dir, timeouts={"waiter": 5})

    first = pool.invoke("waiter", {}, "request-1")
    second = pool.invoke("waiter", {}, "request-2")

    assert first["instance"] == second["instance"]


class TimingOut:
    """Public routes' functions that time out in the way given."""

    def __init__(self, error):
        self.error = error

    def invoke(self, function, event, request_id):
        raise self.error


class NoPlans:
    def admit(self, *, route, api_key, request_id):
        return None


def gateway_with(functions):
    return Gateway(
        routes=template.api_routes(),
        responses=template.gateway_responses(),
        functions=functions,
        policy_cache=PolicyCache(300),
        usage_plans=NoPlans(),
    )


def health_request():
    return HttpRequest("GET", "/api/v1/health", "", [("Host", "localhost")], b"")


def test_a_lambda_timeout_is_api_gateways_502_in_our_envelope():
    response = gateway_with(TimingOut(FunctionTimeout("health", 10))).handle(health_request())

    assert response.status == 502
    body = json.loads(response.body)
    assert (body["status"], body["code"], body["errors"]) == ("error", "SERVER_ERROR", {})
    assert response.header("X-Request-Id")


def test_an_integration_timeout_is_a_504_in_our_envelope_saying_when_to_retry():
    response = gateway_with(TimingOut(IntegrationTimeout("health", 29))).handle(health_request())

    assert response.status == 504
    body = json.loads(response.body)
    assert (body["status"], body["code"], body["errors"]) == ("error", "GATEWAY_TIMEOUT", {})
    assert int(response.header("Retry-After")) > 0
    assert response.header("X-Request-Id")
