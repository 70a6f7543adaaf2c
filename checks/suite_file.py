"""GX suite files read and validated without importing GX: the one validator of a suite file.

A suite file is GX's own JSON: {"name": ..., "expectations": [{"type": ..., "kwargs": {...},
"meta": {...}}], "meta": {...}}. `suite_problems` is the rule: `dxq validate`, the run (through
`load_suite`) and the Suites page all ask it, so a file they accept is the same file. Problems
are returned as data, never raised; each has the place in the document it is about.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.expectation_types import COMMON_ARGUMENTS, EXPECTATION_ARGUMENTS
from checks.result import Severity
from datasources.statement import statement_problem

Loc = tuple[str | int, ...]

# GX 1.x writes `"severity": "critical"` on every expectation it saves, so only a lowered GX
# severity overrides the integration's; `meta.severity` may name any dxq severity.
_GX_SEVERITIES = {"warning": Severity.WARNING, "info": Severity.WARNING}
_META_SEVERITIES = {s.value for s in Severity} | set(_GX_SEVERITIES)
_EXPECTATION_KEYS = frozenset(
    ("type", "kwargs", "meta", "id", "severity", "notes", "description", "rendered_content")
)
_COMMON = frozenset(COMMON_ARGUMENTS.split())
# Arguments that hold query text the expectation runs: exactly one read statement each.
_QUERY_ARGUMENTS = ("unexpected_rows_query", "base_query", "comparison_query")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# The values of the most used arguments, as GX's models take them (GX checks the rest when it
# builds the suite).
_ARGUMENT_VALUES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "column": ("a column name (text)", lambda v: isinstance(v, str)),
    "column_A": ("a column name (text)", lambda v: isinstance(v, str)),
    "column_B": ("a column name (text)", lambda v: isinstance(v, str)),
    "mostly": ("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1),
    "value_set": ("a list of values", lambda v: isinstance(v, list)),
    "strict_min": ("true or false", lambda v: isinstance(v, bool)),
    "strict_max": ("true or false", lambda v: isinstance(v, bool)),
    "catch_exceptions": ("true or false", lambda v: isinstance(v, bool)),
}


@dataclass(frozen=True)
class SuiteProblem:
    """One thing wrong in a suite file: where in the document (`loc`), and what."""

    loc: Loc
    message: str
    line: int | None = None  # known only for JSON syntax errors; callers map `loc` to a line

    @property
    def where(self) -> str:
        """ "expectations[2].type" for the location; "" for the whole document."""
        text = ""
        for part in self.loc:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.loc else self.message


@dataclass(frozen=True)
class SuiteExpectation:
    """One expectation of a suite file, as written."""

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # GX's own field: critical | warning | info

    @property
    def columns(self) -> tuple[str, ...]:
        """The column or columns the expectation is about (none for table expectations)."""
        kwargs = self.kwargs
        if isinstance(kwargs.get("column"), str):
            return (kwargs["column"],)
        if isinstance(kwargs.get("column_list"), list):
            return tuple(str(c) for c in kwargs["column_list"])
        pair = (kwargs.get("column_A"), kwargs.get("column_B"))
        if all(isinstance(c, str) for c in pair):
            return tuple(str(c) for c in pair)
        return ()

    def severity_or(self, default: Severity) -> Severity:
        """The expectation's own severity (GX field, then meta.severity), else `default`."""
        return own_severity(self.to_gx()) or default

    def to_gx(self) -> dict[str, Any]:
        """The expectation as GX's ExpectationSuite accepts it (no stored id)."""
        doc: dict[str, Any] = {"type": self.type, "kwargs": dict(self.kwargs), "meta": self.meta}
        if self.severity is not None:
            doc["severity"] = self.severity
        return doc


