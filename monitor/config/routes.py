"""The `routes` section of the monitor file: the alert routing tree and its matchers."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from alerts.errors import InvalidMatcher
from alerts.matcher import Matcher, check_label, regex_problems
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
    """A node of the routing tree (Alertmanager semantics, section 8)."""

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
