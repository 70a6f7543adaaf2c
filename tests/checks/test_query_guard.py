"""No query-taking path can write to a monitored database (issue 11 item 3): the monitor file's
source and reference queries, suite expectation queries and GX's own engines, on PostgreSQL,
MariaDB and SQLite. The rule (datasources/statement.py) refuses extra statements up front; below
it, the drivers are set up to run one statement per text (datasources/connection.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from checks.freshness import check_freshness
from checks.gx import adapter
from checks.gx.adapter import run_suite
from checks.reconcile.check import reconcile
from checks.references import check_references
from checks.result import CheckResult, Outcome, Severity
from checks.schema import check_schema
from checks.spec import (
    FieldSpec,
    FreshnessSpec,
    ReconcileSpec,
    ReferenceSpec,
    SchemaSpec,
    SuiteSpec,
    VolumeSpec,
)
from checks.volume import check_volume
from datasources.connection import read_only
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import Cause, DatasourceError

ROOT = Path(__file__).resolve().parents[2]

# What follows the first statement: leave the read-only transaction, undo the read-only
# session default where there is one, then write.
_ESCAPE = {
    "sqlite": "COMMIT; PRAGMA query_only = OFF; CREATE TABLE {t} (x int)",
    "postgresql": (
        "COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; CREATE TABLE {t} (x int)"
    ),
    "mariadb": "COMMIT; SET SESSION TRANSACTION READ WRITE; CREATE TABLE {t} (x int)",
}
_URL = {"sqlite": "sqlite_url", "postgresql": "pg_url", "mariadb": "mariadb_url"}


class Target:
    """A database with a table `items(id, at)`, and the name of a table no path may create."""

    def __init__(self, engine: str, url: str) -> None:
        self.engine, self.url = engine, url
        self.items = f"items_{uuid.uuid4().hex[:8]}"
        self.pwned = f"pwned_{uuid.uuid4().hex[:8]}"
        self.system = SqlSystem(f"shop-{uuid.uuid4().hex[:6]}", url)
        admin = sa.create_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE {self.items} (id INTEGER, at TIMESTAMP)")
            conn.exec_driver_sql(f"INSERT INTO {self.items} VALUES (1, '2026-01-01 00:00:00')")
        admin.dispose()

    def attack(self, first: str = "SELECT 1 AS id") -> str:
        return f"{first}; " + _ESCAPE[self.engine].format(t=self.pwned)

    def created(self) -> bool:
        admin = sa.create_engine(self.url)
        try:
            with admin.connect() as conn:
                return self.pwned in sa.inspect(conn).get_table_names()
        finally:
            admin.dispose()


@pytest.fixture(params=list(_URL))
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    url = str(request.getfixturevalue(_URL[request.param]))
    yield Target(request.param, url)


def _suite(tmp_path: Path, expectation: dict[str, object]) -> Path:
    path = tmp_path / f"suite_{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps({"name": "s", "expectations": [expectation]}), "utf-8")
    return path


def _refused(result: CheckResult) -> None:
    assert result.outcome is Outcome.ERROR, result
    assert result.cause is Cause.BAD_QUERY, result
    assert "statements" in (result.reason or ""), result.reason


def test_every_check_refuses_a_query_with_a_second_statement(
    target: Target, tmp_path: Path
) -> None:
    sev = Severity.ERROR
    table = Dataset(target.system, table=target.items)
    query = Dataset(target.system, query=target.attack(f"SELECT id, at FROM {target.items}"))
    fields = (FieldSpec("at", "at"),)
    results = [
        check_volume(VolumeSpec(query, table, 0.0, sev)),
        check_schema(SchemaSpec(table, query, sev)),
        check_freshness(FreshnessSpec(query, "at", 60.0, sev), datetime.now(UTC)),
        check_references(ReferenceSpec(table, "id", query, "id", sev)),  # the reference query
        reconcile(ReconcileSpec(query, table, ("id",), ("id",), fields, sev), datetime.now(UTC)),
    ]
    suite = _suite(
        tmp_path, {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}
    )
    results += run_suite(SuiteSpec(suite, "suites/s.json", query, sev))
    for result in results:
        _refused(result)
    assert not target.created()


def test_a_suite_expectation_query_cannot_create_a_table(target: Target, tmp_path: Path) -> None:
    table = Dataset(target.system, table=target.items)
    attack = target.attack("SELECT * FROM {batch} WHERE id < 0")
    suite = _suite(
        tmp_path,
        {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": attack}},
    )
    results = run_suite(SuiteSpec(suite, "suites/s.json", table, Severity.ERROR))
    assert [r.outcome for r in results] == [Outcome.ERROR]
    assert not target.created()


def test_the_suites_page_dry_run_cannot_create_a_table(target: Target, tmp_path: Path) -> None:
    from monitor.suites.editing import dry_run

    table = Dataset(target.system, table=target.items)
    attack = target.attack("SELECT * FROM {batch} WHERE id < 0")
    doc = {
        "name": "s",
        "expectations": [
            {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": attack}}
        ],
    }
    spec = SuiteSpec(tmp_path / "s.json", "suites/s.json", table, Severity.ERROR)
    assert [r.outcome for r in dry_run(spec, doc)] == [Outcome.ERROR]
    assert not target.created()


def test_a_suite_expectation_query_of_one_statement_still_runs(
    target: Target, tmp_path: Path
) -> None:
    table = Dataset(target.system, table=target.items)
    query = "SELECT * FROM {batch} WHERE id > 0 ; -- rows with an id"
    suite = _suite(
        tmp_path,
        {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": query}},
    )
    (result,) = run_suite(SuiteSpec(suite, "suites/s.json", table, Severity.ERROR))
    assert result.outcome is Outcome.FAILED, result.reason  # the one row is "unexpected"


def test_below_the_rule_each_driver_runs_one_statement(target: Target) -> None:
    """Text that reaches a connection unchecked still cannot run its second statement: not
    on dxq's read-only connections, not on GX's engines, not with a MySQL URL that asks for
    MULTI_STATEMENTS."""
    url = target.url + ("?client_flag=65536" if target.engine == "mariadb" else "")
    system = SqlSystem(f"raw-{uuid.uuid4().hex[:6]}", url)
    with pytest.raises(DatasourceError), read_only(system) as conn:
        conn.execute(sa.text(target.attack()))
    source = adapter._sql_source(system)
    adapter._guard_execution_engine(system)
    for engine in (source.get_execution_engine().engine, adapter._engine(system)):
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError):
            conn.exec_driver_sql(target.attack())
    assert not target.created()


def test_validate_names_the_query_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "dxq.yml").write_text(
        "version: 1\n"
        "store: sqlite:///results.db\n"
        "systems:\n"
        "  local: {url: 'sqlite:///good.db'}\n"
        "integrations:\n"
        "  sneaky:\n"
        "    source:\n"
        "      system: local\n"
        '      query: "SELECT id FROM items; COMMIT; CREATE TABLE pwned (x int)"\n'
        "    target: local.items\n"
        "    key: id\n"
        "  fine:\n"
        "    source: {system: local, query: \"SELECT id, ':x' AS colon FROM items; -- done\"}\n"
        "    target: local.items\n"
        "    key: id\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "validate", "-c", "dxq.yml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if "query" in line]
    assert lines == [
        "dxq.yml:9: integrations.sneaky.source.query: the query holds 3 statements; dxq runs "
        "exactly one: remove everything after the first `;` (a `;` may only end the query)"
    ]
