"""The `routes` section of the monitor file: the alert routing tree and its matchers."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from alerts.errors import InvalidMatcher
from alerts.matcher import Matcher, check_label, regex_problems
from alerts.routing import EscalationStep, node_problems, root_problems
from alerts.routing import Route as Tree
from monitor.config.values import Duration, Model

Label = Annotated[str, AfterValidator(check_label)]


def check_matcher(text: str) -> str:
    """The matcher text, if `alerts.matcher` reads it with a known label and a valid regex."""
    try:
        Matcher.checked(text)
    except InvalidMatcher as exc:
        raise ValueError(str(exc)) from None
    return text


def check_regex(pattern: str) -> str:
    """The pattern, if it compiles."""
    problems = regex_problems(pattern)
    if problems:
        raise ValueError(problems[0])
    return pattern


class Escalation(Model):
    after: Duration
    receiver: str


class Route(Model):
    """A node of the routing tree (Alertmanager semantics, docs/monitor-file.md#routes)."""

    receiver: str | None = None
    match: dict[Label, str] = {}
    match_re: dict[Label, Annotated[str, AfterValidator(check_regex)]] = {}
    matchers: list[Annotated[str, AfterValidator(check_matcher)]] = []
    continue_: bool = Field(default=False, alias="continue")
    repeat_interval: Duration | None = None
    escalate: list[Escalation] = []
    routes: list[Route] = []

    def all_matchers(self) -> tuple[Matcher, ...]:
        """`match`, `match_re` and `matchers` as one AND-ed list."""
        return (
            *(Matcher(k, "=", v) for k, v in self.match.items()),
            *(Matcher(k, "=~", v) for k, v in self.match_re.items()),
            *(Matcher.parse(text) for text in self.matchers),
        )

    def tree(self) -> Tree:
        """This node and its children as `alerts.routing` routes them; unset settings stay None
        (inherited)."""
        return Tree(
            receiver=self.receiver,
            matchers=self.all_matchers(),
            continue_=self.continue_,
            repeat_interval_s=self.repeat_interval,
            escalate=(
                tuple(EscalationStep(e.after, e.receiver) for e in self.escalate)
                if self.escalate
                else None
            ),
            routes=tuple(child.tree() for child in self.routes),
        )

    @model_validator(mode="after")
    def _check_node(self) -> Route:
        problems = node_problems(replace(self.tree(), routes=()))
        if problems:
            raise ValueError("; ".join(problems))
        return self


def check_root(root: Route | None) -> Route | None:
    """The root route, if it keeps the root's rules (`alerts.routing.root_problems`)."""
    problems = root_problems(root.tree()) if root is not None else []
    if problems:
        raise ValueError("; ".join(problems))
    return root
