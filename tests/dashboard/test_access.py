"""Who is looking: sign-in, roles by owner e-mail, and the local user's name (kept for the
browser session, printable, never the OS user)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from demo.command import DEMO_CONFIG
from monitor import actions, cli
from monitor.access import MAINTAINER, ONCALL, RESPONDER, roles_for
from monitor.config.loading import load_config
from store.schema import alerts
from tests.dashboard.support import open_page, open_signed_in, text_of


@pytest.fixture(scope="module")
def config():  # type: ignore[no-untyped-def]
    return load_config(DEMO_CONFIG, {**os.environ, "DXQ_DEMO_DIR": "/nonexistent"})


@pytest.mark.parametrize(
    ("email", "roles", "may_ack_catalog"),
    [
        ("oncall@example.com", {RESPONDER, ONCALL}, True),
        ("DATA-TEAM@example.com", {RESPONDER, MAINTAINER}, True),
        ("shop-owner@example.com", {RESPONDER}, True),  # owns product-catalog
        ("finance@example.com", {RESPONDER}, False),  # owns orders, not the catalogue
        ("stranger@example.com", set(), False),
        ("", set(), False),
    ],
)
def test_roles_come_from_owner_emails(config, email, roles, may_ack_catalog) -> None:  # type: ignore[no-untyped-def]
    viewer = roles_for(config, email)
    assert viewer.roles - {"viewer"} == roles
    owners = list(config.integrations["product-catalog"].owners)
    assert viewer.may_respond(owners) is may_ack_catalog


@pytest.mark.usefixtures("demo_dashboard")
@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("overview", {}),
        ("runs", {"runs_integration": "orders"}),
        ("check", {"integration": "orders", "check": "reconcile"}),
        ("alerts", {}),
        ("suites", {}),
    ],
)
def test_a_visitor_not_signed_in_sees_only_the_sign_in_prompt(
    page: str, params: dict[str, str]
) -> None:
    at = open_signed_in(page, {"is_logged_in": False}, **params)
    assert [t.value for t in at.title] == ["Sign in"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.code and not at.get("plotly_chart")
    assert not at.get("vega_lite_chart")
    assert not at.text_input  # no local name field once sign-in is configured


@pytest.mark.usefixtures("demo_dashboard")
def test_run_now_needs_the_responder_role() -> None:
    user = {"is_logged_in": True, "email": "stranger@example.com"}
    at = open_signed_in("runs", user, runs_integration="orders")
    assert not [b for b in at.button if "now" in b.label]
    assert "Only owners, on-call and maintenance may run" in text_of(at)


@pytest.mark.usefixtures("demo_dashboard")
def test_the_typed_name_survives_page_changes_and_no_os_user_is_shown() -> None:
    at = open_page()
    field = at.text_input(key="dxq_actor")
    assert field.value == "" and not field.placeholder  # nothing that looks filled in
    field.input("Dana On-Call").run()
    for page in ("alerts", "check", "runs", "overview"):
        at.switch_page(f"dashboard/pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.text_input(key="dxq_actor").value == "Dana On-Call", page


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("  Dana  ", "Dana"),
        ("Zoë Ångström", "Zoë Ångström"),
        ("李雷", "李雷"),
        ("\u200bDana\u200b", "Dana"),  # invisible edges are trimmed
    ],
)
def test_a_printable_name_is_kept(typed: str, recorded: str) -> None:
    assert actions.actor_name(typed) == recorded


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u00a0\u3000", "\u0301", "a\nb"],
)
def test_a_name_without_visible_characters_is_refused(typed: str) -> None:
    with pytest.raises(actions.ActionFailed, match="Say who you are"):
        actions.actor_name(typed)


@pytest.mark.usefixtures("demo_dashboard")
@pytest.mark.parametrize("typed", ["", "\u200b\u200b"])
def test_acknowledge_refuses_a_blank_or_invisible_name(demo_dashboard: str, typed: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        firing = c.execute(
            sa.select(alerts.c.id, alerts.c.integration, alerts.c.check)
            .where(alerts.c.state == "firing", alerts.c.check.is_not(None))
            .limit(1)
        ).one()
    at = open_page("check", integration=firing.integration, check=firing.check)
    at.text_input(key="dxq_actor").input("someone").run()
    at.text_input(key="dxq_actor").input(typed).run()
    next(b for b in at.button if b.label == "Acknowledge").click().run()
    assert any("Say who you are" in e.value for e in at.error), [e.value for e in at.error]
    with engine.connect() as c:
        state = c.execute(sa.select(alerts.c.state).where(alerts.c.id == firing.id)).scalar_one()
    engine.dispose()
    assert state == "firing"


def test_dashboard_on_a_public_address_without_sign_in_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from demo.command import DEMO_CONFIG
    from monitor.commands import serving

    monkeypatch.setenv("HOME", str(tmp_path))
    served: list[str] = []
    monkeypatch.setattr(serving, "serve_dashboard", lambda *a, **k: served.append(k["address"]))
    args = ["dashboard", "-c", str(DEMO_CONFIG), "--address", "0.0.0.0"]
    assert cli.main(args) == cli.USAGE_ERROR
    assert "refusing to serve the dashboard on 0.0.0.0" in capsys.readouterr().err
    assert served == []
    cli.main(["dashboard", "-c", str(DEMO_CONFIG), "--address", "::1"])  # loopback is fine
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nredirect_uri = "https://dxq.example.com/oauth2callback"\n')
    cli.main(args)
    assert served == ["::1", "0.0.0.0"]
