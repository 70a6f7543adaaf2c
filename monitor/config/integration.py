"""An `integrations` entry of the monitor file: the two sides, the key and the checks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from checks.result import Severity
from datasources.statement import statement_problem
from monitor.config.anomalies import Anomalies, as_section
from monitor.config.executor import Queue
from monitor.config.limits import DurationLimit, FractionLimit
from monitor.config.values import (
    Duration,
    Fraction,
    Model,
    Names,
    TimeZone,
    check_cron,
    parse_fraction,
)


class DatasetRef(Model):
    """`pim.products`, `wms`, `{system: pim, table: products}` or `{system: pim, query: ...}`."""

    system: str
    table: str | None = None
    query: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str):
            system, _, table = value.partition(".")
            return {"system": system, "table": table or None}
        return value

    @field_validator("query")
    @classmethod
    def _check_query(cls, value: str | None) -> str | None:
        problem = None if value is None else statement_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _check_one(self) -> DatasetRef:
        if self.table is not None and self.query is not None:
            raise ValueError("give either 'table' or 'query', not both")
        return self

    @property
    def label(self) -> str:
        if self.table is not None:
            return f"{self.system}.{self.table}"
        return self.system if self.query is None else f"{self.system} (query)"


class Crosswalk(Model):
    """A mapping table between two systems' identifiers: `{dataset: mdm.customer_xref,
    source: shop_id, target: crm_id}` (its column of source keys and of target keys)."""

    dataset: DatasetRef
    source: str
    target: str


class Key(Model):
    """The unique identifier matching records: the same columns or a pair of column lists;
    with `crosswalk`, source and target keys are matched through a mapping table."""

    source: Names
    target: Names
    crosswalk: Crosswalk | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str | list):
            return {"source": value, "target": value}
        return value

    @model_validator(mode="after")
    def _check_lengths(self) -> Key:
        if not self.source:
            raise ValueError("a key needs at least one column")
        if len(self.source) != len(self.target):
            raise ValueError(
                f"source key has {len(self.source)} column(s) and target key has "
                f"{len(self.target)}; they must pair up"
            )
        if self.crosswalk is not None and len(self.source) != 1:
            raise ValueError("a crosswalk maps one key column per side; give one column each")
        return self


class CompareField(Model):
    """A field that must agree; a plain string names the same column on both sides."""

    source: str
    target: str
    tolerance: float | None = Field(default=None, ge=0)
    relative_tolerance: Fraction | None = None
    map: dict[str, str] = {}
    normalize: list[Literal["trim", "lower", "upper", "collapse_whitespace"]] = []
    pii: bool = False

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str):
            return {"source": value, "target": value}
        if isinstance(value, dict):
            value = dict(value)
            if "target" not in value and isinstance(value.get("source"), str):
                value["target"] = value["source"]
            tolerance = value.get("tolerance")
            if isinstance(tolerance, str) and tolerance.strip().endswith("%"):
                if "relative_tolerance" in value:
                    raise ValueError("give 'tolerance: N%' or 'relative_tolerance', not both")
                try:
                    parse_fraction(tolerance)
                except ValueError as exc:
                    raise ValueError(f"tolerance: {exc}") from None
                value["relative_tolerance"] = value.pop("tolerance")
        return value


class Freshness(Model):
    column: str
    max_age: DurationLimit  # 2h, or {warn: 1h, fail: 2h}
    side: Literal["source", "target"] = "target"


class Volume(Model):
    tolerance: FractionLimit = 0.0  # 1%, or {warn: 0.5%, fail: 1%}


class SidePair(Model):
    """A column named per side; a plain string names the same column on both sides."""

    source: str
    target: str

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return {"source": value, "target": value} if isinstance(value, str) else value


class Reconcile(Model):
    max_mismatch_rate: FractionLimit = 0.0  # 0.5%, or {warn: 0.2%, fail: 0.5%}
    grace: Duration | None = None
    updated_column: SidePair | None = None
    sample: int = Field(default=50, ge=0, le=1000)

    @model_validator(mode="after")
    def _grace_needs_a_column(self) -> Reconcile:
        if self.grace is not None and self.updated_column is None:
            raise ValueError(
                "grace needs updated_column (the column that says when a record last changed)"
            )
        if self.updated_column is not None and self.grace is None:
            raise ValueError(
                "updated_column is only used with grace; add grace (e.g. 15m) or remove it"
            )
        return self


class Latency(Model):
    """How long a change takes to arrive (checks/latency.py): `{max_p95: 15m, window: 24h,
    updated_column: updated_at}`; without `updated_column`, reconcile's is used."""

    max_p95: DurationLimit  # 15m, or {warn: 10m, fail: 15m}
    window: Duration = 86_400.0
    updated_column: SidePair | None = None
    sample: int = Field(default=20, ge=0, le=1000)

    @field_validator("window")
    @classmethod
    def _check_window(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("the window must be longer than 0s, e.g. 24h")
        return value

    def resolved(self, key: Key | None, reconcile: Reconcile | None) -> Latency:
        """With the updated columns filled in from reconcile; ValueError when the integration
        cannot measure latency (no key, or no updated column on both sides)."""
        if key is None:
            raise ValueError("latency needs a 'key' to match source and target records")
        column = self.updated_column or (reconcile.updated_column if reconcile else None)
        if column is None:
            raise ValueError(
                "latency needs the column that says when a record last changed, on both "
                "sides: add updated_column (e.g. updated_at, or {source: changed_at, target: "
                "synced_at}) to latency or to reconcile"
            )
        return self.model_copy(update={"updated_column": column})


class Reference(Model):
    """Every value of `column` exists in `references` ("system.table.column")."""

    column: str
    references: str

    @field_validator("references")
    @classmethod
    def _check_shape(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) < 3 or not all(parts):
            raise ValueError(f"expected <system>.<table>.<column>, got '{value}'")
        return value

    @property
    def system(self) -> str:
        return self.references.split(".")[0]

    @property
    def table(self) -> str:
        return self.references.split(".", 1)[1].rsplit(".", 1)[0]

    @property
    def referenced_column(self) -> str:
        return self.references.rsplit(".", 1)[1]


class SuiteRef(Model):
    """A GX suite file (relative to the monitor file) and the side it runs on."""

    suite: str
    side: Literal["source", "target"] = "target"
    key: Names | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return {"suite": value} if isinstance(value, str) else value


class AlertPolicy(Model):
    after_failures: int = Field(default=1, ge=1)


def expand_schema(value: object) -> object:
    """`schema: {}` means on; no options exist yet."""
    if isinstance(value, dict):
        if value:
            raise ValueError(f"schema takes no options; write schema: true (got {value})")
        return True
    return value


class Integration(Model):
    description: str = ""
    source: DatasetRef
    # one target (`target`), or several compared with the golden source (`targets`, see
    # `target` and `per_target`); neither/both/empty are reported by config/references.py
    target_: DatasetRef | None = Field(default=None, alias="target")
    targets: list[DatasetRef] = []
    key: Key | None = None
    direction: Literal["one-way", "two-way"] = "one-way"
    golden: Literal["source", "target"] = "source"
    compare: list[CompareField] = []
    schedule: Annotated[str, AfterValidator(check_cron)] | None = None
    timezone: TimeZone = "UTC"
    timeout: Duration = 600.0
    severity: Severity = Severity.ERROR
    owners: Names = []
    freshness: Freshness | None = None
    volume: Volume | None = None
    reconcile: Reconcile | None = None
    latency: Latency | None = None
    references: list[Reference] = []
    schema_: Annotated[bool, BeforeValidator(expand_schema)] = Field(default=False, alias="schema")
    suites: list[SuiteRef] = []
    alert: AlertPolicy = AlertPolicy()
    queue: Queue | None = None  # the Celery queue of its runs (executor: celery)
    # None: as the top-level `anomalies:` says; `true` the defaults, `false` off
    anomalies: Annotated[Anomalies | None, BeforeValidator(as_section)] = None

    @field_validator("latency")
    @classmethod
    def _resolve_latency(cls, value: Latency | None, info: ValidationInfo) -> Latency | None:
        if value is None or "key" not in info.data or "reconcile" not in info.data:
            return value  # a broken key or reconcile is reported on its own
        return value.resolved(info.data["key"], info.data["reconcile"])

    @model_validator(mode="after")
    def _check_key(self) -> Integration:
        if self.key is None and (self.reconcile is not None or self.compare):
            raise ValueError("'reconcile' and 'compare' need a 'key' to match records")
        if self.target_ is None and "targets" not in self.model_fields_set:
            raise ValueError(
                "missing required key 'target' (one dataset) or 'targets' (a list of them)"
            )
        return self

    @property
    def target(self) -> DatasetRef:
        """The target, or the first of `targets` (what single-side checks measure)."""
        found = self.target_ or next(iter(self.targets), None)
        if found is None:  # load_config reports it; a Config is never built without one
            raise ValueError("the integration has no 'target'")
        return found

    @property
    def all_targets(self) -> list[DatasetRef]:
        """Every target compared with the source: `targets`, or `[target]`."""
        return list(self.targets) or [self.target]

    def per_target(self, check: str, target: DatasetRef) -> str:
        """The name of a check run once per target: `reconcile(erp.customers)` with
        `targets`, the plain name (`reconcile`) otherwise."""
        return f"{check}({target.label})" if self.targets else check

    @property
    def reconciles(self) -> bool:
        """Whether records are matched by key: `reconcile` or `compare` is given."""
        return self.reconcile is not None or bool(self.compare)
