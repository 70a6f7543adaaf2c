"""The check types dxq runs, registered once (as soda-core registers its check types): for each
kind, its declaration type, its evaluator and its place in the run order. The plan orders its
checks by this registry and the runner evaluates them through it; a new kind of check is one
more entry here."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checks.result import CheckKind, CheckResult, Outcome
from checks.spec import (
    CheckSpec,
    FreshnessSpec,
    LatencySpec,
    ReconcileSpec,
    ReferenceSpec,
    SchemaSpec,
    SuiteSpec,
    VolumeSpec,
)

Evaluator = Callable[[Any, datetime], list[CheckResult]]


@dataclass(frozen=True)
class CheckType:
    """One kind of check: what declares it, what evaluates it, and its name in results."""

    kind: CheckKind
    spec: type
    evaluate: Evaluator

    def name(self, spec: CheckSpec) -> str:
        """The check name its results carry (a suite's results are named after its label)."""
        return spec.label if isinstance(spec, SuiteSpec) else spec.name


def _freshness(spec: FreshnessSpec, now: datetime) -> list[CheckResult]:
    from checks.freshness import check_freshness

    return [check_freshness(spec, now)]


def _volume(spec: VolumeSpec, _now: datetime) -> list[CheckResult]:
    from checks.volume import check_volume

    return [check_volume(spec)]


def _reconcile(spec: ReconcileSpec, now: datetime) -> list[CheckResult]:
    from checks.reconcile import reconcile

    result = reconcile(spec, now)
    if spec.since is None or result.outcome is Outcome.ERROR:
        return [result]
    return [dataclasses.replace(result, metrics={**result.metrics, **_new_rows(spec)})]


def _new_rows(spec: ReconcileSpec) -> dict[str, int]:
    """Records new per interval on each side with an updated column: `source_new_rows`,
    `target_new_rows` (a side that cannot be counted is left out: reconcile has judged it)."""
    from checks.arrivals import new_rows
    from datasources.errors import DatasourceError

    found: dict[str, int] = {}
    for side, dataset, column in (
        ("source", spec.source, spec.source_updated_column),
        ("target", spec.target, spec.target_updated_column),
    ):
        if column is None or spec.since is None:
            continue
        try:
            count = new_rows(dataset, column, spec.since)
        except (DatasourceError, ValueError):
            continue
        if count is not None:
            found[f"{side}_new_rows"] = count
    return found


def _latency(spec: LatencySpec, now: datetime) -> list[CheckResult]:
    from checks.latency import check_latency

    return [check_latency(spec, now)]


def _references(spec: ReferenceSpec, _now: datetime) -> list[CheckResult]:
    from checks.references import check_references

    return [check_references(spec)]


def _schema(spec: SchemaSpec, _now: datetime) -> list[CheckResult]:
    from checks.schema import check_schema

    return [check_schema(spec)]


def _suite(spec: SuiteSpec, _now: datetime) -> list[CheckResult]:
    quiet_gx()  # before the import: GX logs most of its INFO lines while importing
    from checks.suite_run import (
        run_suite,  # fused where covered; GX (seconds to import) only when needed
    )

    quiet_gx()
    return run_suite(spec)


GX_LOGGER = "great_expectations"


def quiet_gx() -> None:
    """GX logs ~220 INFO lines a suite; a run keeps only its warnings. GX sets the level of
    some of its loggers itself, so each one below WARNING is raised too."""
    logging.getLogger(GX_LOGGER).setLevel(logging.WARNING)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (
            name.startswith(f"{GX_LOGGER}.")
            and isinstance(logger, logging.Logger)
            and logging.NOTSET < logger.level < logging.WARNING
        ):
            logger.setLevel(logging.WARNING)


# In run order: cheap checks first, suites (GX) last.
CHECK_TYPES: tuple[CheckType, ...] = (
    CheckType(CheckKind.FRESHNESS, FreshnessSpec, _freshness),
    CheckType(CheckKind.VOLUME, VolumeSpec, _volume),
    CheckType(CheckKind.RECONCILE, ReconcileSpec, _reconcile),
    CheckType(CheckKind.LATENCY, LatencySpec, _latency),
    CheckType(CheckKind.REFERENCES, ReferenceSpec, _references),
    CheckType(CheckKind.SCHEMA, SchemaSpec, _schema),
    CheckType(CheckKind.EXPECTATION, SuiteSpec, _suite),
)
_BY_SPEC = {t.spec: t for t in CHECK_TYPES}
_ORDER = {t.spec: i for i, t in enumerate(CHECK_TYPES)}


def check_type(spec: CheckSpec) -> CheckType:
    """The registered type of a check declaration."""
    found = _BY_SPEC.get(type(spec))
    if found is None:
        raise TypeError(f"no check type is registered for {type(spec).__name__}")
    return found


def in_run_order(specs: Iterable[CheckSpec]) -> list[CheckSpec]:
    """The checks in the registry's run order (stable within one kind)."""
    return sorted(specs, key=lambda spec: _ORDER[type(spec)])


def warm_up() -> None:
    """Import the check engines now, so the first firings are not late (GX stays lazy)."""
    import checks.freshness
    import checks.latency
    import checks.reconcile
    import checks.references
    import checks.schema
    import checks.volume  # noqa: F401
