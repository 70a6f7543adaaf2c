"""Reconcile through a crosswalk, against ground truth injected into real databases: source,
target and crosswalk in PostgreSQL, MariaDB and SQLite (each in a different engine, and all
three in one), with N changed records, M missing on each side, K keys missing from the
crosswalk on each side and J ambiguous mappings each way. Every count must equal the truth."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from checks.reconcile import crosswalk, reconcile
from checks.result import CheckResult, Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.dataset import Dataset
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
URLS = {"pg": "pg_url", "mariadb": "mariadb_url", "sqlite": "sqlite_url"}
FIELDS = (
    FieldSpec("email", "email", normalize=("trim", "lower")),
    FieldSpec("balance", "balance", tolerance=0.01),
)


@dataclass
class Truth:
    """The rows of the three tables and what a reconcile must count."""

    source: list[list[Any]] = field(default_factory=list)  # shop_id, email, balance
    target: list[list[Any]] = field(default_factory=list)  # crm_id, email, balance
    xref: list[list[Any]] = field(default_factory=list)  # row id, shop_id, crm_id
    expected: dict[str, int] = field(default_factory=dict)


def build_truth(seed: int, matched: int, n: int, m: int, k: int, j: int) -> Truth:
    """`matched` equal records, `n` changed, `m` missing in each side, `k` keys of each side
    missing from the crosswalk, `j` one-to-many and `j` many-to-one mappings."""
    r = random.Random(seed)
    ids = r.sample(range(1, 10_000_000), matched + n + 2 * m + 2 * k + 6 * j + 50)
    take = iter(ids)
    truth = Truth()

    def person(shop_id: int) -> tuple[str, Decimal]:
        return f"p{shop_id}@example.com", Decimal(r.randrange(0, 10**6)) / 100

    def xref(shop_id: int, crm_id: str) -> None:
        truth.xref.append([len(truth.xref) + 1, shop_id, crm_id])

    def both(
        shop_id: int,
        *,
        changed: bool = False,
        in_source: bool = True,
        in_target: bool = True,
        mapped: bool = True,
    ) -> str:
        crm_id = f"C-{shop_id:08d}"
        email, balance = person(shop_id)
        if in_source:
            shown = f"  {email.upper()} " if r.random() < 0.3 else email  # equal once normalised
            truth.source.append([shop_id, shown, balance + Decimal("0.004")])
        if in_target:
            other = f"x{email}" if changed and r.random() < 0.5 else email
            money = balance + Decimal("5.00") if changed and other == email else balance
            truth.target.append([crm_id, other, money])
        if mapped:
            xref(shop_id, crm_id)
        return crm_id

    for _ in range(matched):
        shop_id = next(take)
        both(shop_id)
        if r.random() < 0.05:
            xref(shop_id, f"C-{shop_id:08d}")  # the same pair twice is still one mapping
    for _ in range(n):
        both(next(take), changed=True)
    for _ in range(m):
        both(next(take), in_target=False)  # mapped, missing in the target
        both(next(take), in_source=False)  # mapped, missing in the source
    for _ in range(k):
        both(next(take), in_target=False, mapped=False)  # source key not in the crosswalk
        both(next(take), in_source=False, mapped=False)  # target key not in the crosswalk
    for _ in range(j):
        one = next(take)  # one source key -> two target keys (both in the target)
        both(one, in_target=False, mapped=False)
        for _twin in range(2):
            xref(one, both(next(take), in_source=False, mapped=False))
        crm_id = both(next(take), in_source=False, mapped=False)  # two source keys -> one
        for _twin in range(2):
            shop_id = next(take)
            both(shop_id, in_target=False, mapped=False)
            xref(shop_id, crm_id)
    for _ in range(50):
        both(next(take), in_source=False, in_target=False)  # crosswalk rows of neither side
    for rows in (truth.source, truth.target, truth.xref):
        r.shuffle(rows)
    truth.expected = {
        "changed": n,
        "missing_in_target": m,
        "missing_in_source": m,
        "compared": matched + n + 2 * m,
        "source_keys_not_in_crosswalk": k,
        "target_keys_not_in_crosswalk": k,
        "source_keys_ambiguous": j + 2 * j,  # the one-to-many key, the two many-to-one keys
        "target_keys_ambiguous": 2 * j + j,
        "crosswalk_one_to_many": j,
        "crosswalk_many_to_one": j,
    }
    return truth


def _load(truth: Truth, kinds: tuple[str, str, str], request: pytest.FixtureRequest) -> Any:
    url = {kind: str(request.getfixturevalue(URLS[kind])) for kind in set(kinds)}
    source = load(
        url[kinds[0]],
        [("shop_id", "key_int"), ("email", "text"), ("balance", "decimal")],
        truth.source,
        key=["shop_id"],
    )
    target = load(
        url[kinds[1]],
        [("crm_id", "key_text"), ("email", "text"), ("balance", "decimal")],
        truth.target,
        key=["crm_id"],
    )
    xref = load(
        url[kinds[2]],
        [("id", "key_int"), ("shop_id", "int"), ("crm_id", "key_text")],
        truth.xref,
        key=["id"],
    )
    return source, target, xref


def _run(
    source: Dataset, target: Dataset, xref: Dataset, xref_source: str = "shop_id"
) -> CheckResult:
    spec = ReconcileSpec(
        source,
        target,
        ("shop_id",),
        ("crm_id",),
        FIELDS,
        Severity.ERROR,
        sample=10,
        crosswalk=xref,
        crosswalk_source=xref_source,
        crosswalk_target="crm_id",
    )
    return reconcile(spec, NOW)


def _counts(result: CheckResult, truth: Truth) -> dict[str, int]:
    return {name: result.metrics[name] for name in truth.expected}


@pytest.mark.parametrize(
    "kinds",
    [
        ("pg", "mariadb", "sqlite"),
        ("mariadb", "sqlite", "pg"),
        ("sqlite", "pg", "mariadb"),
        ("pg", "pg", "pg"),
    ],
    ids=lambda k: "-".join(k),
)
def test_counts_equal_the_injected_truth(
    kinds: tuple[str, str, str], request: pytest.FixtureRequest
) -> None:
    truth = build_truth(seed=17, matched=800, n=23, m=11, k=7, j=4)
    result = _run(*_load(truth, kinds, request))
    assert result.outcome is Outcome.FAILED, result.reason
    assert _counts(result, truth) == truth.expected
    unmatched = sum(truth.expected[name] for name in crosswalk.COUNTS)
    assert result.metrics["unmatched_keys"] == unmatched
    differing = 23 + 2 * 11 + unmatched
    assert result.metrics["mismatch_rate"] == differing / (truth.expected["compared"] + unmatched)
    assert result.metrics["engine"] == "crosswalk"
    assert f"{unmatched:,} not matched through the crosswalk" in str(result.reason)
    kinds_seen = {k.kind for k in result.mismatched_keys}
    assert kinds_seen == {"changed", "missing_in_target", "missing_in_source"}
    assert all(set(k.key) == {"crm_id"} for k in result.mismatched_keys)  # the target's keys
    examples = result.metrics["crosswalk_examples"]
    in_xref = {str(row[1]) for row in truth.xref}
    unmapped = {str(row[0]) for row in truth.source} - in_xref
    assert len(examples["source_not_in_crosswalk"]) == 5
    assert set(examples["source_not_in_crosswalk"]) <= unmapped
    assert set(examples["source_ambiguous"]) <= in_xref  # shown by the source's own keys
    assert len(set(examples["target_ambiguous"])) == 5
    assert set(result.metrics.get("queries", {})) <= {"target"}


def test_few_rows_held_at_a_time_gives_the_same_counts(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for 7 translated rows, the differing buckets take many passes: same counts."""
    truth = build_truth(seed=5, matched=300, n=40, m=9, k=3, j=2)
    datasets = _load(truth, ("sqlite", "mariadb", "pg"), request)
    whole = _counts(_run(*datasets), truth)
    monkeypatch.setattr(crosswalk, "HELD_ROWS", 7)
    assert _counts(_run(*datasets), truth) == whole == truth.expected


