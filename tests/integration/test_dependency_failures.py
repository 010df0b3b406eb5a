"""When DynamoDB fails, every function says so: 503 SERVICE_UNAVAILABLE in the envelope with
`Retry-After`, never a 500 and never a hang until Lambda's timeout. DynamoDB is made unreachable on loopback:
a port where nothing listens (stopped), one that accepts and never answers (paused), or throttling answers."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from leadgate import aws as leadgate_aws
from leadgate.aws import reset_clients
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness import handle
from leadgate_dev.harness.events import rest_event
from leadgate_dev.harness.functions import load_function

LEAD_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
REQUESTS = [
    ("leads", rest_event("GET", "/api/v1/leads", authorizer=caller_context())),
    ("leads", rest_event("POST", "/api/v1/leads", body={"first_name": "A"}, authorizer=caller_context())),
    (
        "leads",
        rest_event(
            "POST",
            "/api/v1/leads",
            body={"first_name": "A"},
            headers={"Idempotency-Key": "k-1"},
            authorizer=caller_context(),
        ),
    ),
    ("leads", rest_event("GET", f"/api/v1/leads/{LEAD_ID}", authorizer=caller_context())),
    (
        "inbound",
        rest_event(
            "POST",
            "/api/inbound/leads",
            query={"tenant": "acme"},
            body={"email": "a@example.com"},
            authorizer=caller_context(),
        ),
    ),
    (
        "inbound",
        rest_event(
            "POST", "/api/v1/leads/batch", body={"leads": [{"email": "a@example.com"}]}, authorizer=caller_context()
        ),
    ),
    ("usage", rest_event("GET", "/api/v1/usage", authorizer=caller_context())),
]


def answer(function: str, event: dict, *, budget_ms: int = 10_000, bound_s: float = 30.0):
    """The function's answer, run in a thread that must finish within `bound_s` (a hang fails the test)."""
    result: dict = {}

    def run() -> None:
        result["response"] = handle(function, event, budget_ms=budget_ms)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(bound_s)
    assert not worker.is_alive(), "the handler hung"
    response = result["response"]
    multi = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items() if values}
    headers = {**multi, **(response.get("headers") or {})}
    return response["statusCode"], headers, json.loads(response["body"])


def assert_unavailable(reply, retry_after: int | None = None) -> None:
    status, headers, body = reply
    assert (status, body["code"], body["status"]) == (503, "SERVICE_UNAVAILABLE", "error"), body
    assert int(headers["Retry-After"]) > 0
    if retry_after is not None:
        assert headers["Retry-After"] == str(retry_after)
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("function", "event"), REQUESTS, ids=lambda v: v if isinstance(v, str) else v["path"])
def test_dynamodb_stopped_is_503_with_retry_after(aws, monkeypatch, closed_port, function, event):
    load_function(function)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port}")
    reset_clients()

    assert_unavailable(answer(function, event))


def test_dynamodb_hung_is_503_within_the_function_budget(aws, monkeypatch, hung_port):
    """Connect succeeds, nothing answers: each attempt ends at the read timeout, and no attempt starts that
    could not end within the invocation's budget, so the answer comes before Lambda would kill the function."""
    function, event = REQUESTS[0]
    load_function(function)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{hung_port}")
    reset_clients()

    # The default timeouts (1 s connect, 3 s read, 3 attempts) would wait 9 s and more per call without the
    # deadline; with a 5 s budget one attempt fits, and the answer comes before the budget is over.
    assert_unavailable(answer(function, event, budget_ms=5_000, bound_s=5.0))


@pytest.mark.parametrize(
    ("code", "retry_after"),
    [
        ("ProvisionedThroughputExceededException", 1),
        ("ThrottlingException", 1),
        ("RequestLimitExceeded", 1),
        ("InternalServerError", 5),
    ],
)
def test_throttled_or_failing_dynamodb_is_503(aws, monkeypatch, code, retry_after):
    function, event = REQUESTS[0]
    load_function(function)
    monkeypatch.setenv("DEPENDENCY_MAX_ATTEMPTS", "1")
    reset_clients()

    def refuse(**kwargs):
        raise ClientError({"Error": {"Code": code, "Message": "refused"}}, kwargs["model"].name)

    leadgate_aws.dynamodb().meta.events.register("before-call.dynamodb.Query", refuse)

    assert_unavailable(answer(function, event), retry_after)
