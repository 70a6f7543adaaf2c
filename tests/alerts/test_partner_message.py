"""Alert messages name the external partner running a system of the integration: the monitor
file's `external: true` + `partner` reaches the message through the alert context, a real
delivery carries it, and every medium shows a hostile partner name as text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from alerts.alert import Notification, NotificationKind
from alerts.message import PARTNER_FACT, build_message
from alerts.rendering import render_email, render_slack, render_teams
from monitor.config.loading import load_config
from monitor.daemon.dispatcher import dispatch_once
from monitor.run.alert_context import alert_context
from tests.alerts.outbox_support import T0, Setup, fail, make_setup
from tests.alerts.receivers import HttpReceiver
from tests.alerts.test_message import alert

PARTNER = "partner: {name: PayFast Ltd, email: support@payfast.example, phone: +49 30 1}"
NOTE = Notification("k1", NotificationKind.FIRING, 0, "po", "email", "f", 1, T0)


def _facts(partners: dict[str, str], **labels: str) -> dict[str, str]:
    found = alert("volume", {"source_rows": 10, "target_rows": 5}, labels=labels)
    return dict(build_message(found, NOTE, {}, "http://dxq", partners).facts)


def test_the_partner_of_either_side_is_a_fact_and_others_are_not() -> None:
    partners = {"psp": "PayFast Ltd (support@payfast.example)", "courier": "Parcelo (+49 1)"}
    facts = _facts(partners, source_system="psp", target_system="erp")
    assert facts[PARTNER_FACT] == "psp: PayFast Ltd (support@payfast.example)"
    facts = _facts(partners, source_system="psp", target_system="courier")
    assert facts[PARTNER_FACT] == (
        "psp: PayFast Ltd (support@payfast.example); courier: Parcelo (+49 1)"
    )
    assert PARTNER_FACT not in _facts(partners, source_system="shop", target_system="erp")
    assert PARTNER_FACT not in _facts({}, source_system="psp", target_system="erp")


def test_a_hostile_partner_name_is_text_in_every_medium() -> None:
    hostile = "<!channel> [Click](http://evil.example) <b>x</b>"
    found = alert("volume", {"source_rows": 10, "target_rows": 5})
    message = build_message(found, NOTE, {}, "http://dxq", {"ERP": hostile})
    slack = str(render_slack(message))
    assert "&lt;!channel&gt;" in slack and "<!channel>" not in slack
    teams = str(render_teams(message))
    assert "\\\\[Click\\\\]\\\\(http://evil.example\\\\)" in teams
    html = render_email(message).html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert f"{PARTNER_FACT}: ERP: {hostile}" in render_email(message).text  # plain text as is


@pytest.fixture
def partner_setup(tmp_path: Path, receiver: HttpReceiver) -> Iterator[Setup]:
    """The outbox setup (crm -> erp, owner `shop` on the receiver) with erp run by a partner."""
    for setup in make_setup(f"sqlite:///{tmp_path}/results.db", tmp_path, receiver):
        text = setup.config_path.read_text(encoding="utf-8")
        text = text.replace(
            'erp: {url: "sqlite:///erp.db"}',
            f'erp:\n    url: "sqlite:///erp.db"\n    external: true\n    {PARTNER}',
        )
        setup.config_path.write_text(text, encoding="utf-8")
        config = load_config(setup.config_path, {})
        yield replace(setup, config=config, context=alert_context(config))


def test_a_delivered_alert_names_the_partner(partner_setup: Setup) -> None:
    assert partner_setup.context.partners == {
        "erp": "PayFast Ltd (support@payfast.example, +49 30 1)"
    }
    fail(partner_setup)
    report = dispatch_once(partner_setup.store, partner_setup.context, now=T0, worker="w1")
    assert report.attempts
    bodies = [r.body for r in partner_setup.receiver.at("/shop")]
    assert bodies, "the owner's webhook received nothing"
    contact = "erp: PayFast Ltd (support@payfast.example, +49 30 1)"
    assert bodies[0]["facts"][PARTNER_FACT] == contact
