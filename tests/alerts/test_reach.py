"""Who hears of an alert kind: run_error goes to the integration's maintenance AND on-call owners
(as the README says); `dxq alerts route` exits 1 with a warning line, and `dxq validate` warns,
when an alert kind would reach nobody."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alerts.owner import Owner, Role
from alerts.routing import receivers_for
from monitor.cli import main

OWNERS = {
    "po": Owner("po", "Product owner", Role.BUSINESS, emails=("po@example.com",)),
    "pager": Owner("pager", role=Role.ONCALL, webhook="http://127.0.0.1:1/hook"),
    "ops": Owner("ops", role=Role.MAINTENANCE, emails=("ops@example.com",)),
}


@pytest.mark.parametrize("kind", ["run_error", "missed"])
def test_a_team_whose_only_owner_is_oncall_hears_of_its_errors(kind: str) -> None:
    """Before, run_error went to maintenance only: the on-call team never heard."""
    assert receivers_for({"kind": kind}, ["pager"], OWNERS).receivers == ("pager",)


def test_business_owners_still_never_get_run_errors() -> None:
    assert receivers_for({"kind": "run_error"}, ["po"], OWNERS).receivers == ("ops",)
    assert receivers_for({"kind": "dead_letter"}, ["pager"], OWNERS).receivers == ("ops",)


def _config(tmp_path: Path) -> str:
    """A team with a business owner only, and no maintenance owner anywhere: its run_error,
    missed and dead_letter alerts reach nobody; its data_quality alerts reach the owner."""
    path = tmp_path / "dxq.yml"
    path.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            owners:
              po: {{role: business, webhook: "http://127.0.0.1:1/po"}}
            systems:
              shop: {{url: "sqlite:///{tmp_path}/shop.db"}}
            integrations:
              orders:
                source: shop.a
                target: shop.b
                key: id
                owners: po
                volume: {{}}
            """
        ),
        encoding="utf-8",
    )
    return str(path)


def test_route_exits_1_with_a_warning_when_nobody_would_hear(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    assert main(["alerts", "route", "-c", config, "integration=orders", "kind=run_error"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "receivers: (nobody)"
    assert err.splitlines() == [
        "dxq: warning: run_error alerts reach nobody; give the integration an owner who may "
        "receive them (run_error and missed: oncall or maintenance), add a maintenance owner, "
        "or give `routes` a root receiver"
    ]
    assert main(["alerts", "route", "-c", config, "integration=orders"]) == 0
    assert "receivers: po" in capsys.readouterr().out


def test_validate_warns_for_each_kind_that_reaches_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "-c", _config(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: 1 integration")
    warned = [line.split(": warning: ")[1].split(" alerts")[0] for line in err.splitlines()]
    assert warned == ["run_error", "missed", "dead_letter"]
    assert all(line.startswith("dxq: integrations.orders: warning: ") for line in err.splitlines())
