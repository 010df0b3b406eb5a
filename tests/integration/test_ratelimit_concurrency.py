"""Exactness under concurrency on moto: with a limit of L and 2L concurrent requests, exactly L succeed."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from leadgate import ratelimit
from leadgate.ratelimit import FixedWindowCounter, Policy
from leadgate_dev.harness import authorizer_context as caller_context

LIMIT = 25


def run_concurrently(count: int, action):
    start = threading.Barrier(count)

    def one(_):
        start.wait()
        return action()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_two_l_concurrent_requests_admit_exactly_l(aws):
    context = caller_context(client_id="client-race", rate_policies=json.dumps([{"limit": LIMIT, "window": 3600}]))
    ratelimit.request_counter()  # one shared counter, as in a Lambda instance serving many threads locally

    results = run_concurrently(2 * LIMIT, lambda: ratelimit.limit_request(context))

    admitted = [result for result in results if result.allowed]
    assert len(admitted) == LIMIT
    assert sorted(int(result.headers()["X-RateLimit-Remaining"]) for result in admitted) == list(range(LIMIT))
    assert all(result.headers()["Retry-After"] for result in results if not result.allowed)


def test_separate_instances_share_nothing_but_the_table(aws):
    # Every thread has its own counter (as separate Lambda instances do): DynamoDB alone arbitrates.
    from leadgate import aws as leadgate_aws

    policies = (Policy(limit=10, window=60), Policy(limit=LIMIT, window=3600))
    table = aws.tables["RATE_LIMIT_TABLE"]
    dynamodb = leadgate_aws.dynamodb()  # the (thread-safe) client, built once as at a Lambda instance's start

    results = run_concurrently(2 * LIMIT, lambda: FixedWindowCounter(dynamodb, table).hit("client#instances", policies))

    assert sum(result.allowed for result in results) == 10  # the minute binds first
    peek = FixedWindowCounter(dynamodb, table).peek("client#instances", policies)
    assert [usage.used for usage in peek] == [10, 10]
