"""The Alerts page's own logic through AppTest on a copy of the demo store: the route tester
calls the routing explanation directly (same grammar and lines as `dxq alerts route`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alerts.matcher import split_matchers
from monitor.commands.alerts import explain_labels
from monitor.config.loading import load_config
from monitor.run.alerting import alert_context
from tests.dashboard.support import open_page

pytestmark = pytest.mark.usefixtures("demo_dashboard")


def _explained(text: str) -> list[str]:
    config = load_config(Path(os.environ["DXQ_CONFIG"]), os.environ)
    return explain_labels(alert_context(config), split_matchers(text)).lines


def test_route_tester_reads_quotes_like_the_monitor_file() -> None:
    text = "integration=orders check='row count' severity=critical"
    at = open_page("alerts")
    at.text_input(key="route_labels").input(text).run()
    assert not at.exception and not at.error
    shown = at.code[0].value.splitlines()
    assert 'labels: integration=orders, check="row count", severity=critical' in shown[0]
    assert shown == _explained(text)


def test_route_tester_refuses_conditions_where_values_belong() -> None:
    at = open_page("alerts")
    at.text_input(key="route_labels").input("check=~'fresh.*'").run()
    assert [e.value for e in at.error] == [
        "\"check=~'fresh.*'\": an alert has values, not conditions; write label=value"
    ]
    assert not at.code
