"""The demo's alert sink really receives mail over SMTP and webhooks over HTTP."""

from __future__ import annotations

import json
import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

import httpx

from demo.sink import running_sink


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sink_records_mail_and_webhooks(tmp_path: Path) -> None:
    smtp_port, http_port = _free_port(), _free_port()
    inbox = tmp_path / "inbox.jsonl"
    with running_sink(inbox, smtp_port=smtp_port, http_port=http_port):
        message = EmailMessage()
        message["From"], message["To"] = "dxq@example.com", "po@example.com"
        message["Subject"], message["Message-ID"] = "orders failing", "<dxq-1@dxq>"
        message.set_content("37 orders missing")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
            smtp.send_message(message)
        response = httpx.post(
            f"http://127.0.0.1:{http_port}/hook",
            json={"alert": "x"},
            headers={"Idempotency-Key": "dxq-2"},
            timeout=5,
        )
        assert response.status_code == 200
    entries = [json.loads(line) for line in inbox.read_text().splitlines()]
    assert [e["channel"] for e in entries] == ["email", "webhook"]
    assert entries[0]["to"] == ["po@example.com"]
    assert entries[0]["subject"] == "orders failing"
    assert entries[0]["message_id"] == "<dxq-1@dxq>"
    assert entries[1]["idempotency_key"] == "dxq-2"
    assert json.loads(entries[1]["body"]) == {"alert": "x"}
