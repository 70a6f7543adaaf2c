"""GX suite files read without importing GX: the expectations, their columns and severities.

A suite file is GX's own JSON: {"name": ..., "expectations": [{"type": ..., "kwargs": {...},
"meta": {...}}], "meta": {...}}. Problems are returned as data, never raised.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.result import Severity

# GX 1.x writes `"severity": "critical"` on every expectation it saves, so only a lowered GX
# severity overrides the integration's; `meta.severity` may name any dxq severity.
_GX_SEVERITIES = {"warning": Severity.WARNING, "info": Severity.WARNING}
_EXPECTATION_KEYS = {
    "type",
    "kwargs",
    "meta",
    "id",
    "severity",
    "notes",
    "description",
    "rendered_content",
}


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
        if self.severity in _GX_SEVERITIES:
            return _GX_SEVERITIES[self.severity]
        meta_severity = self.meta.get("severity")
        if meta_severity in {s.value for s in Severity}:
            return Severity(meta_severity)
        if meta_severity in _GX_SEVERITIES:
            return _GX_SEVERITIES[meta_severity]
        return default

    def to_gx(self) -> dict[str, Any]:
        """The expectation as GX's ExpectationSuite accepts it (no stored id)."""
        doc: dict[str, Any] = {"type": self.type, "kwargs": dict(self.kwargs), "meta": self.meta}
        if self.severity is not None:
            doc["severity"] = self.severity
        return doc


@dataclass(frozen=True)
class SuiteDocument:
    """A suite file: its expectations, or the problems that make it unusable."""

    path: Path
    name: str = ""
    expectations: tuple[SuiteExpectation, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file's bytes: a changed file is a new suite
    problems: tuple[str, ...] = ()


def load_suite(path: Path) -> SuiteDocument:
    """Read and check the shape of a suite file; every problem is listed, nothing raised."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return SuiteDocument(path, problems=(f"cannot read suite file {path}: {exc.strerror}",))
    digest = hashlib.sha256(raw).hexdigest()
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return SuiteDocument(path, digest=digest, problems=(f"{path}: not valid JSON: {exc}",))
    if not isinstance(doc, dict):
        return SuiteDocument(
            path, digest=digest, problems=(f"{path}: a GX suite is a JSON object",)
        )
    problems: list[str] = []
    name = doc.get("name", path.stem)
    if not isinstance(name, str) or not name:
        problems.append(f"{path}: name: must be a non-empty string")
        name = path.stem
    meta = doc.get("meta") or {}
    if not isinstance(meta, dict):
        problems.append(f"{path}: meta: must be an object")
        meta = {}
    items = doc.get("expectations")
    if not isinstance(items, list):
        problems.append(f"{path}: expectations: must be a list")
        items = []
    expectations = []
    for index, item in enumerate(items):
        expectation = _read_expectation(item, f"{path}: expectations[{index}]", problems)
        if expectation is not None:
            expectations.append(expectation)
    return SuiteDocument(path, name, tuple(expectations), meta, digest, problems=tuple(problems))


def _read_expectation(item: Any, where: str, problems: list[str]) -> SuiteExpectation | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: must be an object")
        return None
    kind = item.get("type", item.get("expectation_type"))
    kwargs = item.get("kwargs", {})
    meta = item.get("meta") or {}
    severity = item.get("severity")
    found = len(problems)
    if not isinstance(kind, str) or not kind.startswith("expect_"):
        problems.append(f"{where}: type: must name a GX expectation (expect_...)")
    if not isinstance(kwargs, dict):
        problems.append(f"{where}: kwargs: must be an object")
    if not isinstance(meta, dict):
        problems.append(f"{where}: meta: must be an object")
    if severity is not None and severity not in ("critical", "warning", "info"):
        problems.append(f"{where}: severity: must be critical, warning or info")
    unknown = sorted(set(item) - _EXPECTATION_KEYS - {"expectation_type"})
    if unknown:
        problems.append(f"{where}: unknown keys: {', '.join(unknown)}")
    if len(problems) > found:
        return None
    return SuiteExpectation(str(kind), dict(kwargs), dict(meta), severity)
