"""The demo's payment provider as an HTTP JSON API on 127.0.0.1, as a real one is reached.

It serves the transactions of the demo's `psp.db` (which the demo world rewrites at every
simulated moment), so the API shows exactly the world's state and defects:
`GET /v1/transactions?limit=&starting_after=` answers `{"data": [...], "next_cursor": ...}`,
ordered by `txn_id`, and only with `Authorization: Bearer <TOKEN>` (401 otherwise).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "demo-psp-token"  # not a secret: the demo's API accepts nothing else, on loopback only
PATH = "/v1/transactions"
PSP_URL = "DXQ_DEMO_PSP_URL"  # the environment variable demo/dxq.yml reads the base URL from
MAX_LIMIT = 500
_COLUMNS = ("txn_id", "order_id", "amount", "currency", "status", "captured_at")


def transactions_page(database: Path, after: str | None, limit: int) -> dict[str, Any]:
    """One page of transactions after the cursor `after`, and the next cursor (None at the end)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM transactions WHERE txn_id > ? "
            "ORDER BY txn_id LIMIT ?",
            (after or "", limit + 1),
        ).fetchall()
    finally:
        connection.close()
    page = [dict(zip(_COLUMNS, row, strict=True)) for row in rows[:limit]]
    more = len(rows) > limit
    return {"data": page, "next_cursor": page[-1]["txn_id"] if more else None}


def _handler(database: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"error": "missing or wrong bearer token"})
            elif parts.path != PATH:
                self._answer(404, {"error": f"no such resource {parts.path}"})
            else:
                try:
                    limit = min(max(int(query.get("limit", "100")), 1), MAX_LIMIT)
                    body = transactions_page(database, query.get("starting_after"), limit)
                except ValueError:
                    self._answer(400, {"error": "limit must be a number"})
                except sqlite3.Error as exc:
                    self._answer(503, {"error": f"the ledger is unavailable: {exc}"})
                else:
                    self._answer(200, body)

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_psp(database: Path, port: int = 0) -> Iterator[str]:
    """Serve the demo's payment provider from `database` for the block; yields its base URL
    (port 0: any free port)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(database))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-psp", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
