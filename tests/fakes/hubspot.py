"""A loopback fake of HubSpot's CRM v3 API and OAuth token endpoint, for tests and the local stack.

Modelled on the reference document (hubspot-api-guide.ja.txt: the OAuth refresh flow, contact properties)
and HubSpot's current API (CRM v3 contacts, search with its 10,000-result cap, batch upsert by email):

- `POST /oauth/v1/token` (grant_type=refresh_token, form-encoded): access tokens that expire after
  `token_lifetime` seconds of `clock`; with `rotate_refresh_tokens` each refresh issues a new refresh token
  and retires the one used. Bad client or refresh token: 400 BAD_REFRESH_TOKEN.
- `GET /crm/v3/objects/contacts/{id}?properties=...`: the contact with the properties asked for; 404
  OBJECT_NOT_FOUND for an unknown or deleted one.
- `POST /crm/v3/objects/contacts/search`: `lastmodifieddate GTE` filter, ascending sort, `after` paging,
  400 past the 10,000th result as HubSpot does.
- `POST /crm/v3/objects/contacts/batch/upsert` with `idProperty: email`.
- `POST /crm/v3/objects/contacts/gdpr-delete` (`objectId`, optional `idProperty: email`): 204, the contact
  gone for good (its email listed in `blocklisted`); 404 OBJECT_NOT_FOUND for an unknown one.
- Every CRM call needs `Authorization: Bearer` with a live access token or a private-app token, else 401.
- Faults on demand, per request path: `fail(path, status, times=N, retry_after=s)` (None: always), and
  `slow(path, seconds)`. Every request is logged (`requests`) with its headers, query and body.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CONTACTS = "/crm/v3/objects/contacts"
TOKEN = "/oauth/v1/token"
SEARCH_CAP = 10_000


def contact_path(contact_id: str | int) -> str:
    return f"{CONTACTS}/{contact_id}"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(self.body.decode()).items()}


@dataclass
class Fault:
    status: int
    remaining: int | None  # None: every time
    retry_after: float | None = None


@dataclass
class FakeHubSpot:
    token_lifetime: int = 1800
    rotate_refresh_tokens: bool = False
    clock: Callable[[], float] = time.time
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    apps: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> client_id
    access_tokens: dict[str, float] = field(default_factory=dict)  # access token -> expires at
    private_tokens: set[str] = field(default_factory=set)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    blocklisted: list[str | None] = field(default_factory=list)  # emails of contacts GDPR-deleted

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1001)
        self._tokens = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeHubSpot:
        fake = self

        class Handler(_Handler):
            hubspot = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeHubSpot:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ state

    def register_app(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        with self._lock:
            self.apps[client_id] = client_secret
            self.refresh_tokens[refresh_token] = client_id

    def add_private_token(self, token: str) -> None:
        self.private_tokens.add(token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is refused from now on (as after their 30 minutes)."""
        with self._lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, 0.0)

    def add_contact(self, contact_id: str | None = None, **properties: Any) -> str:
        with self._lock:
            contact_id = contact_id or str(next(self._ids))
            self.contacts[contact_id] = {"id": contact_id, "properties": {}, "createdAt": _iso(self.clock())}
        self.update_contact(contact_id, **properties)
        return contact_id

    def update_contact(self, contact_id: str, **properties: Any) -> None:
        with self._lock:
            contact = self.contacts[contact_id]
            now = self.clock()
            contact["properties"].update(
                {name: None if value is None else str(value) for name, value in properties.items()}
            )
            contact["properties"]["lastmodifieddate"] = _iso(now)
            contact["properties"]["hs_object_id"] = contact_id
            contact["updatedAt"] = _iso(now)
            contact["modified_ms"] = int(now * 1000)

    def delete_contact(self, contact_id: str) -> None:
        with self._lock:
            self.contacts.pop(contact_id, None)

    def fail(self, path: str, status: int, *, times: int | None = None, retry_after: float | None = None) -> None:
        """The next `times` requests to `path` (every one when None) answer `status`."""
        with self._lock:
            self.faults.setdefault(path, []).append(Fault(status, times, retry_after))

    def slow(self, path: str, seconds: float) -> None:
        self.delays[path] = seconds

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    # ------------------------------------------------------------------ answers

    def answer(self, request: RecordedRequest) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request.path)
        if request.path in self.delays:
            time.sleep(self.delays[request.path])
        if fault is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return fault.status, headers, _error("Injected failure", "INJECTED")
        if request.method == "POST" and request.path == TOKEN:
            return self._token(request.form())
        if not request.path.startswith(CONTACTS):
            return 404, {}, _error("Not found", "NOT_FOUND")
        refusal = self._refuse_token(request.bearer)
        if refusal:
            return 401, {}, refusal
        if request.method == "POST" and request.path == f"{CONTACTS}/search":
            return self._search(request.json())
        if request.method == "POST" and request.path == f"{CONTACTS}/batch/upsert":
            return self._batch_upsert(request.json())
        if request.method == "POST" and request.path == f"{CONTACTS}/gdpr-delete":
            return self._gdpr_delete(request.json())
        if request.method == "GET":
            return self._get_contact(request.path[len(CONTACTS) + 1 :], request.query)
        return 405, {}, _error("Method not allowed", "VALIDATION_ERROR")

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults.get(path, []):
            if fault.remaining is None:
                return fault
            if fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    def _refuse_token(self, token: str | None) -> dict[str, Any] | None:
        if token in self.private_tokens:
            return None
        expires_at = self.access_tokens.get(token or "")
        if expires_at is None:
            return _error("Authentication credentials not found.", "INVALID_AUTHENTICATION")
        if expires_at <= self.clock():
            return _error("The OAuth token used to make this call expired.", "EXPIRED_AUTHENTICATION")
        return None

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            client_id, refresh_token = form.get("client_id", ""), form.get("refresh_token", "")
            valid = (
                form.get("grant_type") == "refresh_token"
                and self.apps.get(client_id) == form.get("client_secret")
                and self.refresh_tokens.get(refresh_token) == client_id
            )
            if not valid:
                return 400, {}, {"status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token"}
            access = f"access-{next(self._tokens)}"
            self.access_tokens[access] = self.clock() + self.token_lifetime
            if self.rotate_refresh_tokens:
                del self.refresh_tokens[refresh_token]
                refresh_token = f"refresh-{next(self._tokens)}"
                self.refresh_tokens[refresh_token] = client_id
        body = {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh_token,
            "expires_in": self.token_lifetime,
        }
        return 200, {}, body

    def _view(self, contact: dict[str, Any], properties: list[str]) -> dict[str, Any]:
        shown = {name: contact["properties"].get(name) for name in properties}
        shown.update({name: contact["properties"][name] for name in ("hs_object_id", "lastmodifieddate")})
        return {
            "id": contact["id"],
            "properties": shown,
            "createdAt": contact["createdAt"],
            "updatedAt": contact["updatedAt"],
            "archived": False,
        }

    def _get_contact(self, contact_id: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        contact = self.contacts.get(contact_id)
        if contact is None:
            return 404, {}, _error(f"Object not found.  objectId are usually numeric. {contact_id}", "OBJECT_NOT_FOUND")
        properties = [name for value in query.get("properties", []) for name in value.split(",") if name]
        return 200, {}, self._view(contact, properties or ["email", "firstname", "lastname"])

    def _search(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        since = 0
        for group in body.get("filterGroups", []):
            for rule in group.get("filters", []):
                if rule.get("propertyName") == "lastmodifieddate" and rule.get("operator") == "GTE":
                    since = int(rule["value"])
        limit = min(int(body.get("limit", 10)), 200)
        offset = int(body.get("after") or 0)
        if offset + limit > SEARCH_CAP:
            return 400, {}, _error(f"Search results are limited to {SEARCH_CAP} records.", "VALIDATION_ERROR")
        with self._lock:
            matches = sorted(
                (contact for contact in self.contacts.values() if contact["modified_ms"] >= since),
                key=lambda contact: (contact["modified_ms"], int(contact["id"])),
            )
        page = matches[offset : offset + limit]
        answer: dict[str, Any] = {
            "total": len(matches),
            "results": [self._view(contact, body.get("properties") or []) for contact in page],
        }
        if offset + limit < len(matches):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return 200, {}, answer

    def _gdpr_delete(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            wanted = str(body.get("objectId"))
            if body.get("idProperty") == "email":
                found = [cid for cid, c in self.contacts.items() if c["properties"].get("email") == wanted]
            else:
                found = [wanted] if wanted in self.contacts else []
            if not found:
                return 404, {}, _error("Object not found", "OBJECT_NOT_FOUND")
            contact = self.contacts.pop(found[0])
            self.blocklisted.append(contact["properties"].get("email"))
        return 204, {}, None

    def _batch_upsert(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        inputs = body.get("inputs") or []
        if len(inputs) > 100 or any(entry.get("idProperty") != "email" for entry in inputs):
            return 400, {}, _error("Invalid input", "VALIDATION_ERROR")
        results = []
        for entry in inputs:
            email = str(entry["id"]).lower()
            with self._lock:
                found = next((c for c in self.contacts.values() if c["properties"].get("email") == email), None)
            properties = {**entry.get("properties", {}), "email": email}
            contact_id = found["id"] if found else self.add_contact(**properties)
            if found:
                self.update_contact(contact_id, **properties)
            view = self._view(self.contacts[contact_id], list(properties))
            results.append({**view, "new": found is None})
        return 200, {}, {"status": "COMPLETE", "results": results}


class _Handler(BaseHTTPRequestHandler):
    hubspot: FakeHubSpot
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive requests otherwise stall about 40 ms each

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        status, headers, body = self.hubspot.answer(request)
        payload = b"" if status == 204 else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (timeout tests)
            self.close_connection = True

    do_GET = do_POST = _handle  # noqa: N815 - http.server's names

    def log_message(self, *_: Any) -> None:
        """Quiet: the request log is `FakeHubSpot.requests`."""


def _error(message: str, category: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": "fake-correlation-id", "category": category}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def serve(port: int, token: str) -> None:
    """`python -m tests.fakes.hubspot --port 8099`: the fake on a fixed port with a few contacts, for trying a
    sync on the local stack (README); `token` is its private-app token."""
    fake = FakeHubSpot()
    fake.add_private_token(token)
    for email, first, last in (("taro@example.com", "Taro", "Yamada"), ("hanako@example.com", "Hanako", "Sato")):
        fake.add_contact(email=email, firstname=first, lastname=last)
    fake._server = ThreadingHTTPServer(("127.0.0.1", port), type("Handler", (_Handler,), {"hubspot": fake}))
    print(f"fake HubSpot on {fake.url} (private-app token {token}); Ctrl-C stops it", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        fake._server.server_close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.fakes.hubspot")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--token", default="demo-private-app-token")
    options = parser.parse_args()
    serve(options.port, options.token)
