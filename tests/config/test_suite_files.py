"""Suite files: one validator (checks.suite_file) for `dxq validate`, the run and the Suites page;
light (no GX import), with the list of GX expectation types and their arguments kept true."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checks.expectation_types import GX_VERSION
from checks.result import Outcome, Severity
from checks.spec import SuiteSpec
from datasources.dataset import Dataset, SqlSystem
from monitor.config.suite_files import check_suite_file

ROOT = Path(__file__).resolve().parents[2]
NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}


def test_expectation_types_and_arguments_match_what_gx_registers() -> None:
    import great_expectations as gx

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import expectation_types as generator  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert gx.__version__ == GX_VERSION
    generated = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "-"],
        input=generator.render(generator.registered_arguments()),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (ROOT / "checks" / "expectation_types.py").read_text(encoding="utf-8") == generated


def test_a_suite_written_by_gx_passes(tmp_path: Path) -> None:
    import great_expectations as gx

    gxe: Any = gx.expectations
    suite = gx.ExpectationSuite(
        name="orders",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="id", mostly=0.9),
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeInSet(column="s", value_set=["a"], severity="warning"),
        ],
    )
    data: dict[str, Any] = dict(suite.to_json_dict())
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert check_suite_file(path) == []


def test_loading_and_planning_never_import_gx() -> None:
    code = (
        "import sys, monitor.config.loading, monitor.run.plan, monitor.config.suite_files, "
        "monitor.config.model, checks.suite_file; "
        "sys.exit('great_expectations' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]", ["1: expected a JSON object with 'name' and 'expectations'"]),
        ('{"expectations": []}', ["1: missing the suite 'name' (a non-empty string)"]),
        (
            '{"name": "s",\n "expectations": {}}',
            ["2: expectations: expected a list 'expectations'"],
        ),
        ('{"name": "s"}', ["1: expected a list 'expectations'"]),
        (
            '{"name": "s", "expectations": [\n  "x"\n]}',
            ["2: expectations[0]: expected an object with 'type' and 'kwargs'"],
        ),
        (
            '{"name": "s", "expectations": [\n  {"expectation_type": "expect_column_to_exist",\n'
            '   "kwargs": {"column": "a"}}]}',
            [
                "2: expectations[0].expectation_type: GX 0.x form: rename 'expectation_type' "
                "to 'type'"
            ],
        ),
        (
            '{"name": "s", "expectations": [{"kwargs": {"column": "a"}}]}',
            ["1: expectations[0]: missing the expectation 'type'"],
        ),
        (
            '{"name": "s", "expectations": [{"type": "expect_magic", "kwargs": []}]}',
            [
                "1: expectations[0].type: unknown expectation type 'expect_magic'",
                "1: expectations[0].kwargs: expected 'kwargs', an object of the "
                "expectation's arguments",
            ],
        ),
        (
            '{"name": "s", "expectations": [\n {"type": "expect_column_to_exist",\n'
            '  "kwargs": {\n   "colum": "a"}}]}',
            [
                "3: expectations[0].kwargs: expect_column_to_exist needs the argument 'column'",
                "4: expectations[0].kwargs.colum: not an argument of expect_column_to_exist; "
                "did you mean 'column'?",
            ],
        ),
        ('{"name": "s",\n"expectations": [}', ["2: invalid JSON: Expecting value"]),
    ],
)
def test_suite_problems_are_placed_on_their_lines(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(text, encoding="utf-8")
    assert [str(p) for p in check_suite_file(path)] == [f"{path}:{e}" for e in expected]


def test_missing_and_unreadable_suite_files(tmp_path: Path) -> None:
    assert [str(p) for p in check_suite_file(tmp_path / "gone.json")] == [
        f"{tmp_path / 'gone.json'}: suite file not found"
    ]
    [problem] = check_suite_file(tmp_path)  # a directory is not a suite file
    assert problem.message.startswith("cannot read the suite file")


def _suite(*expectations: Any, **top: Any) -> dict[str, Any]:
    return {"name": "s", "expectations": list(expectations), **top}


def _rows_query(query: str) -> dict[str, Any]:
    return {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": query}}


# Each suite file, and whether dxq accepts it. Both `dxq validate` and the run must agree.
VERDICTS: dict[str, tuple[Any, bool]] = {
    "good": (_suite(NOT_NULL), True),
    "good_empty": (_suite(), True),
    "good_meta_severity": (_suite({**NOT_NULL, "meta": {"severity": "warning"}}), True),
    "good_gx_fields": (
        _suite({**NOT_NULL, "id": "x", "severity": "warning", "notes": "n", "description": "d"}),
        True,
    ),
    "good_common_kwargs": (
        _suite({**NOT_NULL, "kwargs": {"column": "id", "catch_exceptions": True}}),
        True,
    ),
    "unknown_key": (_suite({**NOT_NULL, "colour": "red"}), False),
    "legacy_expectation_type": (
        _suite({"expectation_type": NOT_NULL["type"], "kwargs": {"column": "id"}}),
        False,
    ),
    "unknown_type": (_suite({"type": "expect_magic", "kwargs": {}}), False),
    "not_expect_prefix": (_suite({"type": "column_to_exist", "kwargs": {}}), False),
    "unknown_kwarg": (_suite({**NOT_NULL, "kwargs": {"column": "id", "colum": "x"}}), False),
    "missing_required_kwarg": (_suite({**NOT_NULL, "kwargs": {}}), False),
    "missing_kwargs": (_suite({"type": NOT_NULL["type"]}), False),
    "kwargs_not_object": (_suite({**NOT_NULL, "kwargs": ["id"]}), False),
    "mostly_above_one": (_suite({**NOT_NULL, "kwargs": {"column": "id", "mostly": 1.5}}), False),
    "column_not_text": (_suite({**NOT_NULL, "kwargs": {"column": 3}}), False),
    "value_set_not_list": (
        _suite(
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "s", "value_set": "a"},
            }
        ),
        False,
    ),
    "suite_parameter": (
        _suite({**NOT_NULL, "kwargs": {"column": "id", "mostly": {"$PARAMETER": "m"}}}),
        False,
    ),
    "bad_gx_severity": (_suite({**NOT_NULL, "severity": "loud"}), False),
    "bad_meta_severity": (_suite({**NOT_NULL, "meta": {"severity": "loud"}}), False),
    "meta_not_object": (_suite({**NOT_NULL, "meta": "m"}), False),
    "no_name": ({"expectations": [NOT_NULL]}, False),
    "expectations_not_list": ({"name": "s", "expectations": {}}, False),
    "expectation_not_object": (_suite("x"), False),
    "one_query_statement": (_suite(_rows_query("SELECT * FROM {batch} WHERE id < 0;")), True),
    "two_query_statements": (
        _suite(_rows_query("SELECT * FROM {batch} WHERE id < 0; CREATE TABLE pwned (a int)")),
        False,
    ),
    "writing_query": (_suite(_rows_query("DELETE FROM orders")), False),
    "not_json": ("{", False),
    "not_object": ([NOT_NULL], False),
}


def test_validate_and_run_give_the_same_verdict_on_every_suite_file(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table orders (id integer, s text)")
        conn.execute("insert into orders values (1, 'a')")
    for name, (doc, _) in VERDICTS.items():
        text = doc if isinstance(doc, str) else json.dumps(doc, indent=1)
        (tmp_path / f"{name}.json").write_text(text, encoding="utf-8")
    monitor = tmp_path / "dxq.yml"
    suites = ", ".join(f"{name}.json" for name in VERDICTS)
    monitor.write_text(
        f"version: 1\nstore: sqlite:///{tmp_path / 'results.db'}\n"
        f"systems: {{shop: {{url: 'sqlite:///{db}'}}}}\n"
        f"integrations:\n  i: {{source: shop.orders, target: shop.orders, suites: [{suites}]}}\n",
        encoding="utf-8",
    )
    validated = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "validate", "-c", str(monitor)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 2, validated.stderr
    refused_by_validate = {
        name for name in VERDICTS if f"{tmp_path / name}.json" in validated.stderr
    }

    from checks.gx.adapter import run_suite

    dataset = Dataset(SqlSystem("shop", f"sqlite:///{db}"), table="orders")
    refused_by_run = set()
    for name in VERDICTS:
        spec = SuiteSpec(tmp_path / f"{name}.json", f"{name}.json", dataset, Severity.ERROR)
        results = run_suite(spec)
        invalid = [r for r in results if "invalid suite file" in (r.reason or "")]
        if invalid:
            assert all(r.outcome is Outcome.ERROR for r in results)
            refused_by_run.add(name)
        else:
            assert all(r.outcome is Outcome.PASSED for r in results), (name, results)
    expected = {name for name, (_, ok) in VERDICTS.items() if not ok}
    assert refused_by_validate == expected
    assert refused_by_run == expected
    with sqlite3.connect(db) as conn:  # no query of a refused suite ran
        tables = {row[0] for row in conn.execute("select name from sqlite_master")}
        assert tables == {"orders"}
        assert conn.execute("select count(*) from orders").fetchone() == (1,)


def test_the_run_names_the_file_place_and_fix(tmp_path: Path) -> None:
    from checks.gx.adapter import run_suite

    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(_suite({"expectation_type": NOT_NULL["type"]})), encoding="utf-8")
    db = tmp_path / "x.db"
    sqlite3.connect(db).close()
    spec = SuiteSpec(
        path, "legacy.json", Dataset(SqlSystem("x", f"sqlite:///{db}"), "t"), Severity.ERROR
    )
    [result] = run_suite(spec)
    assert result.outcome is Outcome.ERROR
    assert f"{path}: expectations[0].expectation_type: GX 0.x form: rename" in (result.reason or "")


def test_meta_severity_sets_the_severity_of_the_expectations_results(tmp_path: Path) -> None:
    from checks.gx.adapter import run_suite

    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table orders (id integer, s text)")
        conn.execute("insert into orders values (null, 'a')")
    conn.close()
    path = tmp_path / "s.json"
    warned = {**NOT_NULL, "meta": {"severity": "warning"}}
    path.write_text(json.dumps(_suite(warned, NOT_NULL)), encoding="utf-8")
    dataset = Dataset(SqlSystem("shop", f"sqlite:///{db}"), table="orders")
    first, second = run_suite(SuiteSpec(path, "s.json", dataset, Severity.CRITICAL))
    assert (first.outcome, first.severity) == (Outcome.WARNED, Severity.WARNING)
    assert (second.outcome, second.severity) == (Outcome.FAILED, Severity.CRITICAL)
