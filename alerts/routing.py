"""The routing tree (Alertmanager semantics) and who receives an alert.

How the integration's owners and the `routes` tree combine (`receivers_for`):

- `data_quality` alerts (label `kind` `data_quality`, or `anomaly` for an anomaly result's)
  go to the integration's owners, plus every receiver the tree matches.
  Without a tree the owners alone receive them; an integration without owners falls back to the
  maintenance owners (or the tree's root receiver).
- `run_error`, `dead_letter` and `missed` alerts go to the receivers the tree matches plus the
  integration's maintenance owners (`run_error` and `missed` also its on-call owners: a check that
  cannot run or a run that never came is theirs to look at), but never to an owner with role
  `business`. If that leaves nobody: every maintenance owner, else the root receiver.
- Repeat interval and escalation come from the tree's matches (shortest repeat, all escalation
  steps merged); `None`/empty means "use the monitor-wide default".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from alerts.matcher import Matcher, describe, label_text, match_all
from alerts.owner import Owner, Role
from datasources.durations import format_duration

_T = TypeVar("_T")
ANOMALY = "anomaly"  # the `kind` label of a data_quality alert about an anomaly result
DATA_KINDS = ("data_quality", ANOMALY)  # label kinds of alerts about the data itself
# The integration's own owners who receive dxq's alerts about itself, by alert kind.
OWN_ROLES = {
    "run_error": {Role.MAINTENANCE, Role.ONCALL},
    "missed": {Role.MAINTENANCE, Role.ONCALL},
    "dead_letter": {Role.MAINTENANCE},
}


@dataclass(frozen=True)
class EscalationStep:
    """Notify `receiver` when the alert is still unacknowledged `after_s` seconds after firing."""

    after_s: float
    receiver: str


@dataclass(frozen=True)
class Route:
    """One node of the tree; unset fields (None) are inherited from the parent."""

    receiver: str | None = None
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    repeat_interval_s: float | None = None
    escalate: tuple[EscalationStep, ...] | None = None
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True)
class RouteMatch:
    """A route that caught the alert, with inherited settings resolved."""

    receiver: str
    path: tuple[int, ...]  # child indices from the root, 0-based as in the file; () is the root
    matchers: str  # description of the matched node's own matchers
    continue_: bool
    repeat_interval_s: float | None
    escalate: tuple[EscalationStep, ...]

    @property
    def name(self) -> str:
        """Where the route is in the monitor file, as validation names it: `routes` (the root)
        or `routes.routes[2].routes[0]`."""
        return "routes" + "".join(f".routes[{i}]" for i in self.path)


@dataclass(frozen=True)
class Recipients:
    """Who gets an alert, when to remind and whom to escalate to."""

    receivers: tuple[str, ...]
    repeat_interval_s: float | None
    escalate: tuple[EscalationStep, ...]
    matches: tuple[RouteMatch, ...] = ()


def route(tree: Route, labels: Mapping[str, str]) -> list[RouteMatch]:
    """The routes an alert reaches: first matching child wins unless `continue`; the root
    always catches (its matchers are ignored)."""
    root = RouteMatch(
        receiver=tree.receiver or "",
        path=(),
        matchers=describe(tree.matchers),
        continue_=False,
        repeat_interval_s=tree.repeat_interval_s,
        escalate=tree.escalate or (),
    )
    return _walk(tree, labels, root)


def _walk(node: Route, labels: Mapping[str, str], here: RouteMatch) -> list[RouteMatch]:
    found: list[RouteMatch] = []
    for index, child in enumerate(node.routes):
        if not match_all(child.matchers, labels):
            continue
        inherited = RouteMatch(
            receiver=child.receiver if child.receiver is not None else here.receiver,
            path=(*here.path, index),
            matchers=describe(child.matchers),
            continue_=child.continue_,
            repeat_interval_s=(
                child.repeat_interval_s
                if child.repeat_interval_s is not None
                else here.repeat_interval_s
            ),
            escalate=child.escalate if child.escalate is not None else here.escalate,
        )
        found.extend(_walk(child, labels, inherited))
        if not child.continue_:
            break
    return found or [here]


def receivers_for(
    labels: Mapping[str, str],
    integration_owners: Sequence[str],
    owners: Mapping[str, Owner],
    tree: Route | None = None,
) -> Recipients:
    """Who receives an alert with these labels (see the module docstring for the rules)."""
    matches = tuple(route(tree, labels)) if tree is not None else ()
    routed = [m.receiver for m in matches if m.receiver]
    kind = labels.get("kind", "data_quality")
    if kind in DATA_KINDS:
        chosen = _unique([*integration_owners, *routed])
        if not chosen:
            chosen = _maintenance(owners) or _root(tree)
    else:
        roles = OWN_ROLES.get(kind, {Role.MAINTENANCE})
        own = [o for o in integration_owners if o in owners and owners[o].role in roles]
        chosen = [r for r in _unique([*routed, *own]) if not _is_business(r, owners)]
        if not chosen:
            chosen = _maintenance(owners) or _root(tree)
    repeats = [m.repeat_interval_s for m in matches if m.repeat_interval_s is not None]
    steps = _unique([s for m in matches for s in m.escalate])
    if kind not in DATA_KINDS:
        steps = [s for s in steps if not _is_business(s.receiver, owners)]
    return Recipients(
        receivers=tuple(chosen),
        repeat_interval_s=min(repeats) if repeats else None,
        escalate=tuple(sorted(steps, key=lambda s: (s.after_s, s.receiver))),
        matches=matches,
    )


def _unique(items: Sequence[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def _is_business(receiver: str, owners: Mapping[str, Owner]) -> bool:
    owner = owners.get(receiver)
    return owner is not None and owner.role is Role.BUSINESS


def _maintenance(owners: Mapping[str, Owner]) -> list[str]:
    return [o.id for o in owners.values() if o.role is Role.MAINTENANCE]


def _root(tree: Route | None) -> list[str]:
    return [tree.receiver] if tree is not None and tree.receiver else []


def explain_route(
    labels: Mapping[str, str],
    integration_owners: Sequence[str],
    owners: Mapping[str, Owner],
    tree: Route | None = None,
) -> list[str]:
    """Lines for `dxq alerts route key=value…`: the matched routes, the owners, the result."""
    shown = ", ".join(label_text(k, v) for k, v in labels.items()) or "(no labels)"
    lines = [f"labels: {shown}"]
    kind = labels.get("kind", "data_quality")
    if integration_owners:
        lines.append(f"integration owners: {', '.join(integration_owners)}")
    if tree is None:
        lines.append("no routes tree configured: the integration's owners receive its alerts")
    recipients = receivers_for(labels, integration_owners, owners, tree)
    for m in recipients.matches:
        line = f"matched {m.name} ({m.matchers}) -> {m.receiver or '(no receiver)'}"
        if m.continue_:
            line += "; continue"
        lines.append(line)
    if kind not in DATA_KINDS:
        lines.append(f"{kind} alerts never go to business owners")
    for step in recipients.escalate:
        lines.append(
            f"escalate after {format_duration(step.after_s)} unacknowledged -> {step.receiver}"
        )
    if recipients.repeat_interval_s is not None:
        lines.append(f"repeat every {format_duration(recipients.repeat_interval_s)}")
    lines.append(f"receivers: {', '.join(recipients.receivers) or '(nobody)'}")
    return lines


def validate_tree(tree: Route, known_receivers: Collection[str] | None = None) -> list[str]:
    """Every problem in a tree, each as `routes.routes[1]: message` (empty when fine): the
    root's own rules (`root_problems`) and every node's (`node_problems`), plus receivers
    unknown to `known_receivers` when given. The monitor file is validated by the same two
    functions, so `dxq validate` and this agree."""
    problems = [f"routes: {p}" for p in root_problems(tree)]
    _check(tree, "routes", known_receivers, problems)
    return problems


def root_problems(tree: Route) -> list[str]:
    """The root route's own rules: it catches every alert, so it has a receiver and no
    matchers."""
    problems: list[str] = []
    if tree.matchers:
        problems.append("the root route matches every alert: remove its matchers")
    if not tree.receiver:
        problems.append("the root route needs a 'receiver': it catches every alert")
    return problems


def node_problems(node: Route) -> list[str]:
    """The rules of every route (not its children): valid matchers, a positive
    repeat_interval, escalation steps that do not go back in time."""
    problems = [problem for m in node.matchers for problem in m.problems()]
    if node.repeat_interval_s is not None and node.repeat_interval_s <= 0:
        problems.append(
            "repeat_interval must be positive (leave it out to use the default of the parent)"
        )
    for i, step in enumerate(node.escalate or ()):
        if step.after_s < 0:
            problems.append(f"escalate[{i}]: after must not be negative")
    return problems


def _check(node: Route, where: str, known: Collection[str] | None, out: list[str]) -> None:
    out.extend(f"{where}: {problem}" for problem in node_problems(node))
    if known is not None and node.receiver and node.receiver not in known:
        out.append(f"{where}: unknown receiver {node.receiver!r}")
    for i, step in enumerate(node.escalate or ()):
        if known is not None and step.receiver not in known:
            out.append(f"{where}.escalate[{i}]: unknown receiver {step.receiver!r}")
    for i, child in enumerate(node.routes):
        _check(child, f"{where}.routes[{i}]", known, out)
