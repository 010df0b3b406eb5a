"""A real form page in headless Chromium, served from another origin (a small HTTP server in the test), posting
to the local stack's public route: a plain form is 303 to its redirect and makes a lead, the same person in
another spelling adds an inquiry to that lead, a filled honeypot stores nothing, and a page on an origin the
form does not allow gets no CORS headers (the browser keeps the answer from it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 30_000
PAGE = """<!doctype html><meta charset="utf-8"><title>Contact</title>
<form id="contact" method="post" action="{action}">
  <input name="your_name"><input name="email" type="email">
  <input name="website" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px">
  <button>Send</button>
</form>"""


class Site:
    """Pages served from an origin of the test's own: `/form` (the form posting to the stack), `/thanks`."""

    def __init__(self, action: str) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                body = (PAGE.format(action=site.action) if self.path == "/form" else "<p>thanks</p>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.action = action
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def origin(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
def api(local_stack, token_for):
    headers = {"Authorization": f"Bearer {token_for(local_stack.demo_client)}"}

    def _call(method: str, path: str, body: Any = None, params: dict[str, str] | None = None):
        return local_stack.session.request(
            method, local_stack.url(path), json=body, params=params, headers=headers, timeout=30
        )

    return _call


@pytest.fixture
def site_and_form(api, local_stack) -> Iterator[tuple[Site, dict[str, Any]]]:
    site = Site("")
    form = {
        "name": "Browser contact",
        "fields": [
            {"name": "your_name", "required": True, "maps_to": "display_name"},
            {"name": "email", "type": "email", "required": True, "maps_to": "email"},
        ],
        "allowed_origins": [site.origin()],
        "redirect_url": f"{site.origin()}/thanks",
        "success_message": "ありがとうございました",
        "honeypot_field": "website",
    }
    created = api("POST", "/api/v1/forms", form)
    assert created.status_code == 201, created.text
    record = created.json()["data"]
    site.action = local_stack.url(f"/public/forms/{record['public_id']}/submissions")
    try:
        yield site, record
    finally:
        site.stop()


def _submit(browser, site: Site, name: str, email: str, honeypot: str = "") -> str:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{site.origin()}/form")
        page.fill("input[name=your_name]", name)
        page.fill("input[name=email]", email)
        if honeypot:
            page.eval_on_selector("input[name=website]", "(field, value) => { field.value = value; }", honeypot)
        with page.expect_navigation(url=f"{site.origin()}/thanks"):
            page.click("button")
        return page.url
    finally:
        context.close()


def test_a_plain_form_from_another_origin_makes_one_lead_per_person(browser, api, site_and_form):
    site, form = site_and_form
    submissions = f"/api/v1/forms/{form['id']}/submissions"

    assert _submit(browser, site, "ブラウザ 花子", "Hanako.Browser@Example.JP") == f"{site.origin()}/thanks"
    found = api("GET", "/api/v1/leads/lookup", params={"email": "hanako.browser@example.jp"})
    assert found.status_code == 200, found.text
    lead_id = found.json()["data"]["id"]

    _submit(browser, site, "Hanako", " HANAKO.browser@example.jp")
    listed = api("GET", submissions).json()["data"]
    assert [entry["lead_id"] for entry in listed] == [lead_id, lead_id]  # one lead, a new inquiry
    # The browser's Referer: its default policy sends only the origin across origins (a `page_url` field sends
    # the whole address).
    assert listed[0]["page_url"] == f"{site.origin()}/"

    _submit(browser, site, "Bot", "bot.browser@example.jp", honeypot="http://spam.example")
    assert len(api("GET", submissions).json()["data"]) == 2  # answered as a success, stored nowhere
    assert api("GET", "/api/v1/leads/lookup", params={"email": "bot.browser@example.jp"}).status_code == 404


def test_fetch_reads_the_answer_only_from_an_allowed_origin(browser, local_stack, site_and_form):
    site, form = site_and_form
    action = local_stack.url(f"/public/forms/{form['public_id']}/submissions")
    script = """async ([action, email]) => {
        try {
            const answer = await fetch(action, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({your_name: "Fetch", email: email})});
            return {status: answer.status, body: await answer.json()};
        } catch (error) { return {blocked: String(error)}; }
    }"""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{site.origin()}/form")
        allowed = page.evaluate(script, [action, "fetch.allowed@example.jp"])
        page.goto(f"{site.origin('localhost')}/form")
        refused = page.evaluate(script, [action, "fetch.refused@example.jp"])
    finally:
        context.close()

    assert allowed == {"status": 201, "body": {"status": "success", "message": "ありがとうございました"}}
    assert "blocked" in refused
    # What the browser saw (its preflights are not reported to the page): the gateway serves OPTIONS from the
    # function, and only the allowed origin gets CORS headers, on the preflight and on the answer alike.
    for origin, allowed_origin in ((site.origin(), site.origin()), (site.origin("localhost"), None)):
        headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        preflight = local_stack.session.options(action, headers=headers, timeout=10)
        assert preflight.status_code == 204
        assert preflight.headers.get("Access-Control-Allow-Origin") == allowed_origin
        posted = local_stack.session.post(action, json={"your_name": "X"}, headers={"Origin": origin}, timeout=10)
        assert posted.status_code == 422
        assert posted.headers.get("Access-Control-Allow-Origin") == allowed_origin
