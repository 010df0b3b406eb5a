"""The docs page in a real browser (headless Chromium from Debian's package) on the local stack: every operation
is listed, the client-credentials flow authorises the demo client, and `GET /api/v1/leads` runs from the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadgate.events.types import EVENT_TYPES
from leadgate_dev.template import api_routes

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")  # `apt-get install chromium`; Playwright's own browser builds are unreachable
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser refused under the page's Content-Security-Policy (Chromium reports it on the console)."""
    return []


@pytest.fixture
def page(browser, local_stack, csp_violations):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    def record(message) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    page.on("console", record)
    page.goto(local_stack.url("/api/v1/docs"))
    page.wait_for_selector(".opblock")
    yield page
    context.close()


def test_the_description_is_public_and_the_committed_one(local_stack):
    from leadgate_dev.openapi import DESCRIPTION_PATH

    response = local_stack.session.get(local_stack.url("/api/v1/openapi.json"), timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-Id"]
    assert response.text == DESCRIPTION_PATH.read_text()


def test_the_page_runs_under_its_strict_content_security_policy(page, csp_violations):
    policy = page.evaluate("fetch(location.href).then(r => r.headers.get('content-security-policy'))")

    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert page.locator(".opblock").count() > 0  # Swagger UI started from its served script
    assert csp_violations == []


def test_the_page_lists_every_operation_of_the_template(page):
    listed = {
        (
            block.locator(".opblock-summary-method").inner_text().upper(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.locator(".opblock").all()
    }

    operations = {(method, path) for method, path in listed if path.startswith("/")}
    webhooks = {path for method, path in listed if not path.startswith("/")}  # the event types (docs/events.md)
    assert operations == {(route.method, route.path) for route in api_routes()}
    assert webhooks == set(EVENT_TYPES)


def test_the_demo_client_authorises_and_lists_leads_from_the_page(page, local_stack, csp_violations):
    from playwright.sync_api import expect

    requests_sent = []

    def record(request) -> None:  # Playwright takes Python functions, not a bound builtin such as list.append
        requests_sent.append(request)

    page.on("request", record)

    page.click("button.authorize")
    page.fill("input[data-name=clientId]", local_stack.demo_client["client_id"])
    page.fill("input[data-name=clientSecret]", local_stack.demo_client["client_secret"])
    page.click(".modal-ux button.authorize")
    modal = page.locator(".modal-ux")
    expect(modal.locator('button[aria-label="Remove authorization"]')).to_be_visible()
    modal.locator("button.btn-done").click()

    operation = (
        page.locator(".opblock")
        .filter(has=page.locator('.opblock-summary-path[data-path="/api/v1/leads"]'))
        .filter(has=page.locator(".opblock-summary-method", has_text="GET"))
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text(re.compile(r"^\s*200\b"))

    token_request = next(r for r in requests_sent if r.url == local_stack.token_url)
    assert token_request.method == "POST"
    assert token_request.headers["authorization"].startswith("Basic ")
    assert "grant_type=client_credentials" in (token_request.post_data or "")
    leads_request = next(r for r in requests_sent if r.url.startswith(local_stack.url("/api/v1/leads")))
    assert leads_request.headers["authorization"].startswith("Bearer ")
    assert '"data"' in operation.locator(".live-responses-table tbody .response-col_description").first.inner_text()
    assert csp_violations == []  # the token and API calls are the page's own origin
