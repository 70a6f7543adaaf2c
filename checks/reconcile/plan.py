"""The comparison plan: which columns of each side are compared, and in which category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from checks.reconcile.canonical_form import normalize
from checks.reconcile.errors import BadColumn, IncomparableTypes
from checks.spec import FieldSpec, ReconcileSpec
from datasources.dataset import Dataset

if TYPE_CHECKING:  # files only: a run of SQL datasets does not load pyarrow
    import pyarrow as pa

_NUMERIC = {"integer", "number"}


@dataclass(frozen=True)
class Column:
    """One column of one side: name, comparison category, whether timestamps are zoned, and
    whether the database allows NULL in it."""

    name: str
    category: str
    type_name: str
    zoned: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class Pair:
    """A source column and a target column compared in one category (per side when mapped)."""

    source: Column
    target: Column
    source_category: str
    target_category: str
    spec: FieldSpec | None = None

    @property
    def numeric(self) -> bool:
        """Whether tolerances apply."""
        return self.spec is not None and (
            self.spec.tolerance is not None or self.spec.relative_tolerance is not None
        )

    def source_map(self) -> dict[str, str]:
        """The value map with keys and values normalised like the values they meet."""
        if self.spec is None:
            return {}
        norm = self.spec.normalize
        return {str(normalize(k, norm)): str(normalize(v, norm)) for k, v in self.spec.map.items()}


@dataclass(frozen=True)
class Plan:
    """Everything the engines need, decided before any data is read."""

    spec: ReconcileSpec
    keys: tuple[Pair, ...]
    fields: tuple[Pair, ...]
    source_updated: Column | None
    target_updated: Column | None
    cutoff: str | None  # canonical UTC text: rows updated after it are in flight


def arrow_category(arrow_type: pa.DataType) -> tuple[str, bool]:
    """Comparison category (and zoned-ness) of an Arrow column type."""
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type) or pa.types.is_integer(arrow_type):
        return "integer", False
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number", False
    if pa.types.is_timestamp(arrow_type):
        return "timestamp", arrow_type.tz is not None
    if pa.types.is_date(arrow_type):
        return "date", False
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text", False
    return f"unsupported:{arrow_type}", False


def build_plan(
    spec: ReconcileSpec,
    source: dict[str, Column],
    target: dict[str, Column],
    now: datetime,
    keys: tuple[Pair, ...] | None = None,
) -> Plan:
    """Check names and types of both sides and pair the columns; raises ReconcileError.
    `keys` are given when the key is not paired column to column (a crosswalk)."""
    if keys is not None:
        return _with_keys(spec, source, target, now, keys)
    if len(spec.source_key) != len(spec.target_key) or not spec.source_key:
        raise BadColumn("source and target keys must name the same number of columns (>= 1)")
    keys = tuple(
        pair_columns(
            column_named(spec.source, source, s),
            column_named(spec.target, target, t),
            None,
            spec.source.label,
            spec.target.label,
        )
        for s, t in zip(spec.source_key, spec.target_key, strict=True)
    )
    return _with_keys(spec, source, target, now, keys)


def _with_keys(
    spec: ReconcileSpec,
    source: dict[str, Column],
    target: dict[str, Column],
    now: datetime,
    keys: tuple[Pair, ...],
) -> Plan:
    fields = tuple(
        pair_columns(
            column_named(spec.source, source, f.source),
            column_named(spec.target, target, f.target),
            f,
            spec.source.label,
            spec.target.label,
        )
        for f in spec.fields
    )
    s_upd = _updated(spec.source, source, spec.source_updated_column, spec.grace_s)
    t_upd = _updated(spec.target, target, spec.target_updated_column, spec.grace_s)
    cutoff = None
    if spec.grace_s and (s_upd or t_upd):
        moment = now if now.tzinfo else now.replace(tzinfo=UTC)
        edge = (moment - timedelta(seconds=spec.grace_s)).astimezone(UTC)
        cutoff = edge.strftime("%Y-%m-%d %H:%M:%S.%f")
    return Plan(spec, keys, fields, s_upd, t_upd, cutoff)


def column_named(dataset: Dataset, columns: dict[str, Column], name: str) -> Column:
    """The named column of a side; BadColumn listing the columns there are."""
    if name in columns:
        return columns[name]
    known = ", ".join(sorted(columns)) or "(none)"
    raise BadColumn(f"{dataset.label}: no column {name!r}; columns are: {known}")


def _updated(
    dataset: Dataset, columns: dict[str, Column], name: str | None, grace_s: float | None
) -> Column | None:
    if name is None or not grace_s:
        return None
    column = column_named(dataset, columns, name)
    if column.category != "timestamp":
        raise IncomparableTypes(
            f"{dataset.label}: updated column {name!r} is {column.type_name}, not a timestamp"
        )
    return column


def pair_columns(s: Column, t: Column, spec: FieldSpec | None, s_label: str, t_label: str) -> Pair:
    """The category two columns are compared in; IncomparableTypes when there is none."""
    what = f"{s_label}.{s.name} ({s.type_name}) and {t_label}.{t.name} ({t.type_name})"
    for column in (s, t):
        if column.category.startswith("unsupported"):
            raise IncomparableTypes(f"cannot compare {what}: {column.type_name} is not supported")
    if spec is not None and spec.map:
        return Pair(s, t, s.category, t.category, spec)
    if s.category == t.category:
        category = s.category
    elif {s.category, t.category} <= _NUMERIC:
        category = "number"
    elif "text" in (s.category, t.category) and _text_side(s, t).type_name.startswith("file:"):
        # text in a file is read in the other side's category (CSV exports, text dates)
        category = t.category if s.category == "text" else s.category
    elif {s.category, t.category} == {"integer", "text"} and not _tolerant(spec):
        # an integer beside database text: both compared as text, the integer as its digits
        return Pair(s, t, s.category, t.category, spec)
    else:
        raise IncomparableTypes(
            f"cannot compare {what}: {s.category} and {t.category} values never match; "
            f"fix: give one side a query that casts the column to the other side's type"
        )
    if _tolerant(spec):
        if category not in _NUMERIC:
            raise IncomparableTypes(f"a tolerance needs numbers; cannot apply it to {what}")
        category = "number"
    return Pair(s, t, category, category, spec)


def _tolerant(spec: FieldSpec | None) -> bool:
    return spec is not None and (spec.tolerance is not None or spec.relative_tolerance is not None)


def _text_side(s: Column, t: Column) -> Column:
    return s if s.category == "text" else t
