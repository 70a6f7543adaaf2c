"""Data with CR/LF or terminal escapes is shown as data (`datasources.printable.one_line`): an
alert about a column named with a line break is e-mailed at once (it stayed pending forever:
"header values may not contain linefeed"), with no injected header, and `dxq run`'s table
keeps one line per check."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.channels import email as email_channel
from alerts.owner import ChannelAddress, ChannelKind, SmtpSettings
from checks.result import CheckKind, CheckResult, Outcome, Severity
from datasources.printable import one_line
from monitor.cli import main
from monitor.run.report import render_table
from monitor.run.runner import IntegrationRun
from tests.alerts.receivers import Mailbox
from tests.alerts.test_channels import message

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
HOSTILE = "price\r\nBcc: victim@example.com\r\n\x1b[2J"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, é, 中", "plain text, é, 中"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("nel\x85 ls\u2028 del\x7f", "nel\\x85 ls\\u2028 del\\x7f"),
    ],
)
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert len(one_line(text).splitlines()) == 1


def test_a_hostile_check_name_is_mailed_with_one_subject_and_no_injected_header(
    mailbox: Mailbox,
) -> None:
    msg = message()
    msg = replace(msg, title=f"[FIRING] orders: data check failed ({HOSTILE})")
    address = ChannelAddress(ChannelKind.EMAIL, emails=("po@example.com",))
    smtp = SmtpSettings(
        host="127.0.0.1", port=mailbox.port, starttls=False, sender="dxq@example.com", timeout=5
    )
    result = email_channel.send(address, msg, smtp)
    assert result.delivered, result.error
    ((_, rcpts, raw),) = mailbox.messages
    assert rcpts == ["po@example.com"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail.get_all("Bcc") is None
    assert mail["Subject"] == (
        "[FIRING] orders: data check failed (price\\r\\nBcc: victim@example.com\\r\\n\\x1b[2J)"
    )


def test_the_run_table_keeps_one_line_per_check() -> None:
    result = CheckResult(
        check=HOSTILE,
        kind=CheckKind.EXPECTATION,
        outcome=Outcome.FAILED,
        severity=Severity.ERROR,
        observed="3 rows\nwith\x1b[0m escapes",
    )
    run = IntegrationRun("orders", NOW, NOW, (result,))
    table = render_table([run])
    assert "\x1b" not in table and "\r" not in table
    lines = table.splitlines()
    assert lines[1].startswith("  FAIL  price\\r\\nBcc: victim@example.com\\r\\n\\x1b[2J")
    assert lines[1].endswith("3 rows\\nwith\\x1b[0m escapes")
    assert lines[2] == ""


def test_dxq_alerts_route_prints_one_line_per_fact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(
        "version: 1\nowners:\n  ops: {role: maintenance, webhook: 'http://127.0.0.1:1/o'}\n",
        encoding="utf-8",
    )
    assert main(["alerts", "route", "-c", str(path), "check=a\x1b[2Jb", "severity=error"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out.splitlines()[0] == 'labels: check="a\\x1b[2Jb", severity=error, kind=data_quality'
