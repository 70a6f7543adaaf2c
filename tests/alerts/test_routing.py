"""Routing tree: Alertmanager semantics, table-driven; owners and the tree combined."""

from __future__ import annotations

import pytest

from alerts.errors import InvalidMatcher
from alerts.matcher import Matcher
from alerts.owner import Owner, Role
from alerts.routing import (
    EscalationStep,
    Route,
    explain_route,
    receivers_for,
    route,
    validate_tree,
)

M = Matcher.parse

TREE = Route(
    receiver="data-maintenance",
    repeat_interval_s=4 * 3600,
    routes=(
        Route(receiver="maint-errors", matchers=(M("kind=run_error"),)),
        Route(
            receiver="integration-oncall",
            matchers=(M("severity=critical"),),
            continue_=True,
            escalate=(EscalationStep(1800, "ecommerce-po"),),
        ),
        Route(
            matchers=(M("integration=~order.*"),),  # no receiver: inherits the root's
            repeat_interval_s=600,
            routes=(
                Route(receiver="erp-team", matchers=(M("target_system=erp"),)),
                Route(receiver="not-erp", matchers=(M("target_system!~erp|crm"),)),
            ),
        ),
        Route(receiver="anything-but-shop", matchers=(M("target_system!=shop"),)),
    ),
)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # first matching child wins, later siblings are not tried
        ({"kind": "run_error", "severity": "critical"}, ["maint-errors"]),
        # continue: critical goes on to the next siblings
        (
            {"severity": "critical", "integration": "orders", "target_system": "erp"},
            ["integration-oncall", "erp-team"],
        ),
        # nested child wins inside a receiver-less parent
        ({"integration": "orders", "target_system": "wms"}, ["not-erp"]),
        # !~ is anchored: "crm" is excluded but "crm2" is not
        ({"integration": "orders", "target_system": "crm2"}, ["not-erp"]),
        # no child of the parent matches: the parent (with the inherited receiver) catches
        ({"integration": "orders", "target_system": "crm"}, ["data-maintenance"]),
        # =~ is anchored: "reorders" does not match "order.*"
        ({"integration": "reorders", "target_system": "shop"}, ["data-maintenance"]),
        # != on a missing label: missing counts as "", which differs from "shop"
        ({"integration": "catalog"}, ["anything-but-shop"]),
        # nothing matches: the root catches
        ({"integration": "catalog", "target_system": "shop"}, ["data-maintenance"]),
    ],
)
def test_route_receivers(labels: dict[str, str], expected: list[str]) -> None:
    assert [m.receiver for m in route(TREE, labels)] == expected


def test_children_inherit_repeat_and_escalation() -> None:
    matches = route(TREE, {"severity": "critical", "integration": "orders", "target_system": "erp"})
    oncall, erp = matches
    assert oncall.path == (1,) and oncall.repeat_interval_s == 4 * 3600
    assert oncall.escalate == (EscalationStep(1800, "ecommerce-po"),)
    assert erp.path == (2, 0) and erp.repeat_interval_s == 600 and erp.escalate == ()


def test_root_matchers_are_ignored_and_flagged() -> None:
    tree = Route(receiver="root", matchers=(M("kind=nope"),))
    assert [m.receiver for m in route(tree, {"kind": "data_quality"})] == ["root"]
    assert "routes: the root route matches every alert: remove its matchers" in validate_tree(tree)


@pytest.mark.parametrize(
    ("tree", "fragment"),
    [
        (Route(receiver="r", routes=(Route(matchers=(M("sevrity=critical"),)),)), "unknown label"),
        (
            Route(receiver="r", routes=(Route(matchers=(M("check=~(unclosed"),)),)),
            "invalid regular expression",
        ),
        (Route(routes=()), "needs a 'receiver'"),
        (Route(receiver="r", routes=(Route(receiver="ghost"),)), "unknown receiver 'ghost'"),
        (Route(receiver="r", repeat_interval_s=0), "must be positive"),
    ],
)
def test_validate_tree_reports_problems(tree: Route, fragment: str) -> None:
    problems = validate_tree(tree, known_receivers={"r"})
    assert any(fragment in p for p in problems), problems


