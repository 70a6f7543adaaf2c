r"""Label matchers: the one grammar of the monitor file's routes, silences, `dxq alerts route`
and the dashboard's route tester (as Alertmanager's `pkg/labels` serves its config, silences
and CLI).

    label op value          op: = (equal), != (not equal), =~ (regex), !~ (not regex)

- `label` is one of `LABELS`; a missing label matches as the empty string.
- `value` is bare (`severity=critical`) or quoted with `"` or `'` (`check=~'fresh.*'`); the
  quotes are not part of the value. Inside the value `\\`, `\"`, `\'` and `\n` stand for a
  backslash, a quote and a newline; any other backslash is kept as it is, so `check=~"a\d+"`
  is the regex `a\d+`. A quote inside a quoted value must be escaped.
- Regexes (`=~`, `!~`) match the whole value (anchored), as in Alertmanager.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from alerts.errors import InvalidMatcher

LABELS = ("integration", "source_system", "target_system", "check", "kind", "severity")
OPERATORS = ("=", "!=", "=~", "!~")
_PARSE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n"}
_QUOTES = "\"'"
_BARE = re.compile(r"[\w.:/@+*-]*")
HOW = 'write label=value, label!=value, label=~"regex" or label!~"regex"'


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str] | re.error:
    try:
        return re.compile(pattern)
    except re.error as exc:
        return exc


def _unquote(raw: str, text: str) -> str:
    """The value of `raw` (everything after the operator): quotes removed, escapes decoded."""
    quote = raw[0] if raw[:1] in _QUOTES else ""
    body = raw[1:] if quote else raw
    value: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            value.append(_ESCAPES.get(following, "\\" + following))
            index += 2
            continue
        if quote and char == quote:
            if index != len(body) - 1:
                raise InvalidMatcher(
                    f"matcher {text!r}: the value has an unescaped {quote} inside its quotes; "
                    f"write \\{quote} for a quote in the value"
                )
            return "".join(value)
        value.append(char)
        index += 1
    if quote:
        raise InvalidMatcher(f"matcher {text!r}: the value's closing {quote} is missing")
    return "".join(value)


def _quote(value: str) -> str:
    """`value` as a double-quoted matcher value that `_unquote` reads back unchanged."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


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
        """`severity=critical`, `check=~"fresh.*"`, `check=~'fresh.*'` (the grammar is in the
        module docstring); raises InvalidMatcher when the text is not a matcher."""
        found = _PARSE.match(text)
        if found is None:
            raise InvalidMatcher(f"cannot read matcher {text!r}; {HOW}")
        label, op, raw = found.groups()
        return cls(label, op, _unquote(raw, text))

    @classmethod
    def checked(cls, text: str) -> Matcher:
        """`parse`, also raising InvalidMatcher for an unknown label or a bad regex."""
        matcher = cls.parse(text)
        problems = matcher.problems()
        if problems:
            raise InvalidMatcher("; ".join(problems))
        return matcher

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the labels satisfy this matcher (an invalid regex never matches)."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        pattern = _compile(self.value)
        if isinstance(pattern, re.error):
            return False
        found = pattern.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def problems(self) -> list[str]:
        """What is wrong with this matcher: unknown label, bad regex."""
        found: list[str] = []
        if self.label not in LABELS:
            found.append(f"unknown label '{self.label}'; labels: {', '.join(LABELS)}")
        if self.op in ("=~", "!~"):
            found.extend(regex_problems(self.value))
        return found

    def __str__(self) -> str:
        """The matcher as text that `parse` reads back to an equal matcher."""
        return f"{self.label}{self.op}{_quote(self.value)}"


def label_text(label: str, value: str) -> str:
    """`label=value` as `parse` reads it back: bare when the value is plain, else quoted with
    escapes (so a newline in a value never breaks a line of output)."""
    return f"{label}={value if _BARE.fullmatch(value) else _quote(value)}"


def regex_problems(pattern: str) -> list[str]:
    """Why `pattern` is not a regular expression (empty when it is one)."""
    compiled = _compile(pattern)
    if isinstance(compiled, re.error):
        return [f"invalid regular expression '{pattern}': {compiled}"]
    return []


def check_label(label: str) -> str:
    """The label, if it is one of `LABELS` (ValueError naming them otherwise)."""
    if label not in LABELS:
        raise ValueError(f"unknown label '{label}'; labels: {', '.join(LABELS)}")
    return label


def split_matchers(text: str) -> list[str]:
    """The matchers of one line (`integration=orders check=~'fresh .*'`), separated by blanks
    or commas outside quotes; each keeps its quotes and escapes for `Matcher.parse`."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and quote and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in _QUOTES and current and current[-1] in "=~":
            quote = char  # a quote opens only right after the operator
        elif char.isspace() or char == ",":
            if current:
                words.append("".join(current))
                current = []
            index += 1
            continue
        current.append(char)
        index += 1
    if current:
        words.append("".join(current))
    return words


def match_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Every matcher holds (an empty list always holds)."""
    return all(m.matches(labels) for m in matchers)


def describe(matchers: Iterable[Matcher]) -> str:
    """`severity="critical", kind!="run_error"`, or `any alert` for none."""
    text = ", ".join(str(m) for m in matchers)
    return text or "any alert"