def test_a_clean_crosswalk_passes(request: pytest.FixtureRequest) -> None:
    truth = build_truth(seed=3, matched=400, n=0, m=0, k=0, j=0)
    result = _run(*_load(truth, ("pg", "sqlite", "mariadb"), request))
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.metrics["compared"] == 400 and result.metrics["unmatched_keys"] == 0


def test_a_crosswalk_column_that_does_not_exist_is_an_error(
    request: pytest.FixtureRequest,
) -> None:
    truth = build_truth(seed=1, matched=10, n=0, m=0, k=0, j=0)
    source, target, xref = _load(truth, ("sqlite", "sqlite", "pg"), request)
    result = _run(source, target, xref, xref_source="shop_ref")
    assert result.outcome is Outcome.ERROR
    assert f"{xref.label}: no column 'shop_ref'" in str(result.reason)
    assert "crm_id, id, shop_id" in str(result.reason)


def test_a_files_side_is_an_error_naming_it(request: pytest.FixtureRequest, tmp_path: Any) -> None:
    truth = build_truth(seed=2, matched=10, n=0, m=0, k=0, j=0)
    source = load(
        "file",
        [("shop_id", "key_int"), ("email", "text"), ("balance", "decimal")],
        truth.source,
        key=[],
        tmp=tmp_path,
    )
    _, target, xref = _load(truth, ("sqlite", "sqlite", "sqlite"), request)
    result = _run(source, target, xref)
    assert result.outcome is Outcome.ERROR
    assert f"{source.label} (source): a reconcile through a crosswalk reads SQL" in str(
        result.reason
    )
