"""One grammar for alert matchers (`alerts.matcher`): the same text gives the same Matcher in the
monitor file's routes, in stored silences, in `dxq alerts route` and in the dashboard's route
tester — quotes and backslash escapes included."""

from __future__ import annotations

import io
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.errors import InvalidMatcher
from alerts.matcher import Matcher, label_text, split_matchers
from monitor.commands.alerts import explain_labels, read_labels, route_command
from monitor.config.loading import load_config
from monitor.run.alert_context import alert_context
from store.alert_state import active_silences
from store.schema import silences
from store.store import ResultStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# (text as written, the matcher it means)
CASES = [
    ("check=~'fresh.*'", Matcher("check", "=~", "fresh.*")),
    ('check=~"fresh.*"', Matcher("check", "=~", "fresh.*")),
    ("check=~fresh.*", Matcher("check", "=~", "fresh.*")),
    (r'check="say \"hi\""', Matcher("check", "=", 'say "hi"')),
    (r"check='it\'s'", Matcher("check", "=", "it's")),
    (r'check=~"row\d+"', Matcher("check", "=~", r"row\d+")),
    (r'check="back\\slash"', Matcher("check", "=", "back\\slash")),
    (r'check="two\nlines"', Matcher("check", "=", "two\nlines")),
    ("severity != 'warning'", Matcher("severity", "!=", "warning")),
    ("integration!~'order.*|crm'", Matcher("integration", "!~", "order.*|crm")),
]


def _config(tmp_path: Path, matcher_text: str) -> Path:
    quoted = "'" + matcher_text.replace("'", "''") + "'"  # a YAML single-quoted scalar
    path = tmp_path / "dxq.yml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            owners:
              ops: {role: maintenance, email: ops@example.com}
              po: {role: business, email: po@example.com}
            smtp: {host: 127.0.0.1}
            routes:
              receiver: ops
              routes:
                - receiver: po
                  matchers:
                    - MATCHER
            """
        ).replace("MATCHER", quoted),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_the_parser(text: str, expected: Matcher) -> None:
    assert Matcher.parse(text) == expected
    assert Matcher.parse(str(expected)) == expected  # str() writes text parse reads back


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_the_monitor_file_routes(tmp_path: Path, text: str, expected: Matcher) -> None:
    config = load_config(_config(tmp_path, text), {})
    tree = alert_context(config).tree
    assert tree is not None
    assert tree.routes[0].matchers == (expected,)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_stored_silences(tmp_path: Path, text: str, expected: Matcher) -> None:
    store = ResultStore.open(f"sqlite:///{tmp_path}/results.db")
    with store.transaction() as tx:
        tx.connection.execute(
            sa.insert(silences).values(
                matchers=[text],
                starts_at=NOW,
                ends_at=NOW + timedelta(hours=1),
                author="ann",
                comment="deploy",
                created_at=NOW,
                created_by="ann",
            )
        )
    with store.engine.connect() as connection:
        found = active_silences(connection, NOW)
    store.dispose()
    assert [s.matchers for s in found] == [(expected,)]


@pytest.mark.parametrize(("text", "expected"), [c for c in CASES if c[1].op == "="])
def test_dxq_alerts_route_and_the_route_tester(
    tmp_path: Path, text: str, expected: Matcher
) -> None:
    """`dxq alerts route` gets the words after the shell took its quotes off; the route tester
    gets the line as typed. Both read labels with the same grammar."""
    assert read_labels([text]) == ({"check": expected.value}, [])
    assert split_matchers(f"kind=run_error {text}  severity=error") == [
        "kind=run_error",
        text,
        "severity=error",
    ]
    config = load_config(_config(tmp_path, "kind=missed"), {})
    typed = explain_labels(alert_context(config), split_matchers(f"{text} severity=error"))
    assert typed.problems == []
    assert label_text("check", expected.value) in typed.lines[0]
    assert len(typed.lines[0].splitlines()) == 1
    out, err = io.StringIO(), io.StringIO()
    assert route_command(config, [text, "severity=error"], out, err) == 0
    assert out.getvalue().splitlines() == typed.lines


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("severity", "cannot read"),
        ("severity<>critical", "cannot read"),
        ("=x", "cannot read"),
        ("check='open", "closing ' is missing"),
        ('check="a"b"', 'unescaped "'),
    ],
)
def test_bad_text_is_refused_everywhere(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(InvalidMatcher, match=fragment):
        Matcher.parse(text)
    with pytest.raises(Exception, match=fragment):
        load_config(_config(tmp_path, text), {})
    labels, problems = read_labels([text])
    assert labels == {} and len(problems) == 1


def test_route_words_must_be_labels_not_conditions() -> None:
    labels, problems = read_labels(["severity=~crit.*", "colour=blue", "kind=nope"])
    assert labels == {}
    assert problems == [
        "'severity=~crit.*': an alert has values, not conditions; write label=value",
        "unknown label 'colour'; known labels: integration, source_system, target_system, "
        "check, kind, severity",
        "unknown kind 'nope'; allowed: data_quality|run_error|missed|dead_letter|anomaly",
    ]
