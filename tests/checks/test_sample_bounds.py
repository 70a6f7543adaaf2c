"""Sample values are bounded in one place (CheckResult): a 1 MB value is kept as its first
1 KB, marked as truncated, by every check that produces samples (issue 11 item 13)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from checks.gx.adapter import run_suite
from checks.reconcile.check import reconcile
from checks.references import check_references
from checks.result import (
    SAMPLE_VALUE_CHARS,
    CheckKind,
    CheckResult,
    MismatchedKey,
    Outcome,
    Severity,
    bounded,
)
from checks.spec import FieldSpec, ReconcileSpec, ReferenceSpec, SuiteSpec
from datasources.dataset import Dataset, SqlSystem

HUGE = "x" * 1_048_576
MARK = "… [truncated from 1,048,576 characters]"


def test_bounded_cuts_long_text_once_and_leaves_the_rest() -> None:
    cut = bounded(HUGE)
    assert cut == "x" * SAMPLE_VALUE_CHARS + MARK
    assert bounded(cut) == cut  # read back from the store: not cut again
    assert bounded("x" * SAMPLE_VALUE_CHARS) == "x" * SAMPLE_VALUE_CHARS
    assert bounded({"a": [HUGE, 1, None], "b": (HUGE,)}) == {"a": [cut, 1, None], "b": (cut,)}
    assert bounded(b"raw") == b"raw" and bounded(3.5) == 3.5


def test_every_result_bounds_its_sample_observed_and_mismatched_fields() -> None:
    result = CheckResult(
        "c",
        CheckKind.RECONCILE,
        Outcome.FAILED,
        Severity.ERROR,
        observed=HUGE,
        sample=[{"key": {"id": 1}, "fields": {"note": [HUGE, "short"]}}],
        mismatched_keys=(MismatchedKey({"id": 1}, "changed", {"note": [HUGE, "short"]}),),
    )
    assert len(json.dumps(result.to_json())) < 3 * SAMPLE_VALUE_CHARS
    assert result.sample[0]["fields"]["note"] == ["x" * SAMPLE_VALUE_CHARS + MARK, "short"]
    assert result.mismatched_keys[0].fields["note"][0].endswith(MARK)
    assert result.mismatched_keys[0].key == {"id": 1}


def _sqlite(tmp_path: Path, *statements: str) -> SqlSystem:
    url = f"sqlite:///{tmp_path}/{uuid.uuid4().hex[:8]}.db"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement), {"huge": HUGE})
    engine.dispose()
    return SqlSystem(f"s-{uuid.uuid4().hex[:6]}", url)


def test_checks_on_real_data_keep_a_kilobyte_of_a_megabyte_value(tmp_path: Path) -> None:
    system = _sqlite(
        tmp_path,
        "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT)",
        "CREATE TABLE b (id INTEGER PRIMARY KEY, note TEXT)",
        "INSERT INTO a VALUES (1, :huge)",
        "INSERT INTO b VALUES (1, 'short')",
    )
    a, b = Dataset(system, table="a"), Dataset(system, table="b")
    spec = ReconcileSpec(a, b, ("id",), ("id",), (FieldSpec("note", "note"),), Severity.ERROR)
    references = ReferenceSpec(a, "note", b, "note", Severity.ERROR)
    suite = tmp_path / "s.json"
    expectation = {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "note", "value_set": ["short"]},
    }
    suite.write_text(json.dumps({"name": "s", "expectations": [expectation]}), "utf-8")
    results = [
        reconcile(spec, datetime.now(UTC)),
        check_references(references),
        *run_suite(SuiteSpec(suite, "suites/s.json", a, Severity.ERROR)),
    ]
    for result in results:
        assert result.outcome is Outcome.FAILED, result.reason
        text = json.dumps(result.to_json(), ensure_ascii=False)
        assert MARK in text, result.check
        assert len(text) < 20 * SAMPLE_VALUE_CHARS, (result.check, len(text))