def test_validate_tree_accepts_good_tree() -> None:
    known = {"data-maintenance", "maint-errors", "integration-oncall", "ecommerce-po"}
    known |= {"erp-team", "not-erp", "anything-but-shop"}
    assert validate_tree(TREE, known) == []


def test_bad_regex_never_matches() -> None:
    assert not M("check=~(x").matches({"check": "(x"})
    assert not M("check!~(x").matches({"check": "y"})


@pytest.mark.parametrize("text", ["severity", "severity<>critical", "=x"])
def test_matcher_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidMatcher):
        M(text)


def test_matcher_parse_strips_quotes() -> None:
    assert M('check=~"fresh.*"') == Matcher("check", "=~", "fresh.*")


OWNERS = {
    "po": Owner("po", "Product owner", Role.BUSINESS, emails=("po@example.com",)),
    "oncall": Owner("oncall", role=Role.ONCALL, slack_webhook="http://127.0.0.1:1/x"),
    "maint": Owner("maint", role=Role.MAINTENANCE, emails=("dt@example.com",)),
    "ops": Owner("ops", role=Role.MAINTENANCE, emails=("ops@example.com",)),
}
SMALL = Route(
    receiver="po",  # a business root, to prove run_error never reaches it
    routes=(
        Route(
            receiver="oncall",
            matchers=(M("severity=critical"),),
            escalate=(EscalationStep(60, "po"), EscalationStep(30, "ops")),
        ),
    ),
)


@pytest.mark.parametrize(
    ("labels", "owners", "tree", "expected"),
    [
        ({"kind": "data_quality"}, ["po", "oncall", "maint"], None, ("po", "oncall", "maint")),
        ({"kind": "data_quality", "severity": "critical"}, ["po"], SMALL, ("po", "oncall")),
        ({"kind": "data_quality"}, [], None, ("maint", "ops")),
        ({"kind": "run_error"}, ["po", "oncall", "maint"], None, ("oncall", "maint")),
        ({"kind": "run_error"}, ["po"], None, ("maint", "ops")),
        ({"kind": "run_error"}, ["po"], SMALL, ("maint", "ops")),
        ({"kind": "run_error", "severity": "critical"}, ["po"], SMALL, ("oncall",)),
        ({"kind": "missed"}, ["po", "oncall"], None, ("oncall",)),
        ({"kind": "dead_letter"}, [], None, ("maint", "ops")),
    ],
)
def test_receivers_for(
    labels: dict[str, str], owners: list[str], tree: Route | None, expected: tuple[str, ...]
) -> None:
    assert receivers_for(labels, owners, OWNERS, tree).receivers == expected


def test_run_error_escalation_skips_business_owners() -> None:
    labels = {"kind": "run_error", "severity": "critical"}
    assert receivers_for(labels, [], OWNERS, SMALL).escalate == (EscalationStep(30, "ops"),)
    labels["kind"] = "data_quality"
    steps = receivers_for(labels, [], OWNERS, SMALL).escalate
    assert steps == (EscalationStep(30, "ops"), EscalationStep(60, "po"))


def test_nobody_left_falls_back_to_root() -> None:
    only_business = {"po": OWNERS["po"]}
    tree = Route(receiver="somebody")
    assert receivers_for({"kind": "run_error"}, ["po"], only_business, tree).receivers == (
        "somebody",
    )


def test_explain_route() -> None:
    labels = {"integration": "orders", "severity": "critical", "target_system": "erp"}
    lines = explain_route(labels, ["po"], OWNERS, TREE)
    text = "\n".join(lines)
    assert 'matched routes.routes[1] (severity="critical") -> integration-oncall; continue' in text
    assert 'matched routes.routes[2].routes[0] (target_system="erp") -> erp-team' in text
    assert "escalate after 30m unacknowledged -> ecommerce-po" in text
    assert lines[-1] == "receivers: po, integration-oncall, erp-team"
    plain = explain_route({"kind": "run_error"}, ["po"], OWNERS, None)
    assert "no routes tree configured" in "\n".join(plain)
    assert plain[-1] == "receivers: maint, ops"
