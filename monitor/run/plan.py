"""Turn a loaded monitor file into runnable declarations: one IntegrationPlan per integration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.anomaly.watch import AnomalySpec
from checks.result import Severity
from checks.spec import (
    CheckSpec,
    FieldSpec,
    FreshnessSpec,
    LatencySpec,
    ReconcileSpec,
    ReferenceSpec,
    SchemaSpec,
    SuiteSpec,
    VolumeSpec,
)
from datasources.dataset import Dataset, FileSystem, SqlSystem, System
from monitor.config.anomalies import default_series, effective, integration_checks
from monitor.config.integration import CompareField, DatasetRef, Integration
from monitor.config.limits import warning_level
from monitor.config.model import Config
from monitor.errors import ConfigError, Problem
from monitor.run.registry import in_run_order


@dataclass(frozen=True)
class IntegrationPlan:
    """One integration, ready to run: its datasets and its checks in run order."""

    name: str
    description: str
    source: Dataset
    target: Dataset
    severity: Severity
    owners: tuple[str, ...]
    schedule: str | None  # 5-field cron; None = on demand only
    timezone: str  # of the schedule
    timeout_s: float
    specs: tuple[CheckSpec, ...]
    anomalies: AnomalySpec | None = None  # the series the detector judges after the checks

    @property
    def timed_out(self) -> str:
        """The reason of a run that ran past its `timeout` (the worker's and the run's own)."""
        return f"timed out after {self.timeout_s:g} s"


def plan_integrations(config: Config, names: Sequence[str] = ()) -> list[IntegrationPlan]:
    """Plans for the named integrations (all, in file order, when `names` is empty)."""
    unknown = [name for name in names if name not in config.integrations]
    if unknown:
        known = ", ".join(config.integrations) or "none"
        raise ConfigError(
            [
                Problem(
                    "dxq", None, "", f"unknown integration '{name}'; known integrations: {known}"
                )
                for name in unknown
            ]
        )
    chosen = list(dict.fromkeys(names)) if names else list(config.integrations)
    systems = build_systems(config)
    return [plan_integration(config, name, systems) for name in chosen]


def build_systems(config: Config) -> dict[str, System]:
    """The systems of the monitor file as datasource declarations."""
    systems: dict[str, System] = {}
    for name, system in config.systems.items():
        if system.api is not None:
            systems[name] = system.api.declared(
                name,
                timezone=system.timezone,
                connect_timeout=system.connect_timeout,
                description=system.description,
            )
        elif system.url is not None:
            systems[name] = SqlSystem(
                name=name,
                url=system.url,
                timezone=system.timezone,
                connect_timeout_s=system.connect_timeout,
                query_timeout_s=system.query_timeout,
                description=system.description,
            )
        else:
            assert system.files is not None and system.format is not None
            systems[name] = FileSystem(
                name=name,
                pattern=system.files,
                format=system.format,
                timezone=system.timezone,
                description=system.description,
            )
    return systems


def plan_integration(config: Config, name: str, systems: dict[str, System]) -> IntegrationPlan:
    """The plan of one integration of a validated config."""
    integration = config.integrations[name]
    source = build_dataset(integration.source, systems)
    target = build_dataset(integration.target, systems)
    return IntegrationPlan(
        name=name,
        description=integration.description,
        source=source,
        target=target,
        severity=integration.severity,
        owners=tuple(integration.owners),
        schedule=integration.schedule,
        timezone=integration.timezone,
        timeout_s=integration.timeout,
        specs=tuple(build_specs(config, integration, source, target, systems)),
        anomalies=build_anomalies(config, integration),
    )


def build_anomalies(config: Config, integration: Integration) -> AnomalySpec | None:
    """The series an integration watches (its `anomalies:` over the top-level one), or None."""
    chosen = effective(config.anomalies, integration.anomalies)
    if chosen is None:
        return None
    if chosen.metrics is None:
        raw = integration.model_dump(by_alias=True, exclude_defaults=True)
        series = default_series(integration_checks(raw))
    else:
        series = tuple(dict.fromkeys(m.key for m in chosen.metrics))
    return AnomalySpec(chosen.settings(), series) if series else None


def build_dataset(ref: DatasetRef, systems: dict[str, System]) -> Dataset:
    """A dataset declaration from `pim.products`, `wms` or `{system, query}`."""
    return Dataset(system=systems[ref.system], table=ref.table, query=ref.query)


def build_field(compare: CompareField) -> FieldSpec:
    """A compared field as the reconcile engine declares it."""
    return FieldSpec(
        source=compare.source,
        target=compare.target,
        tolerance=compare.tolerance,
        relative_tolerance=compare.relative_tolerance,
        map=dict(compare.map),
        normalize=tuple(compare.normalize),
        pii=compare.pii,
    )


def build_specs(
    config: Config,
    integration: Integration,
    source: Dataset,
    target: Dataset,
    systems: dict[str, System],
) -> list[CheckSpec]:
    """The checks of an integration, in the registry's run order (monitor/run/registry.py)."""
    severity = integration.severity
    specs: list[CheckSpec] = []
    if integration.freshness is not None:
        fresh = integration.freshness
        dataset = target if fresh.side == "target" else source
        warn_age = warning_level(fresh.max_age)
        specs.append(
            FreshnessSpec(
                dataset, fresh.column, fresh.max_age, severity, side=fresh.side, warn_age_s=warn_age
            )
        )
    # with `targets`, volume and reconcile run once per target: "reconcile(erp.customers)"
    each = [(ref, build_dataset(ref, systems)) for ref in integration.all_targets]
    if integration.volume is not None:
        tolerance = integration.volume.tolerance
        warn = warning_level(tolerance)
        specs.extend(
            VolumeSpec(
                source,
                one,
                tolerance,
                severity,
                name=integration.per_target("volume", ref),
                warn_tolerance=warn,
            )
            for ref, one in each
        )
    if integration.reconciles and integration.key is not None:
        options = integration.reconcile
        updated = options.updated_column if options else None
        crosswalk = integration.key.crosswalk
        specs.extend(
            ReconcileSpec(
                source=source,
                target=one,
                source_key=tuple(integration.key.source),
                target_key=tuple(integration.key.target),
                fields=tuple(build_field(c) for c in integration.compare),
                severity=severity,
                max_mismatch_rate=options.max_mismatch_rate if options else 0.0,
                warn_mismatch_rate=warning_level(options.max_mismatch_rate) if options else None,
                grace_s=options.grace if options else None,
                source_updated_column=updated.source if updated else None,
                target_updated_column=updated.target if updated else None,
                sample=options.sample if options else 50,
                name=integration.per_target("reconcile", ref),
                crosswalk=build_dataset(crosswalk.dataset, systems) if crosswalk else None,
                crosswalk_source=crosswalk.source if crosswalk else "",
                crosswalk_target=crosswalk.target if crosswalk else "",
            )
            for ref, one in each
        )
    if integration.latency is not None and integration.key is not None:
        specs.append(latency_spec(integration, source, target))
    for ref in integration.references:
        referenced = Dataset(system=systems[ref.system], table=ref.table)
        specs.append(
            ReferenceSpec(
                dataset=target,
                column=ref.column,
                referenced=referenced,
                referenced_column=ref.referenced_column,
                severity=severity,
                name=f"references({ref.column})",
            )
        )
    if integration.schema_:
        specs.append(SchemaSpec(source, target, severity))
    for suite in integration.suites:
        key = suite.key if suite.key is not None else side_key(integration, suite.side)
        specs.append(
            SuiteSpec(
                path=config.suite_path(suite),
                label=suite.suite,
                dataset=source if suite.side == "source" else target,
                severity=severity,
                side=suite.side,
                key_columns=tuple(key),
                pii_columns=pii_columns(integration, suite.side),
            )
        )
    return in_run_order(specs)


def latency_spec(integration: Integration, source: Dataset, target: Dataset) -> LatencySpec:
    """The latency check of an integration that declares one (validated: key and columns)."""
    latency, key = integration.latency, integration.key
    assert latency is not None and latency.updated_column is not None and key is not None
    return LatencySpec(
        source=source,
        target=target,
        source_key=tuple(key.source),
        target_key=tuple(key.target),
        source_updated_column=latency.updated_column.source,
        target_updated_column=latency.updated_column.target,
        window_s=latency.window,
        max_p95_s=latency.max_p95,
        warn_p95_s=warning_level(latency.max_p95),
        severity=integration.severity,
        sample=latency.sample,
    )


def pii_columns(integration: Integration, side: str) -> tuple[str, ...]:
    """The columns of one side that hold compared fields marked `pii`."""
    return tuple(
        field.source if side == "source" else field.target
        for field in integration.compare
        if field.pii
    )


def side_key(integration: Integration, side: str) -> list[str]:
    """The key columns of one side, or none when the integration has no key."""
    if integration.key is None:
        return []
    return integration.key.source if side == "source" else integration.key.target