def own_severity(item: Any) -> Severity | None:
    """The severity an expectation ({"type", "kwargs", "meta", "severity"}) sets for its
    results: a lowered GX `severity`, else `meta.severity`; None to take the integration's."""
    if not isinstance(item, dict):
        return None
    gx = item.get("severity")
    if isinstance(gx, str) and gx in _GX_SEVERITIES:
        return _GX_SEVERITIES[gx]
    meta = item.get("meta")
    value = meta.get("severity") if isinstance(meta, dict) else None
    if value in {s.value for s in Severity}:
        return Severity(value)
    return _GX_SEVERITIES.get(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class SuiteDocument:
    """A suite file: its expectations, or the problems that make it unusable."""

    path: Path
    name: str = ""
    expectations: tuple[SuiteExpectation, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file's bytes: a changed file is a new suite
    findings: tuple[SuiteProblem, ...] = ()

    @property
    def problems(self) -> tuple[str, ...]:
        """The findings as "file: place: message" lines."""
        return tuple(f"{self.path}: {finding}" for finding in self.findings)


def load_suite(path: Path) -> SuiteDocument:
    """Read and validate a suite file; every problem is listed, nothing raised."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return SuiteDocument(path, findings=(SuiteProblem((), "suite file not found"),))
    except OSError as exc:
        problem = SuiteProblem((), f"cannot read the suite file: {exc.strerror or exc}")
        return SuiteDocument(path, findings=(problem,))
    digest = hashlib.sha256(raw).hexdigest()
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        problem = SuiteProblem((), f"invalid JSON: {exc.msg}", exc.lineno)
        return SuiteDocument(path, digest=digest, findings=(problem,))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # too deeply nested
        problem = SuiteProblem((), f"invalid JSON: {exc}")
        return SuiteDocument(path, digest=digest, findings=(problem,))
    findings = tuple(suite_problems(doc))
    if findings:
        return SuiteDocument(path, digest=digest, findings=findings)
    return SuiteDocument(
        path,
        name=doc["name"],
        expectations=tuple(
            SuiteExpectation(
                e["type"], dict(e["kwargs"]), dict(e.get("meta") or {}), e.get("severity")
            )
            for e in doc["expectations"]
        ),
        meta=dict(doc.get("meta") or {}),
        digest=digest,
    )


def suite_problems(doc: Any) -> list[SuiteProblem]:
    """Everything wrong in a decoded suite document; empty when dxq can run it."""
    if not isinstance(doc, dict):
        return [SuiteProblem((), "expected a JSON object with 'name' and 'expectations'")]
    problems: list[SuiteProblem] = []
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        loc: Loc = ("name",) if "name" in doc else ()
        problems.append(SuiteProblem(loc, "missing the suite 'name' (a non-empty string)"))
    if not isinstance(doc.get("meta") or {}, dict):
        problems.append(SuiteProblem(("meta",), "must be an object"))
    expectations = doc.get("expectations")
    if not isinstance(expectations, list):
        loc = ("expectations",) if "expectations" in doc else ()
        problems.append(SuiteProblem(loc, "expected a list 'expectations'"))
        return problems
    for index, expectation in enumerate(expectations):
        for found in expectation_problems(expectation):
            problems.append(SuiteProblem(("expectations", index, *found.loc), found.message))
    return problems


def expectation_problems(item: Any) -> list[SuiteProblem]:
    """Everything wrong in one expectation ({"type", "kwargs", "meta", ...})."""
    if not isinstance(item, dict):
        return [SuiteProblem((), "expected an object with 'type' and 'kwargs'")]
    problems: list[SuiteProblem] = []
    kind = item.get("type")
    if "expectation_type" in item:
        message = "GX 0.x form: rename 'expectation_type' to 'type'"
        problems.append(SuiteProblem(("expectation_type",), message))
    elif kind is None:
        problems.append(SuiteProblem((), "missing the expectation 'type'"))
    elif not isinstance(kind, str) or kind not in EXPECTATION_ARGUMENTS:
        close = difflib.get_close_matches(str(kind), sorted(EXPECTATION_ARGUMENTS), 1, 0.8)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(SuiteProblem(("type",), f"unknown expectation type '{kind}'{hint}"))
    kwargs = item.get("kwargs")
    if not isinstance(kwargs, dict):
        loc: Loc = ("kwargs",) if "kwargs" in item else ()
        message = "expected 'kwargs', an object of the expectation's arguments"
        problems.append(SuiteProblem(loc, message))
    elif isinstance(kind, str) and kind in EXPECTATION_ARGUMENTS:
        problems.extend(_argument_problems(kind, kwargs))
    meta = item.get("meta")
    if meta is not None and not isinstance(meta, dict):
        problems.append(SuiteProblem(("meta",), "must be an object"))
    elif isinstance(meta, dict) and "severity" in meta and meta["severity"] not in _META_SEVERITIES:
        message = "must be critical, error or warning"
        problems.append(SuiteProblem(("meta", "severity"), message))
    severity = item.get("severity")
    if severity is not None and severity not in ("critical", "warning", "info"):
        message = "GX's own severity: critical, warning or info (dxq's: meta.severity)"
        problems.append(SuiteProblem(("severity",), message))
    for key in sorted(set(item) - _EXPECTATION_KEYS - {"expectation_type"}):
        problems.append(SuiteProblem((key,), "not a key of a GX expectation"))
    return problems


def _argument_problems(kind: str, kwargs: dict[str, Any]) -> list[SuiteProblem]:
    required, optional = (set(names.split()) for names in EXPECTATION_ARGUMENTS[kind])
    known = required | optional | _COMMON
    problems: list[SuiteProblem] = []
    for name in sorted(required - set(kwargs)):
        problems.append(SuiteProblem(("kwargs",), f"{kind} needs the argument '{name}'"))
    for name in sorted(set(kwargs) - known):
        close = difflib.get_close_matches(name, sorted(known), 1, 0.8)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        message = f"not an argument of {kind}{hint}"
        problems.append(SuiteProblem(("kwargs", name), message))
    for name, value in kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            message = "dxq gives GX no suite parameters: write the value itself"
            problems.append(SuiteProblem(("kwargs", name), message))
        elif name in _ARGUMENT_VALUES and not _ARGUMENT_VALUES[name][1](value):
            message = f"must be {_ARGUMENT_VALUES[name][0]}"
            problems.append(SuiteProblem(("kwargs", name), message))
    for name in _QUERY_ARGUMENTS:
        query = kwargs.get(name)
        problem = statement_problem(query) if isinstance(query, str) else None
        if problem is not None:
            problems.append(SuiteProblem(("kwargs", name), problem))
    return problems
