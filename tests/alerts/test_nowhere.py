"""Alerts that would go nowhere are not silent: an e-mail owner without an `smtp:` section fails
`dxq validate`, and the dispatcher logs each failed attempt once, with its reason (here a real
refused connection on 127.0.0.1)."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config.loading import load_config
from monitor.daemon.dispatcher import dispatch_once
from monitor.run.alert_context import alert_context
from tests.alerts.outbox_support import T0, Setup, fail

OWNERS = """\
version: 1
owners:
  ops: {role: maintenance, email: ops@example.com}
  po: {role: business, webhook: "http://127.0.0.1:1/po"}
"""


def test_an_email_owner_without_smtp_fails_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(OWNERS, encoding="utf-8")
    assert main(["validate", "-c", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"{path}:3: owners.ops.email: this owner is reached by e-mail, but the monitor file has "
        "no 'smtp:' section; add one (smtp: {host: mail.example.com, port: 587, starttls: true, "
        "sender: dxq@example.com}) or remove the e-mail address"
    )
    path.write_text(OWNERS + "smtp: {host: 127.0.0.1, port: 2525}\n", encoding="utf-8")
    assert main(["validate", "-c", str(path)]) == 0
    path.write_text(OWNERS.replace("email: ops@example.com", 'email: ""'), encoding="utf-8")
    with pytest.raises(Exception, match="cannot be reached"):  # no channel at all: its own rule
        load_config(path, {})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_failed_attempt_is_logged_once_with_its_reason(
    setup: Setup, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = _closed_port()
    path = setup.config_path
    text = path.read_text(encoding="utf-8")
    text = text.replace("port: 1,", f"port: {port},").replace(
        "role: business, webhook:", "role: business, email: shop@example.com, webhook:"
    )
    path.write_text(text, encoding="utf-8")
    config = load_config(path, {})
    setup.context = alert_context(config)
    fail(setup)
    caplog.set_level(logging.WARNING, logger="dxq.dispatch")
    now = T0
    for _ in range(2):
        report = dispatch_once(setup.store, setup.context, now=now, worker="w1")
        now = max(a.next_attempt_at or now for a in report.attempts) + timedelta(seconds=1)
    lines = [r.getMessage() for r in caplog.records if r.name == "dxq.dispatch"]
    mail = [line for line in lines if "by email" in line]
    assert len(mail) == 2, lines  # two attempts, one line each
    assert "attempt 1 failed" in mail[0] and "attempt 2 failed" in mail[1]
    assert all(f"smtp 127.0.0.1:{port}" in line for line in mail)
    assert all("Connection refused" in line and "retrying at" in line for line in mail)
    assert not [line for line in lines if "by webhook" in line]  # delivered: nothing logged


def test_nothing_is_logged_when_delivery_works(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    fail(setup)
    caplog.set_level(logging.WARNING, logger="dxq.dispatch")
    report = dispatch_once(setup.store, setup.context, now=T0, worker="w1")
    assert report.count("sent") == 1
    assert [r for r in caplog.records if r.name == "dxq.dispatch"] == []
