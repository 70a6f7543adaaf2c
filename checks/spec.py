"""Declarations of checks: plain frozen data built by `monitor` from the monitor file and
evaluated by the engines in this package. Durations are seconds; rates are fractions (0.005)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from checks.result import Severity
from datasources.dataset import Dataset

Normalizer = str  # "trim" | "lower" | "upper" | "collapse_whitespace"


@dataclass(frozen=True)
class FieldSpec:
    """One field that must agree between source and target."""

    source: str
    target: str
    tolerance: float | None = None  # absolute, for numbers
    relative_tolerance: float | None = None  # fraction of the source value, for numbers
    map: dict[str, str] = field(default_factory=dict)  # source value -> expected target value
    normalize: tuple[Normalizer, ...] = ()
    pii: bool = False

    @property
    def name(self) -> str:
        """The name used in metrics and samples: the target column."""
        return self.target


@dataclass(frozen=True)
class ReconcileSpec:
    source: Dataset
    target: Dataset
    source_key: tuple[str, ...]
    target_key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    severity: Severity
    max_mismatch_rate: float = 0.0
    warn_mismatch_rate: float | None = None  # above it (up to the max) the check is warned
    grace_s: float | None = None
    source_updated_column: str | None = None
    target_updated_column: str | None = None
    sample: int = 50
    name: str = "reconcile"
    since: datetime | None = None  # the previous run's start: rows updated later are new_rows
    # a mapping table matching source_key[0] to target_key[0] (checks/reconcile/crosswalk.py):
    # its column of source keys and its column of target keys
    crosswalk: Dataset | None = None
    crosswalk_source: str = ""
    crosswalk_target: str = ""


@dataclass(frozen=True)
class FreshnessSpec:
    dataset: Dataset
    column: str
    max_age_s: float
    severity: Severity
    name: str = "freshness"
    side: str = "target"  # which side of the integration `dataset` is
    future_tolerance_s: float = 300.0  # a newest value further ahead of now fails (bad clock)
    warn_age_s: float | None = None  # older than this (up to max_age_s) the check is warned
    since: datetime | None = None  # the previous run's start: rows newer count as new_rows


@dataclass(frozen=True)
class VolumeSpec:
    source: Dataset
    target: Dataset
    tolerance: float  # allowed |target - source| / source
    severity: Severity
    name: str = "volume"
    warn_tolerance: float | None = None  # a difference above it (within tolerance) is warned


@dataclass(frozen=True)
class ReferenceSpec:
    dataset: Dataset
    column: str
    referenced: Dataset
    referenced_column: str
    severity: Severity
    sample: int = 20
    name: str = "references"  # monitor makes it unique: "references(category_id)"


@dataclass(frozen=True)
class SchemaSpec:
    """Columns and types of both sides; `previous` is the snapshot of the last run, if any."""

    source: Dataset
    target: Dataset
    severity: Severity
    previous: dict[str, dict[str, str]] | None = None  # {"source": {col: type}, "target": ...}
    name: str = "schema"


@dataclass(frozen=True)
class LatencySpec:
    """How long a change takes to arrive: for source records updated within `window_s` of now,
    the target's updated time minus the source's, matched by key (checks/latency.py)."""

    source: Dataset
    target: Dataset
    source_key: tuple[str, ...]
    target_key: tuple[str, ...]
    source_updated_column: str
    target_updated_column: str
    window_s: float
    max_p95_s: float
    severity: Severity
    warn_p95_s: float | None = None  # a p95 above it (up to the max) is warned
    sample: int = 20  # the slowest records past max_p95_s kept for the drill-down
    name: str = "latency"


@dataclass(frozen=True)
class SuiteSpec:
    """A GX suite (GX's own JSON file) run against one side of an integration."""

    path: Path  # absolute
    label: str  # as written in the monitor file, used in check names: "suites/x.json"
    dataset: Dataset
    severity: Severity
    side: str = "target"
    key_columns: tuple[str, ...] = ()  # unexpected_index_column_names for the drill-down
    pii_columns: tuple[str, ...] = ()  # columns of this side whose values are masked


CheckSpec = (
    ReconcileSpec
    | FreshnessSpec
    | VolumeSpec
    | ReferenceSpec
    | SchemaSpec
    | SuiteSpec
    | LatencySpec
)
