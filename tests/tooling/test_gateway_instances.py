"""Handler instances on the local stack: concurrent requests overlap, and none sees another's event."""

import json
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.instances import FunctionPool

SLOW_ECHO = textwrap.dedent(
    """
    import time

    from leadgate.api import create_resolver, json_response

    app = create_resolver()


    @app.get("/echo/<value>")
    def echo(value: str):
        started = time.monotonic()
        time.sleep(0.2)  # long enough for every other request to start meanwhile
        event = app.current_event
        return json_response(
            200,
            {
                "value": value,
                "path": event.path,
                "query": event.get_query_string_value("q"),
                "ran": [started, time.monotonic()],
            },
        )


    def lambda_handler(event, context):
        return app.resolve(event, context)
    """
)
TIMEOUTS = {"echo": 10}


@pytest.fixture
def functions_dir(tmp_path):
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "app.py").write_text(SLOW_ECHO)
    return tmp_path


def call_concurrently(pool, count):
    barrier = threading.Barrier(count)

    def call(index):
        event = rest_event("GET", f"/echo/{index}", query={"q": str(index)}, request_id=f"request-{index}")
        barrier.wait()
        response = pool.invoke("echo", event, f"request-{index}")
        return index, response

    with ThreadPoolExecutor(count) as executor:
        return list(executor.map(call, range(count)))


def test_each_concurrent_request_sees_only_its_own_event(functions_dir):
    pool = FunctionPool(size=32, functions_dir=functions_dir, timeouts=TIMEOUTS)

    results = call_concurrently(pool, 32)

    for index, response in results:
        assert response["statusCode"] == 200
        body = json.loads(response["body"])
        assert (body["value"], body["path"], body["query"]) == (str(index), f"/echo/{index}", str(index))
        assert response["headers"]["X-Request-Id"] == f"request-{index}"
    assert pool.loaded("echo") == 32


def most_at_once(results):
    """The largest number of handler runs in progress at the same moment."""
    edges = sorted(
        (moment, step)
        for _, response in results
        for moment, step in zip(json.loads(response["body"])["ran"], (1, -1), strict=True)
    )
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_concurrent_requests_overlap_instead_of_queueing(functions_dir):
    pool = FunctionPool(size=32, functions_dir=functions_dir, timeouts=TIMEOUTS)

    results = call_concurrently(pool, 32)

    # One instance (or one lock) per function would give 1.
    assert most_at_once(results) >= 16
    assert pool.loaded("echo") == 32


def test_instances_are_capped_and_reused(functions_dir):
    pool = FunctionPool(size=4, functions_dir=functions_dir, timeouts=TIMEOUTS)

    results = call_concurrently(pool, 12)

    assert pool.loaded("echo") == 4
    assert len(pool.load_seconds("echo")) == 4
    assert all(json.loads(response["body"])["value"] == str(index) for index, response in results)


def test_instances_are_loaded_lazily_and_independently(functions_dir):
    pool = FunctionPool(size=8, functions_dir=functions_dir, timeouts=TIMEOUTS)
    assert pool.loaded("echo") == 0

    with pool.instance("echo") as first, pool.instance("echo") as second:
        assert first is not second
        assert first.app is not second.app
    with pool.instance("echo") as again:
        assert again in (first, second)
    assert pool.loaded("echo") == 2


def test_a_function_that_fails_to_load_frees_its_slot(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "app.py").write_text("raise RuntimeError('import failed')\n")
    pool = FunctionPool(size=1, functions_dir=tmp_path, timeouts={"broken": 10})

    for _ in range(2):  # the second attempt would wait forever if the slot leaked
        with pytest.raises(RuntimeError, match="import failed"):
            pool.invoke("broken", {}, "request-1")
    assert pool.loaded("broken") == 0
