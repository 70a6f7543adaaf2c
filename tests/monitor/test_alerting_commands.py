"""`dxq alerts route` and `dxq alerts test`, through the command line's entry point."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import pytest

from monitor.cli import main
from tests.alerts.receivers import HttpReceiver, Mailbox


def write(tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox) -> str:
    config = tmp_path / "dxq.yml"
    config.write_text(
        f"""version: 1
smtp: {{host: 127.0.0.1, port: {mailbox.port}, starttls: false, timeout: 5s}}
owners:
  po: {{name: Product owner, role: business, email: po@example.com, webhook: "{receiver.url}/po"}}
  oncall: {{role: oncall, webhook: "{receiver.url}/oncall"}}
  maint: {{role: maintenance, webhook: "{receiver.url}/maint"}}
systems:
  pim: {{url: "sqlite:///pim.db"}}
  shop: {{url: "sqlite:///shop.db"}}
integrations:
  catalog:
    source: pim.products
    target: shop.products
    owners: [po]
routes:
  receiver: maint
  routes:
    - {{match: {{severity: critical}}, receiver: oncall, continue: true,
       escalate: [{{after: 30m, receiver: po}}]}}
""",
        encoding="utf-8",
    )
    return str(config)


def test_route_prints_receivers_and_the_path(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, receiver, mailbox)
    assert main(["alerts", "route", "-c", config, "integration=catalog", "severity=critical"]) == 0
    out = capsys.readouterr().out
    assert "source_system=pim" in out and "target_system=shop" in out
    assert "matched routes.routes[0] (" in out and "-> oncall" in out
    assert "escalate after 30m unacknowledged -> po" in out
    assert out.strip().splitlines()[-1] == "receivers: po, oncall"
    assert main(["alerts", "-c", config, "route", "integration=catalog", "kind=run_error"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == "receivers: maint"
    assert "never go to business owners" in out


def test_route_refuses_unknown_labels(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, receiver, mailbox)
    assert main(["alerts", "route", "-c", config, "team=x", "severity=critical"]) == 2
    err = capsys.readouterr().err
    assert "unknown label 'team'" in err and "integration, source_system" in err
    assert main(["alerts", "route", "-c", config, "severity"]) == 2
    assert "label=value" in capsys.readouterr().err


def test_test_sends_to_every_channel_of_the_owner(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, receiver, mailbox)
    assert main(["alerts", "test", "-c", config, "po"]) == 0
    out = capsys.readouterr().out
    assert "email po@example.com: delivered" in out
    assert "webhook http://127.0.0.1" in out and "/***: delivered" in out
    (hook,) = receiver.at("/po")
    assert hook.body["event"] == "test" and hook.key.startswith("dxq-test-po-")
    (mail,) = mailbox.messages
    assert "[TEST]" in str(message_from_bytes(mail[2])["Subject"])


def test_test_exits_1_when_a_channel_fails_and_2_for_unknown_owners(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, receiver, mailbox)
    receiver.script("/po", (400, {}))
    assert main(["alerts", "test", "-c", config, "po"]) == 1
    out = capsys.readouterr().out
    assert "email po@example.com: delivered" in out and "FAILED" in out and "HTTP 400" in out
    assert main(["alerts", "test", "-c", config, "nobody"]) == 2
    err = capsys.readouterr().err
    assert "unknown owner 'nobody'" in err and "po, oncall, maint" in err


def test_route_refuses_unknown_kinds_and_severities(
    tmp_path: Path, receiver: HttpReceiver, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, receiver, mailbox)
    assert main(["alerts", "route", "-c", config, "kind=dataquality"]) == 2
    captured = capsys.readouterr()
    assert "unknown kind 'dataquality'" in captured.err
    assert "data_quality|run_error|missed|dead_letter" in captured.err and captured.out == ""
    assert main(["alerts", "route", "-c", config, "severity=CRITICAL"]) == 2
    assert "critical|error|warning" in capsys.readouterr().err
    assert main(["alerts", "route", "-c", config, "kind=missed", "severity=warning"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "receivers: maint"
