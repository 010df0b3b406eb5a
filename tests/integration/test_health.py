from datetime import datetime

from tests.support.samples import sample_event


def test_health_answers_without_auth(invoke):
    status, headers, body = invoke("health", sample_event("health", "ok"))

    assert status == 200
    assert body["status"] == "ok"
    assert body["version"]
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None
    assert headers["X-Request-Id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_unknown_route_answers_in_the_envelope(invoke):
    event = sample_event("health", "ok") | {"path": "/api/v1/nope", "resource": "/api/v1/nope"}
    status, headers, body = invoke("health", event)

    assert status == 404
    assert body["status"] == "error"
    assert body["code"] == "NOT_FOUND"
    assert headers["X-Request-Id"]
