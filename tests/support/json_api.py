"""A real loopback HTTP JSON API for the API-system tests: a payment provider's charges, served
page by page three ways, with endpoints that fail on purpose.

Routes (every one requires `Authorization: Bearer <token>`, else 401):

- `/v1/charges?limit=&starting_after=`: cursor pages, `{"data": [...], "next_cursor": ...}`;
- `/v1/orders?page=&per_page=`: numbered pages, `{"items": [...]}`;
- `/v1/refunds?offset=`: a bare list, the next page in a `Link: <…>; rel="next"` header;
- `/v1/flaky`: 503 for the first `flaky_failures` requests, then the charges in one page;
- `/v1/limited`: 429 with `Retry-After: 1` for the first request, then the charges;
- `/v1/later`: 429 with `Retry-After: 3600`; `/v1/down`: always 500;
- `/v1/broken`: a body that is not JSON; `/v1/slow`: answers after 3 s;
- `/v1/elsewhere`: a Link header pointing to another host; `/v1/clash`: keys `id` and `ID`.

Every request is recorded (path, query, headers) so tests can count pages and see headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.ports import free_port

TOKEN = "tok_live_S3cr3t-never-shown"


def charges(count: int) -> list[dict[str, Any]]:
    """`count` charges: ids ch_0001…, amounts in cents, Unix `created`, nested customer."""
    return [
        {
            "id": f"ch_{i:04d}",
            "amount": 1000 + i,
            "currency": "eur",
            "created": 1_796_000_000 + i * 60,
            "paid": i % 7 != 0,
            "customer": {"id": f"cus_{i % 5}"},
        }
        for i in range(1, count + 1)
    ]


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class JsonApi:
    """The server's data and what it has seen; `base_url` once started."""

    items: list[dict[str, Any]]
    page_size: int = 10
    flaky_failures: int = 1
    base_url: str = ""
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def answer(
        self, path: str, query: dict[str, str], auth: str
    ) -> tuple[int, dict[str, str], bytes]:
        if auth != f"Bearer {TOKEN}":
            return _json(401, {"error": "unauthorized"})
        route = _ROUTES.get(path)
        if route is None:
            return _json(404, {"error": "not found"})
        return route(self, query)

    def _count(self, path: str) -> int:
        with self._lock:
            return len(self.requests_to(path))


def _json(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


def _cursor(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    size = int(query.get("limit", api.page_size))
    after = query.get("starting_after")
    start = 0 if after is None else [i["id"] for i in api.items].index(after) + 1
    page = api.items[start : start + size]
    more = start + size < len(api.items)
    return _json(200, {"data": page, "next_cursor": page[-1]["id"] if more and page else None})


def _numbered(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    number, size = int(query.get("page", 1)), int(query.get("per_page", api.page_size))
    return _json(200, {"items": api.items[(number - 1) * size : number * size]})


def _linked(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    offset = int(query.get("offset", 0))
    page = api.items[offset : offset + api.page_size]
    headers = {}
    if offset + api.page_size < len(api.items):
        headers["Link"] = f'</v1/refunds?offset={offset + api.page_size}>; rel="next"'
    return _json(200, page, headers)


def _flaky(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    if api._count("/v1/flaky") <= api.flaky_failures:
        return _json(503, {"error": "try again"})
    return _json(200, {"data": api.items})


def _limited(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    if api._count("/v1/limited") <= 1:
        return _json(429, {"error": "slow down"}, {"Retry-After": "1"})
    return _json(200, {"data": api.items})


def _later(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _json(429, {"error": "come back in an hour"}, {"Retry-After": "3600"})


def _clash(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _json(200, {"data": [{"id": "a", "ID": "b"}]})


def _down(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _json(500, {"error": "boom"})


def _broken(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b'{"data": [{"id": "ch_1",'


def _slow(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    time.sleep(3)
    return _json(200, {"data": []})


def _elsewhere(api: JsonApi, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _json(200, api.items[:1], {"Link": '<http://127.0.0.2:9/v1/steal>; rel="next"'})


_ROUTES = {
    "/v1/charges": _cursor,
    "/v1/orders": _numbered,
    "/v1/refunds": _linked,
    "/v1/flaky": _flaky,
    "/v1/limited": _limited,
    "/v1/down": _down,
    "/v1/clash": _clash,
    "/v1/later": _later,
    "/v1/broken": _broken,
    "/v1/slow": _slow,
    "/v1/elsewhere": _elsewhere,
}


def _handler(api: JsonApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with api._lock:
                api.seen.append(Seen(parts.path, query, dict(self.headers.items())))
            status, headers, body = api.answer(
                parts.path, query, self.headers.get("Authorization", "")
            )
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(api: JsonApi) -> Iterator[JsonApi]:
    """Serve `api` on 127.0.0.1 in a thread for the block; `api.base_url` is set."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(api))
    server.daemon_threads = True
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
