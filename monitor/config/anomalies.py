"""The `anomalies:` key, on an integration and at the top level (its defaults): which series
the detector watches and how it judges them (docs/monitor-file.md#anomalies).

The settings' rules are the detector's own (`checks.anomaly.settings.AnomalySettings`), so
`dxq validate`, `dxq anomalies backtest` and runs accept and refuse the same values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from checks.anomaly.errors import BadSettings
from checks.anomaly.settings import AnomalySettings, Direction, Seasonality
from checks.anomaly.watch import RUN, SeriesKey
from monitor.config.values import Duration, Model

if TYPE_CHECKING:
    from monitor.config.document import Loc

_DEFAULT = AnomalySettings()

# The series each integration check offers by name in `metrics` (reconcile's
# changed_by_field.<field> and run's duration_s.<system> too).
KNOWN_METRICS = {
    "volume": ("source_rows", "target_rows", "difference", "difference_rate"),
    "freshness": ("new_rows", "lag_seconds"),
    "reconcile": (
        "source_rows",
        "target_rows",
        "compared",
        "missing_in_target",
        "missing_in_source",
        "changed",
        "mismatch_rate",
        "source_new_rows",
        "target_new_rows",
    ),
    RUN: ("duration_s",),
}
UPDATED = "reconcile.updated_column"  # in `integration_checks`: reconcile counts new records
_NESTED = {"reconcile": "changed_by_field.", RUN: "duration_s."}


class WatchedMetric(Model):
    """`volume.target_rows`, or `{check: "suites/x.json: expect_…(col)", metric: …}` for a
    check whose name holds dots."""

    check: str
    metric: str

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str):
            check, dot, metric = value.partition(".")
            if not dot or not check or not metric:
                raise ValueError(
                    f"'{value}': write check.metric (e.g. volume.target_rows), or "
                    "{check: …, metric: …}"
                )
            return {"check": check, "metric": metric}
        return value

    @property
    def key(self) -> SeriesKey:
        return SeriesKey(self.check, self.metric)


class Anomalies(Model):
    """What the detector watches and how; unset keys come from the top-level `anomalies:`,
    then from the detector's defaults."""

    enabled: bool = True  # `anomalies: false` on an integration turns the defaults off
    metrics: list[WatchedMetric] | None = None  # None: volume, freshness lag, mismatch rate
    sensitivity: float = _DEFAULT.sensitivity
    direction: Direction = _DEFAULT.direction
    training: Duration = _DEFAULT.training.total_seconds()
    min_history: int = _DEFAULT.min_history
    seasonality: Seasonality = _DEFAULT.seasonality

    @model_validator(mode="after")
    def _check_settings(self) -> Anomalies:
        try:
            self.settings()
        except BadSettings as exc:
            raise ValueError(str(exc)) from None
        return self

    def settings(self) -> AnomalySettings:
        """The detector's settings (raises BadSettings for values out of range)."""
        return AnomalySettings(
            sensitivity=self.sensitivity,
            direction=self.direction,
            training=timedelta(seconds=self.training),
            min_history=self.min_history,
            seasonality=self.seasonality,
        )

    def over(self, defaults: Anomalies | None) -> Anomalies:
        """These settings, each unset one taken from `defaults` (the top-level key)."""
        if defaults is None:
            return self
        given = {name: getattr(self, name) for name in self.model_fields_set}
        return defaults.model_copy(update=given)


def as_section(value: object) -> object:
    """`anomalies: true` is the defaults, `anomalies: false` is `{enabled: false}`."""
    if isinstance(value, bool):
        return {"enabled": value}
    return value


def effective(top: Anomalies | None, own: Anomalies | None) -> Anomalies | None:
    """An integration's anomaly settings: its own over the top-level defaults; without its
    own, the top level's (None: nothing is watched)."""
    chosen = top if own is None else own.over(top)
    return chosen if chosen is not None and chosen.enabled else None


def default_series(checks: Iterator[str] | list[str]) -> tuple[SeriesKey, ...]:
    """The series watched when `metrics` is not given, from the integration's checks: the
    volume of each side (the volume check's counts, else reconcile's), the new records per
    interval and the lag of the freshness column, the new records per interval on each side
    of reconcile's `updated_column`, and the mismatch rate."""
    have = set(checks)
    keys: list[SeriesKey] = []
    counts = "volume" if "volume" in have else "reconcile" if "reconcile" in have else None
    if counts is not None:
        keys += [SeriesKey(counts, "source_rows"), SeriesKey(counts, "target_rows")]
    if "freshness" in have:  # new records per interval, and the data's age
        keys += [SeriesKey("freshness", "new_rows"), SeriesKey("freshness", "lag_seconds")]
    if UPDATED in have:  # new records per interval on each side
        keys += [SeriesKey("reconcile", f"{side}_new_rows") for side in ("source", "target")]
    if "reconcile" in have:
        keys.append(SeriesKey("reconcile", "mismatch_rate"))
    return tuple(keys)


def integration_checks(integration: dict[str, Any]) -> list[str]:
    """The integration checks an (unvalidated) integration entry declares."""
    have = [RUN]
    for name in ("volume", "freshness", "reconcile"):
        if integration.get(name) not in (None, False):
            have.append(name)
    if "reconcile" not in have and integration.get("compare"):
        have.append("reconcile")
    reconcile = integration.get("reconcile")
    if isinstance(reconcile, dict) and reconcile.get("updated_column"):
        have.append(UPDATED)
    return have


def anomaly_problems(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Watched metrics that name an integration check the integration does not have, or a
    metric that check does not measure; checked on the raw data with their exact place."""
    integrations = data.get("integrations")
    for name, raw in (integrations if isinstance(integrations, dict) else {}).items():
        integration = raw if isinstance(raw, dict) else {}
        section = integration.get("anomalies")
        metrics = section.get("metrics") if isinstance(section, dict) else None
        have = integration_checks(integration)
        for index, entry in enumerate(metrics if isinstance(metrics, list) else []):
            if not isinstance(entry, str) or "." not in entry:
                continue  # the mapping form names any check; the model reports bad shapes
            check, _, metric = entry.partition(".")
            loc: Loc = ("integrations", name, "anomalies", "metrics", index)
            if check in KNOWN_METRICS and check not in have:
                offered = ", ".join(k.name for k in default_series(have)) or "run.duration_s"
                yield (
                    loc,
                    (
                        f"'{entry}': this integration has no {check} check; add '{check}:' or "
                        f"watch one of: {offered}"
                    ),
                )
            elif check in KNOWN_METRICS and not _known(check, metric):
                allowed = [*KNOWN_METRICS[check]]
                if check in _NESTED:
                    allowed.append(f"{_NESTED[check]}<name>")
                yield loc, f"'{entry}': {check} measures {', '.join(allowed)}"
            elif check not in KNOWN_METRICS:
                known = ", ".join(sorted(KNOWN_METRICS))
                message = (
                    f"'{entry}': unknown check '{check}'; write one of {known} with a metric, "
                    "or {check: <the check's full name>, metric: <metric>} for a suite or "
                    "references check"
                )
                yield loc, message


def _known(check: str, metric: str) -> bool:
    nested = _NESTED.get(check)
    return metric in KNOWN_METRICS[check] or (
        nested is not None and metric.startswith(nested) and len(metric) > len(nested)
    )
