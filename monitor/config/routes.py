"""The `routes` section of the monitor file: the alert routing tree and its matchers."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from monitor.config.values import Duration, Model, compile_regex

Label = Literal["integration", "source_system", "target_system", "check", "kind", "severity"]
_MATCHER = re.compile(r'^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')
_LABELS = ("integration", "source_system", "target_system", "check", "kind", "severity")


class Matcher(Model):
    """`label op value`; regexes (=~, !~) match the whole value, as in Alertmanager."""

    label: Label
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """A matcher from 'severity="critical"' or 'integration=~"order.*"'."""
        found = _MATCHER.match(text)
        if found is None:
            raise ValueError(f"invalid matcher '{text}'; expected label=\"value\" (=, !=, =~, !~)")
        label, op, quoted, bare = found.groups()
        if label not in _LABELS:
            raise ValueError(f"unknown label '{label}' in '{text}'; labels: {', '.join(_LABELS)}")
        value = bytes(quoted, "utf-8").decode("unicode_escape") if quoted is not None else bare
        if op in ("=~", "!~"):
            compile_regex(value)
        return cls.model_validate({"label": label, "op": op, "value": value})


def check_matcher(text: str) -> str:
    """The matcher text, if it parses."""
    Matcher.parse(text)
    return text


class Escalation(Model):
    after: Duration
    receiver: str


class Route(Model):
    """A node of the routing tree (Alertmanager semantics, section 8)."""

    receiver: str | None = None
    match: dict[Label, str] = {}
    match_re: dict[Label, Annotated[str, AfterValidator(compile_regex)]] = {}
    matchers: list[Annotated[str, AfterValidator(check_matcher)]] = []
    continue_: bool = Field(default=False, alias="continue")
    repeat_interval: Duration | None = None
    escalate: list[Escalation] = []
    routes: list[Route] = []

    def all_matchers(self) -> tuple[Matcher, ...]:
        """`match`, `match_re` and `matchers` as one AND-ed list."""
        return (
            *(Matcher(label=k, op="=", value=v) for k, v in self.match.items()),
            *(Matcher(label=k, op="=~", value=v) for k, v in self.match_re.items()),
            *(Matcher.parse(text) for text in self.matchers),
        )
