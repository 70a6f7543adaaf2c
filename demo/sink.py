"""The demo's local mail and webhook sink: the owners' channels in demo/dxq.yml point here, so
alerts really go out over SMTP and HTTP, stay on 127.0.0.1 and land in one JSON-lines inbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SMTP_PORT = 8025
HTTP_PORT = 8599


class _Inbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, channel: str, **fields: Any) -> None:
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "channel": channel, **fields})
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


class _MailHandler:
    def __init__(self, inbox: _Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        self.inbox.add(
            "email",
            to=list(envelope.rcpt_tos),
            subject=message.get("Subject", ""),
            message_id=message.get("Message-ID", ""),
        )
        return "250 OK"


def _http_handler(inbox: _Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            inbox.add(
                "webhook",
                path=self.path,
                idempotency_key=self.headers.get("Idempotency-Key", ""),
                body=body[:4000],
            )
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_sink(
    inbox_path: Path, *, smtp_port: int = SMTP_PORT, http_port: int = HTTP_PORT
) -> Iterator[Path]:
    """Serve the SMTP and webhook sink on 127.0.0.1 while the block runs."""
    from aiosmtpd.controller import Controller

    inbox_path.parent.mkdir(parents=True, exist_ok=True)
    inbox = _Inbox(inbox_path)
    smtp = Controller(_MailHandler(inbox), hostname="127.0.0.1", port=smtp_port)
    http = ThreadingHTTPServer(("127.0.0.1", http_port), _http_handler(inbox))
    thread = threading.Thread(target=http.serve_forever, name="demo-webhook-sink", daemon=True)
    smtp.start()
    thread.start()
    try:
        yield inbox_path
    finally:
        http.shutdown()
        http.server_close()
        smtp.stop()
