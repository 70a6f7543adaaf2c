"""Exact counts of a reconcile, and the bounded list of differing keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from checks.reconcile.canonical_form import exceeds
from checks.reconcile.plan import Pair, Plan
from checks.result import MismatchedKey

MAX_KEYS = 10_000

Values = tuple[str | None, ...]


@dataclass
class Tally:
    """Counts over keys that are not in flight; `keys` holds at most MAX_KEYS differences and
    `in_flight_keys` at most MAX_KEYS keys left out as in flight."""

    plan: Plan
    source_rows: int = 0
    target_rows: int = 0
    compared: int = 0
    missing_in_target: int = 0
    missing_in_source: int = 0
    changed: int = 0
    changed_by_field: dict[str, int] = field(default_factory=dict)
    keys: list[MismatchedKey] = field(default_factory=list)
    in_flight_keys: list[dict[str, object]] = field(default_factory=list)
    # Every compared field's [source, target] of the first `sample` differing keys (None for
    # the missing side): the sample shows the whole record, not only what differs.
    sample_values: list[dict[str, list[str | None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for pair in self.plan.fields:
            self.changed_by_field.setdefault(_name(pair), 0)

    def add_equal(self, rows: int) -> None:
        """Rows whose bucket checksums agree: matched and unchanged on both sides."""
        self.source_rows += rows
        self.target_rows += rows
        self.compared += rows

    def add(self, key: Values, source: Values | None, target: Values | None) -> None:
        """One key present on one or both sides."""
        self.compared += 1
        if source is None:
            self.target_rows += 1
            self.missing_in_source += 1
            self._remember(key, "missing_in_source", {}, None, target)
            return
        self.source_rows += 1
        if target is None:
            self.missing_in_target += 1
            self._remember(key, "missing_in_target", {}, source, None)
            return
        self.target_rows += 1
        differing = {
            _name(pair): [s, t]
            for pair, s, t in zip(self.plan.fields, source, target, strict=True)
            if differs(pair, s, t)
        }
        if differing:
            self.changed += 1
            for name in differing:
                self.changed_by_field[name] += 1
            self._remember(key, "changed", differing, source, target)

    def add_in_flight(self, key: Values) -> None:
        """A key left out because it is in flight (kept, up to MAX_KEYS, so that its earlier
        mismatch is not taken for resolved)."""
        if len(self.in_flight_keys) < MAX_KEYS:
            self.in_flight_keys.append(key_dict(self.plan, key))

    def _remember(
        self,
        key: Values,
        kind: str,
        fields: dict[str, list[str | None]],
        source: Values | None,
        target: Values | None,
    ) -> None:
        if len(self.sample_values) < self.plan.spec.sample:
            absent = (None,) * len(self.plan.fields)  # the side the record is missing from
            pairs = zip(self.plan.fields, source or absent, target or absent, strict=True)
            self.sample_values.append({_name(pair): [s, t] for pair, s, t in pairs})
        if len(self.keys) < MAX_KEYS:
            self.keys.append(MismatchedKey(key_dict(self.plan, key), kind, dict(fields)))


def differs(pair: Pair, source: str | None, target: str | None) -> bool:
    """Whether two canonical values disagree under the field's rules."""
    if source is None or target is None:
        return source is not target
    if source == target:
        return False
    if not pair.numeric or pair.spec is None:
        return True
    try:
        return exceeds(
            Decimal(source), Decimal(target), pair.spec.tolerance, pair.spec.relative_tolerance
        )
    except InvalidOperation:
        return True


def key_dict(plan: Plan, key: Values) -> dict[str, object]:
    """The key by source column names; integer keys as numbers."""
    out: dict[str, object] = {}
    for pair, value in zip(plan.keys, key, strict=True):
        if pair.source_category == "integer" and value is not None and value.lstrip("-").isdigit():
            out[pair.source.name] = int(value)
        else:
            out[pair.source.name] = value
    return out


def _name(pair: Pair) -> str:
    return pair.spec.name if pair.spec is not None else pair.target.name
