"""Label matchers with Alertmanager semantics: `=`, `!=`, `=~`, `!~`, regexes fully anchored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from alerts.errors import InvalidMatcher

LABELS = ("integration", "source_system", "target_system", "check", "kind", "severity")
OPERATORS = ("=", "!=", "=~", "!~")
_PARSE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


@dataclass(frozen=True)
class Matcher:
    """One condition on one label; a missing label matches as the empty string."""

    label: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise InvalidMatcher(f"unknown operator {self.op!r} (use one of {OPERATORS})")

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """`severity=critical`, `check=~"fresh.*"`; quotes around the value are optional."""
        found = _PARSE.match(text)
        if found is None:
            raise InvalidMatcher(f"cannot read matcher {text!r}; write label=value")
        label, op, value = found.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return cls(label, op, value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the labels satisfy this matcher (an invalid regex never matches)."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        pattern = _compile(self.value)
        if pattern is None:
            return False
        found = pattern.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def problems(self) -> list[str]:
        """What is wrong with this matcher: unknown label, bad regex."""
        found: list[str] = []
        if self.label not in LABELS:
            found.append(f"unknown label {self.label!r} (known: {', '.join(LABELS)})")
        if self.op in ("=~", "!~") and _compile(self.value) is None:
            found.append(f"bad regular expression {self.value!r}")
        return found

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


def match_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Every matcher holds (an empty list always holds)."""
    return all(m.matches(labels) for m in matchers)


def describe(matchers: Iterable[Matcher]) -> str:
    """`severity="critical", kind!="run_error"`, or `any alert` for none."""
    text = ", ".join(str(m) for m in matchers)
    return text or "any alert"
