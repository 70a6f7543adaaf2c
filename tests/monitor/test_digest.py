"""The weekly digest e-mail (issue 12 item 15): a real SMTP server on loopback receives one
digest per owner with e-mail, built from a results store filled by real `dxq run`s of small
SQLite integrations; sent once per owner and week (also with two passes racing), retried after
the mail server was down; `dxq digest --preview` prints without sending; a bad
`digest.schedule` is a file:line error."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.daemon.cron import build_trigger
from monitor.daemon.digests import Outcome, latest_firing, send_due
from monitor.errors import ConfigError
from store import digests
from store.store import ResultStore
from tests.alerts.receivers import Mailbox
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SCHEDULE = "0 8 * * 1"
DASHBOARD = "http://dash.example:8501"


def _source(directory: Path) -> str:
    path = directory / "shop.db"
    with sqlite3.connect(path) as conn:
        for table, rows in {
            "products": [("A-1", 1), ("B-2", 2)],
            "copy": [("A-1", 1), ("B-2", 2)],
            "changed": [("A-1", 1), ("B-2", 5)],  # one of two quantities differs
        }.items():
            conn.execute(f"CREATE TABLE {table} (sku TEXT PRIMARY KEY, qty INTEGER)")
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
    return f"sqlite:///{path}"


def _document(store: str, source: str, smtp_port: int, schedule: str = SCHEDULE) -> dict[str, Any]:
    volume = {"tolerance": "0%"}
    return {
        "version": 1,
        "store": store,
        "dashboard_url": DASHBOARD,
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "timeout": "5s"},
        "digest": {"schedule": schedule, "timezone": "UTC"},
        "owners": {
            "alice": {"role": "business", "email": "alice@example.com"},
            "bob": {"role": "oncall", "email": ["bob@example.com", "ops@example.com"]},
            "carol": {"role": "business", "slack_webhook": "http://127.0.0.1:9/hook"},
            "dave": {"role": "business", "email": "dave@example.com"},  # owns nothing
        },
        "systems": {"shop": {"url": source}},
        "integrations": {
            "orders": {
                "description": "Orders <from> the shop & to the ERP",
                "source": "shop.products",
                "target": "shop.copy",
                "volume": volume,
                "owners": ["alice"],
            },
            "stock": {
                "description": "Stock levels",
                "source": "shop.products",
                "target": "shop.changed",
                "key": "sku",
                "compare": ["qty"],
                "reconcile": {"max_mismatch_rate": "0%"},
                "owners": ["alice", "bob"],
            },
            "prices": {
                "source": "shop.products",
                "target": "shop.copy",
                "volume": volume,
                "owners": ["carol"],
            },
        },
    }


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A results store filled by real runs: every integration once, orders a second time."""
    directory = tmp_path_factory.mktemp("digest-history")
    source = _source(directory)
    store = directory / "results.db"
    config = _write(
        directory / "dxq.yml", _document(f"sqlite:///{store}", source, smtp_port=free_port())
    )
    for names, code in (([], 1), (["orders"], 0)):  # stock fails in the first run
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "run", "-c", str(config), *names],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == code, done.stdout + done.stderr
    return store, source


def _world(tmp_path: Path, history: tuple[Path, str], smtp_port: int) -> tuple[Path, Config]:
    """A copy of the filled store and a monitor file reading it, mailing to `smtp_port`."""
    store = tmp_path / "results.db"
    shutil.copy(history[0], store)
    path = _write(tmp_path / "dxq.yml", _document(f"sqlite:///{store}", history[1], smtp_port))
    return path, load_config(path, {})


def _after_next_firing() -> datetime:
    """A moment just after the next Monday 08:00 UTC: its week holds the runs made now."""
    firing = build_trigger(SCHEDULE, "UTC").get_next_fire_time(None, datetime.now(UTC))
    return firing.astimezone(UTC) + timedelta(minutes=1)  # type: ignore[no-any-return]


def _digests(box: Mailbox) -> list[EmailMessage]:
    found = []
    for _sender, _to, content in box.messages:
        mail = email.message_from_bytes(content, policy=email.policy.default)
        if str(mail["Subject"]).startswith("dxq weekly"):
            assert isinstance(mail, EmailMessage)
            found.append(mail)
    return found


def _by_recipient(box: Mailbox) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in _digests(box)}


