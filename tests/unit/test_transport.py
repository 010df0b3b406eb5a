"""The one outbound transport against a loopback server: Retry-After in both forms, rate-limit reset headers,
a budget no wait may outrun, the invocation's deadline, one error family."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

import pytest
import requests

from leadgate import dependencies
from leadgate.clock import Budget
from leadgate.integrations.errors import IntegrationError, OutOfBudget, TransientError
from leadgate.integrations.transport import INTERCOM_RATE_LIMIT, RateLimitHeaders, Transport, retry_after
from tests.fakes.loopback import LoopbackServer, Reply
from tests.support.clock import FakeClock

NOW = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def server():
    running = LoopbackServer(lambda _request: Reply(200, {"ok": True})).start()
    yield running
    running.stop()


@pytest.fixture
def time_():
    return FakeClock(NOW)


def transport(time_: FakeClock, sleeps: list[float], **options) -> Transport:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time_.now += seconds

    return Transport("fake", clock=time_, sleep=sleep, **options)


def test_retry_after_in_seconds_is_waited(server, time_):
    server.fail(Reply(429, {}, {"Retry-After": "7"}))
    sleeps: list[float] = []

    response = transport(time_, sleeps).request("GET", server.url + "/x")

    assert response.status_code == 200
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_waited_until_that_date(server, time_):
    server.fail(Reply(503, {}, {"Retry-After": email.utils.formatdate(NOW + 15, usegmt=True)}))
    sleeps: list[float] = []

    transport(time_, sleeps).request("GET", server.url + "/x")

    assert sleeps == [pytest.approx(15.0)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 0 ", 0.0), ("Mon, 30 Nov 2026 09:00:30 GMT", 30.0), ("soon", None), ("", None)],
)
def test_retry_after_in_seconds_or_as_an_http_date(value, seconds):
    response = requests.Response()
    response.headers["Retry-After"] = value
    assert retry_after(response, NOW) == seconds


def test_an_exhausted_rate_limit_makes_the_next_request_wait_for_its_reset(server, time_):
    reset = str(int(NOW + 12))
    server.fail(Reply(200, {}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}))
    sleeps: list[float] = []
    http = transport(time_, sleeps, rate_limit_headers=INTERCOM_RATE_LIMIT)

    http.request("GET", server.url + "/x")
    http.request("GET", server.url + "/x")

    assert sleeps == [pytest.approx(12.0)]


def test_a_429_without_retry_after_waits_for_the_reset_in_milliseconds(server, time_):
    headers = {"X-Left": "0", "X-Window-Ms": "1500"}
    server.fail(Reply(429, {}, headers))
    sleeps: list[float] = []
    names = RateLimitHeaders(remaining="X-Left", reset="X-Window-Ms", reset_unit="milliseconds")

    transport(time_, sleeps, rate_limit_headers=names).request("GET", server.url + "/x")

    assert sleeps == [pytest.approx(1.5)]


def test_a_wait_that_would_outrun_the_budget_is_not_taken(server, time_):
    server.fail(Reply(429, {}, {"Retry-After": "60"}))
    sleeps: list[float] = []

    with pytest.raises(OutOfBudget) as raised:
        transport(time_, sleeps).request("GET", server.url + "/x", budget=Budget(time_, 30))

    assert sleeps == []
    assert (raised.value.status, raised.value.retry_after) == (429, 60.0)
    assert len(server.received) == 1


def test_the_invocation_deadline_cuts_the_budget(server, time_):
    server.fail(Reply(503, {}, {"Retry-After": "5"}))
    sleeps: list[float] = []

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 3_000  # less than the wait asked for

    with dependencies.deadline(Context()), pytest.raises(OutOfBudget):
        transport(time_, sleeps).request("GET", server.url + "/x", budget=Budget(time_, 600))

    assert sleeps == []


def test_failures_past_the_attempts_are_transient_with_the_last_status(server, time_):
    server.fail(Reply(502, {}), times=3)
    sleeps: list[float] = []

    with pytest.raises(TransientError) as raised:
        transport(time_, sleeps, max_attempts=3).request("GET", server.url + "/x")

    assert not isinstance(raised.value, OutOfBudget)
    assert raised.value.status == 502
    assert len(sleeps) == 2 and all(0 <= pause <= 8 for pause in sleeps)


def test_a_retry_allowance_is_shared_by_the_requests_of_a_transport(server, time_):
    server.fail(Reply(500, {}), times=4)
    sleeps: list[float] = []
    http = transport(time_, sleeps, max_attempts=5, retry_allowance=2)

    with pytest.raises(TransientError):
        http.request("GET", server.url + "/x")

    assert http.retries == 2 and len(server.received) == 3


def test_other_answers_are_returned_for_the_caller_to_read(server, time_):
    server.fail(Reply(404, {"message": "no"}))

    response = transport(time_, []).request("GET", server.url + "/x")

    assert response.status_code == 404


def test_every_outbound_error_is_one_family():
    assert issubclass(OutOfBudget, TransientError) and issubclass(TransientError, IntegrationError)
