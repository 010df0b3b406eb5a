"""A fake Chat Dealer on loopback: `POST /api/v1/visitor/get`, as chatdealer-api-spec.ja.txt gives it.

- Only POST (else 405, errors.code "8"); only the visitor API (else 404, errors.code "3").
- `X-CD-apitoken` must be the environment's token (else 401, errors.code "1"); `Content-Type:
  application/json` is required (else 400, errors.code "100").
- Body: `limit` 1-15000 (default 100), `offset` ≥ 1 (default 1), `search.dateFrom` / `search.dateTo` as
  `yyyy/mm/dd`; numbers may come as strings, as the reference's own sample sends them. Bad input is 400
  with errors.code "100" and one `description` entry per parameter (detail codes 2 type, 3/4 range,
  7 format).
- Visitors whose activity date (Japan time) falls in the window, in a stable order, `limit` from `offset`.
  Nothing in the window: 400 with errors.code "200" (対象データ無し).
- The envelope: `status` "success", `code` "200", `url`, `query` (as received), `version` "v1",
  `accessTime`, `count` (a string) and `items`; errors carry `errors: {code, msg, description}`. Every
  answer has `X-Content-Type-Options: nosniff`.
- At most 60 requests in any minute per environment (on the fake's clock): then 429, errors.code "6".
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.fakes.loopback import LoopbackServer, Received, Reply

JST = timezone(timedelta(hours=9))
PATH = "/api/v1/visitor/get"
REQUESTS_PER_MINUTE = 60
_DATE = re.compile(r"^\d{4}/\d{2}/\d{2}$")


class FakeChatDealer:
    def __init__(self, token: str = "cd-token", clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.clock = clock
        self.visitors: dict[str, tuple[date, dict[str, Any]]] = {}  # visitor id -> (activity date, item)
        self.server = LoopbackServer(self._answer)
        self._requests: deque[float] = deque()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def queries(self) -> list[dict[str, Any]]:
        return [request.body for request in self.server.received if request.path == PATH]

    def put(self, visitor_id: str, active_on: date, item: dict[str, Any]) -> None:
        """A visitor with its item keys as this environment names them, active on `active_on` (JST)."""
        self.visitors[visitor_id] = (active_on, item)

    def _answer(self, request: Received) -> Reply:
        query = request.body if isinstance(request.body, dict) else {}
        if not self._admit():
            return _error(request, 429, "6", "リクエスト回数が上限を超えました。")
        if request.method != "POST":
            return _error(request, 405, "8", "対応していないメソッドです。")
        if request.path != PATH:
            return _error(request, 404, "3", "対象のURLがありません。")
        if request.headers.get("x-cd-apitoken") != self.token:
            return _error(request, 401, "1", "認証に失敗しました。")
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _error(request, 400, "100", "パラメータが不正です。")
        problems, limit, offset, window = _parse(query)
        if problems:
            return _error(request, 400, "100", "パラメータが不正です。", problems)
        date_from, date_to = window
        matching = [
            item
            for _, (active_on, item) in sorted(self.visitors.items())
            if (date_from is None or active_on >= date_from) and (date_to is None or active_on <= date_to)
        ]
        items = matching[offset - 1 : offset - 1 + limit]
        if not items:
            return _error(request, 400, "200", "対象データが存在しません。")
        return Reply(200, _envelope(request, "success", "200") | {"count": str(len(items)), "items": items}, _HEADERS)

    def _admit(self) -> bool:
        now = self.clock()
        while self._requests and self._requests[0] <= now - 60:
            self._requests.popleft()
        if len(self._requests) >= REQUESTS_PER_MINUTE:
            return False
        self._requests.append(now)
        return True


_HEADERS = {"X-Content-Type-Options": "nosniff"}


def _parse(query: dict[str, Any]) -> tuple[list[dict[str, Any]], int, int, tuple[date | None, date | None]]:
    problems: list[dict[str, Any]] = []
    limit = _integer(query, "limit", 100, 1, 15_000, problems)
    offset = _integer(query, "offset", 1, 1, None, problems)
    search = query.get("search") or {}
    window = tuple(_day(search, name, problems) for name in ("dateFrom", "dateTo"))
    return problems, limit, offset, window  # type: ignore[return-value]


def _integer(query: dict[str, Any], name: str, default: int, low: int, high: int | None, problems: list) -> int:
    raw = query.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        problems.append({"name": name, "value": raw, "code": 2, "msg": "型が正しくありません。"})
        return default
    if value < low:
        problems.append({"name": name, "value": raw, "code": 3, "msg": "下限を下回っています。"})
    if high is not None and value > high:
        problems.append({"name": name, "value": raw, "code": 4, "msg": "上限を超えています。"})
    return value


def _day(search: dict[str, Any], name: str, problems: list) -> date | None:
    raw = search.get(name)
    if raw is None:
        return None
    if isinstance(raw, str) and _DATE.match(raw):
        try:
            return datetime.strptime(raw, "%Y/%m/%d").date()
        except ValueError:
            pass
    problems.append({"name": name, "value": raw, "code": 7, "msg": "フォーマットが正しくありません。"})
    return None


def _envelope(request: Received, status: str, code: str) -> dict[str, Any]:
    return {
        "status": status,
        "code": code,
        "url": f"https://chatdealer.example{request.path}",
        "query": request.body if isinstance(request.body, dict) else {},
        "version": "v1",
        "accessTime": datetime.now(JST).strftime("%Y/%m/%d %H:%M:%S"),
    }


def _error(request: Received, status: int, code: str, message: str, description: list | None = None) -> Reply:
    body = _envelope(request, "error", str(status)) | {
        "errors": {"code": code, "msg": message, "description": description or []}
    }
    return Reply(status, body, _HEADERS)


@pytest.fixture(name="chatdealer_fake")
def chatdealer_fake_fixture() -> Iterator[FakeChatDealer]:
    fake = FakeChatDealer()
    fake.server.start()
    yield fake
    fake.server.stop()