def _text(mail: EmailMessage, kind: str) -> str:
    part = mail.get_body((kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _pass(config: Config, now: datetime, holder: str = "test") -> list[Outcome]:
    store = ResultStore.open(config.store)
    try:
        return send_due(store, config, now, holder)
    finally:
        store.dispose()


def _rows(config: Config) -> list[digests.DigestRow]:
    store = ResultStore.open(config.store)
    try:
        return digests.rows(store)
    finally:
        store.dispose()


def test_one_digest_per_owner_with_email_with_the_weeks_figures(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox
) -> None:
    _, config = _world(tmp_path, history, mailbox.port)
    now = _after_next_firing()
    outcomes = _pass(config, now)
    assert sorted(o.owner for o in outcomes) == ["alice", "bob"]
    mails = _by_recipient(mailbox)
    # carol has no e-mail and dave owns no integration: neither gets one
    assert set(mails) == {"alice@example.com", "bob@example.com, ops@example.com"}
    alice, bob = mails["alice@example.com"], mails["bob@example.com, ops@example.com"]
    assert alice["Subject"] == "dxq weekly: 1 of 2 integrations healthy all week"
    assert bob["Subject"] == "dxq weekly: 0 of 1 integration healthy all week"
    text = _text(alice, "plain")
    assert "orders - Orders <from> the shop & to the ERP\n" in text
    assert "  2 of 2 runs healthy (100%); worst mismatch —; longest stale period —; " in text
    assert "stock - Stock levels\n  0 of 1 runs healthy (0%); worst mismatch 50%;" in text
    assert "alerts 1 opened / 0 resolved" in text  # the stock alert of the failed run
    assert f"  {DASHBOARD}/integration?integration=orders\n" in text
    assert "Totals: 2 of 3 runs healthy (67%); worst mismatch 50%;" in text
    assert "prices" not in text  # carol's integration
    assert "orders" not in _text(bob, "plain")
    html = _text(alice, "html")
    assert "Orders &lt;from&gt; the shop &amp; to the ERP" in html
    assert f'href="{DASHBOARD}/integration?integration=stock"' in html
    assert "<from>" not in html
    firing = now - timedelta(minutes=1)
    assert f"{firing - timedelta(days=7):%Y-%m-%d %H:%M} to {firing:%Y-%m-%d %H:%M} UTC" in text
    assert [(r.owner, r.state, r.attempts) for r in _rows(config)] == [
        ("alice", "sent", 1),
        ("bob", "sent", 1),
    ]


def test_a_second_pass_in_the_same_week_sends_nothing(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox
) -> None:
    _, config = _world(tmp_path, history, mailbox.port)
    now = _after_next_firing()
    assert len(_pass(config, now)) == 2
    assert _pass(config, now + timedelta(hours=30)) == []
    assert len(_digests(mailbox)) == 2
    # the next week's firing sends the next digests
    assert len(_pass(config, now + timedelta(days=7))) == 2
    assert len(_digests(mailbox)) == 4


def test_two_passes_racing_send_each_digest_once(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox
) -> None:
    _, config = _world(tmp_path, history, mailbox.port)
    now = _after_next_firing()
    start = threading.Barrier(2)
    sent: list[list[Outcome]] = []
    errors: list[BaseException] = []

    def scheduler(holder: str) -> None:
        store = ResultStore.open(config.store)
        try:
            start.wait()
            sent.append(send_due(store, config, now, holder))
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=scheduler, args=(f"s{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(o.owner for found in sent for o in found) == ["alice", "bob"]
    assert sorted(str(m["To"]) for m in _digests(mailbox)) == [
        "alice@example.com",
        "bob@example.com, ops@example.com",
    ]


def test_smtp_down_marks_nothing_sent_and_the_next_pass_sends(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    path, down = _world(tmp_path, history, free_port())  # nothing listens there
    now = _after_next_firing()
    with caplog.at_level(logging.WARNING, logger="dxq.schedule"):
        outcomes = _pass(down, now)
    assert [o.result.delivered for o in outcomes] == [False, False]
    assert [(r.state, r.sent_at) for r in _rows(down)] == [("failed", None), ("failed", None)]
    lines = [r.getMessage() for r in caplog.records if "weekly digest" in r.getMessage()]
    assert len(lines) == 2 and all("\n" not in line for line in lines), lines
    assert "weekly digest for alice" in lines[0] and "retried on the next pass" in lines[0]
    up = load_config(_write(path, _document(down.store, history[1], mailbox.port)), {})
    assert sorted(o.owner for o in _pass(up, now + timedelta(seconds=10))) == ["alice", "bob"]
    assert len(_digests(mailbox)) == 2
    assert [(r.state, r.attempts) for r in _rows(up)] == [("sent", 2), ("sent", 2)]


def test_a_refused_digest_waits_an_hour_before_it_is_tried_again(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    _, config = _world(tmp_path, history, mailbox.port)
    now = _after_next_firing()
    mailbox.refuse = "550 no such user"
    with caplog.at_level(logging.WARNING, logger="dxq.schedule"):
        assert [o.result.retryable for o in _pass(config, now)] == [False, False]
    assert "retried after" in caplog.text and "every recipient refused (550)" in caplog.text
    mailbox.refuse = None
    assert _pass(config, now + timedelta(minutes=59)) == []
    assert sorted(o.owner for o in _pass(config, now + timedelta(minutes=61))) == ["alice", "bob"]
    assert len(_digests(mailbox)) == 2


def test_an_address_with_a_line_break_is_a_failed_digest_not_a_header(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox
) -> None:
    path, config = _world(tmp_path, history, mailbox.port)
    document = _document(config.store, history[1], mailbox.port)
    bad = "bob@example.com\r\nBcc: evil@example.com"
    document["owners"]["bob"]["email"] = bad
    with pytest.raises(ConfigError, match=r"(?s)owners\.bob\.email: .* is not an e-mail address"):
        load_config(_write(path, document), {})
    # The monitor file refuses it; should such an address reach the sender another way, the
    # sender refuses it too.
    config = load_config(_write(path, _document(config.store, history[1], mailbox.port)), {})
    bob = config.owners["bob"].model_copy(update={"email": [bad]})
    config = config.model_copy(update={"owners": {**config.owners, "bob": bob}})
    outcomes = _pass(config, _after_next_firing())
    failed = {o.owner: o.result for o in outcomes if not o.result.delivered}
    assert list(failed) == ["bob"] and not failed["bob"].retryable
    assert "cannot compose the digest" in str(failed["bob"].error)
    assert [to for _, to, _ in mailbox.messages] == [["alice@example.com"]]


def test_the_latest_firing_of_a_frequent_or_weekly_schedule() -> None:
    now = datetime(2026, 12, 9, 10, 7, 30, tzinfo=UTC)  # a Wednesday
    assert latest_firing("*/5 * * * *", "UTC", now) == datetime(2026, 12, 9, 10, 5, tzinfo=UTC)
    assert latest_firing("0 8 * * 1", "UTC", now) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    berlin = latest_firing("0 8 * * 1", "Europe/Berlin", now)
    assert berlin == datetime(2026, 12, 7, 7, 0, tzinfo=UTC) and berlin.tzinfo is UTC
    assert latest_firing("0 8 1 1 *", "UTC", now) is None  # not within the week


def test_the_scheduler_housekeeping_sends_due_digests(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox
) -> None:
    from monitor.daemon.scheduler import Options, Scheduler

    path, config = _world(tmp_path, history, mailbox.port)
    now = _after_next_firing()
    scheduler = Scheduler(Options(config_path=path), config, env={}, clock=lambda: now)
    try:
        scheduler._housekeep()
        scheduler._housekeep()
    finally:
        scheduler._pool.shutdown()
        scheduler.store.dispose()
    assert len(_digests(mailbox)) == 2


def test_no_digest_section_sends_nothing(
    tmp_path: Path, history: tuple[Path, str], mailbox: Mailbox
) -> None:
    path, config = _world(tmp_path, history, mailbox.port)
    document = _document(config.store, history[1], mailbox.port)
    del document["digest"]
    assert _pass(load_config(_write(path, document), {}), _after_next_firing()) == []
    assert mailbox.messages == []


def test_preview_prints_without_sending(
    tmp_path: Path,
    history: tuple[Path, str],
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, config = _world(tmp_path, history, mailbox.port)
    assert main(["digest", "-c", str(path), "--preview", "--owner", "bob"]) == 0
    out = capsys.readouterr().out
    assert "To: bob@example.com, ops@example.com\n" in out
    assert "Subject: dxq weekly: 0 of 1 integration healthy all week\n" in out
    assert "stock - Stock levels\n  0 of 1 runs healthy (0%); worst mismatch 50%;" in out
    assert "alice" not in out
    assert mailbox.messages == []
    assert _rows(config) == []


def test_digest_sends_now_and_refuses_an_unknown_owner(
    tmp_path: Path,
    history: tuple[Path, str],
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, config = _world(tmp_path, history, mailbox.port)
    assert main(["digest", "-c", str(path)]) == 0
    assert capsys.readouterr().out == "alice: sent\nbob: sent\n"
    assert len(_digests(mailbox)) == 2
    assert _rows(config) == []  # by hand: the scheduled digest still goes out
    assert main(["digest", "-c", str(path), "--owner", "nobody"]) == 2
    assert "unknown owner 'nobody'" in capsys.readouterr().err
    assert main(["digest", "-c", str(path), "--owner", "carol"]) == 1  # no e-mail address
    assert len(_digests(mailbox)) == 2


def test_smtp_down_fails_dxq_digest(
    tmp_path: Path, history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _world(tmp_path, history, free_port())
    assert main(["digest", "-c", str(path), "--owner", "alice"]) == 1
    assert capsys.readouterr().out.startswith("alice: FAILED: smtp 127.0.0.1:")


def test_a_bad_digest_schedule_is_a_file_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(
        'version: 1\ndigest:\n  timezone: UTC\n  schedule: "0 8 * *"\n', encoding="utf-8"
    )
    assert main(["validate", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: digest.schedule: invalid cron expression '0 8 * *': expected 5 fields" in err
    path.write_text('version: 1\ndigest: {schedule: "0 8 * * 9"}\n', encoding="utf-8")
    assert main(["validate", "-c", str(path)]) == 2
    assert f"{path}:2: digest.schedule: invalid cron expression" in capsys.readouterr().err
