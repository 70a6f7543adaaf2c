"""Real receivers on loopback for the channel tests: an HTTP recorder and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# path -> (status, extra headers); any other path answers 200. Status 0 hangs, then answers 200.
RESPONSES: dict[str, tuple[int, dict[str, str]]] = {
    "/busy": (503, {}),
    "/slow-down": (429, {"Retry-After": "7"}),
    "/slow-down-date": (429, {"Retry-After": "Sun, 29 Nov 2026 10:02:00 GMT"}),
    "/bad": (400, {}),
    "/missing": (404, {}),
    "/hang": (0, {}),
}
HANG_S = 3.0  # past any sensible client timeout


@dataclass
class Recorded:
    """One POST the HTTP receiver answered."""

    path: str
    headers: dict[str, str]
    raw: bytes
    status: int

    @property
    def key(self) -> str:
        return self.headers.get("Idempotency-Key", "")

    @property
    def body(self) -> Any:
        return json.loads(self.raw or b"{}")


@dataclass
class HttpReceiver:
    """A threaded HTTP server that records every POST; each path answers from its script of
    (status, headers), then from RESPONSES."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, path: str, *answers: tuple[int, dict[str, str]]) -> None:
        self.scripts[path] = list(answers)

    def at(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def accepted(self, path: str) -> list[Recorded]:
        return [r for r in self.at(path) if 200 <= r.status < 300]

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        with self.lock:
            script = self.scripts.get(path, [])
            return script.pop(0) if script else RESPONSES.get(path, (200, {}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            status, headers = receiver.answer(self.path)
            seen = Recorded(self.path, dict(self.headers.items()), body, status)
            with receiver.lock:
                receiver.requests.append(seen)
            if status == 0:
                time.sleep(HANG_S)
                status = 200
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    """What the SMTP server received."""

    port: int
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse: str | None = None  # an SMTP reply to every RCPT, e.g. "550 no such user"


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.box.refuse:
            return self.box.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"s3cret"
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield box
    controller.stop()
