"""A fake Intercom API on loopback: `POST /contacts/search` over its contacts, as the current API has it.

The reference document (intercom-api-notes.ja.txt) shows the older `GET /users` and `GET /contacts` lists
with page numbers (`pages.page`, `total_pages`); the current API has one contact resource (`role` user or
lead), searched with a query, sorted, and paged by an opaque cursor (`pagination.starting_after` in the
body, `pages.next.starting_after` in the answer). The fake checks what it receives:

- `Authorization: Bearer {token}` (else 401 with Intercom's `error.list`), `Intercom-Version` pinned to one
  of the versions it serves (else 400), JSON body;
- the query `{"field": "updated_at", "operator": ">" | "<" | "=", "value": int}`, or an `AND` of such
  (Intercom has no `>=`), the sort on `updated_at`, `per_page` ≤ 150, a cursor it issued for this very query
  (else 400);
- timestamps matched by UTC day, as Intercom indexes them ("you can only query for timestamp fields by day"):
  `> T` is `> start of T's day`, so it finds contacts from the next day on; `= T` finds T's whole day;
- rate-limit headers on every answer (`X-RateLimit-Limit/Remaining/Reset`).

`expire_cursors()` makes every cursor issued so far invalid (Intercom's cursors do not live forever).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.loopback import LoopbackServer, Received, Reply

SUPPORTED_VERSIONS = ("2.10", "2.11", "2.12", "2.13")
MAX_PER_PAGE = 150
DAY_SECONDS = 86_400
OPERATORS = {
    ">": lambda left, right: left > right,
    "<": lambda left, right: left < right,
    "=": lambda left, right: left == right,
}


class FakeIntercom:
    def __init__(self, token: str = "intercom-token") -> None:
        self.token = token
        self.contacts: dict[str, dict[str, Any]] = {}
        self.server = LoopbackServer(self._answer)
        self.rate_limit = 1000
        self.rate_limit_remaining: int | None = None  # None: limit - 1 on every answer
        self.rate_limit_reset = 0  # Unix seconds
        self._generation = 0
        self._next_id = 1

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def searches(self) -> list[Received]:
        return [request for request in self.server.received if request.path == "/contacts/search"]

    def upsert(self, contact_id: str | None = None, *, updated_at: int, role: str = "user", **fields: Any) -> str:
        """Create or change a contact as Intercom would hold it (`updated_at` in Unix seconds)."""
        if contact_id is None:
            contact_id = f"{self._next_id:024x}"
            self._next_id += 1
        contact = self.contacts.setdefault(
            contact_id, {"type": "contact", "id": contact_id, "workspace_id": "ecahpwf5", "role": role}
        )
        contact.update(fields, role=role, updated_at=updated_at)
        contact.setdefault("created_at", updated_at)
        return contact_id

    def expire_cursors(self) -> None:
        self._generation += 1

    # ------------------------------------------------------------------ the API

    def _answer(self, request: Received) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "Access Token Invalid")
        if request.headers.get("intercom-version") not in SUPPORTED_VERSIONS:
            return _error(400, "intercom_version_invalid", "Requested version is not supported")
        if (request.method, request.path) != ("POST", "/contacts/search"):
            return _error(404, "not_found", "Resource Not Found")
        if not isinstance(request.body, dict):
            return _error(400, "parameter_invalid", "Body must be a JSON object")
        try:
            return self._search(request.body)
        except (KeyError, TypeError, ValueError) as exc:
            return _error(400, "parameter_invalid", str(exc))

    def _search(self, body: dict[str, Any]) -> Reply:
        conditions = list(_conditions(body["query"]))
        sort = body.get("sort") or {"field": "updated_at", "order": "ascending"}
        if sort.get("field") != "updated_at" or sort.get("order") not in ("ascending", "descending"):
            raise ValueError("sort must be on updated_at")
        pagination = body.get("pagination") or {}
        per_page = int(pagination.get("per_page", 50))
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        query_key = json.dumps(body["query"], sort_keys=True)
        matching = sorted(
            (contact for contact in self.contacts.values() if all(test(contact) for test in conditions)),
            key=lambda contact: (contact["updated_at"], contact["id"]),
            reverse=sort["order"] == "descending",
        )
        position = 0
        if pagination.get("starting_after"):
            after = self._after(pagination["starting_after"], query_key, sort["order"])
            keys = [(contact["updated_at"], contact["id"]) for contact in matching]
            position = sum(1 for key in keys if (key <= after if sort["order"] == "ascending" else key >= after))
        page = matching[position : position + per_page]
        next_position = position + len(page)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": position // per_page + 1,
            "per_page": per_page,
            "total_pages": max(1, -(-len(matching) // per_page)),
        }
        if next_position < len(matching):
            last = page[-1]
            pages["next"] = {
                "page": pages["page"] + 1,
                "starting_after": self._cursor(query_key, sort["order"], last),
            }
        body = {
            "type": "list",
            "data": [dict(contact) for contact in page],
            "total_count": len(matching),
            "pages": pages,
        }
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(
                self.rate_limit - 1 if self.rate_limit_remaining is None else self.rate_limit_remaining
            ),
            "X-RateLimit-Reset": str(self.rate_limit_reset),
        }
        return Reply(200, body, headers)

    def _cursor(self, query_key: str, order: str, last: dict[str, Any]) -> str:
        state = {"g": self._generation, "q": query_key, "o": order, "after": [last["updated_at"], last["id"]]}
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()

    def _after(self, cursor: str, query_key: str, order: str) -> tuple[int, str]:
        """The (updated_at, id) the cursor's page ended at; a cursor of another query or expired: 400."""
        state = json.loads(base64.urlsafe_b64decode(cursor))
        if state["g"] != self._generation or state["q"] != query_key or state["o"] != order:
            raise ValueError("starting_after is not a valid cursor for this query")
        return tuple(state["after"])


def _conditions(query: dict[str, Any]) -> Iterator[Any]:
    if query.get("operator") in ("AND",):
        for part in query["value"]:
            yield from _conditions(part)
        return
    field, operator, value = query["field"], query["operator"], query["value"]
    if field != "updated_at" or operator not in OPERATORS or not isinstance(value, int):
        raise ValueError("the fake searches updated_at with >, < or = an integer")
    compare = OPERATORS[operator]
    yield lambda contact: compare(contact["updated_at"] // DAY_SECONDS, value // DAY_SECONDS)


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(
        status,
        {"type": "error.list", "request_id": "fake-request", "errors": [{"code": code, "message": message}]},
    )


@pytest.fixture(name="intercom_fake")
def intercom_fake_fixture() -> Iterator[FakeIntercom]:
    fake = FakeIntercom()
    fake.server.start()
    yield fake
    fake.server.stop()
