"""API systems against a real loopback JSON API (tests/support/json_api.py): the three kinds of
pagination read exactly, transient failures and rate limits waited out, and every bad case an
`error` result naming the system, the URL path and the cause; then `dxq run` of an integration
whose source is an API dataset, with exact reconcile and volume counts."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checks.result import CheckResult, Outcome
from checks.spec import SuiteSpec
from datasources.api_dataset import ApiAuth, ApiDataset, ApiSystem, Pagination
from datasources.api_pages import read_pages
from datasources.errors import Cause
from monitor.config.loading import load_config
from monitor.run.plan import plan_integrations
from monitor.run.runner import run_integration
from monitor.suites.editing import dry_run
from tests.support.json_api import TOKEN, JsonApi, charges, serving

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)

CURSOR = "pagination: {cursor: {param: starting_after, field: next_cursor}}"
PAGE = "pagination: {page: {param: page, size_param: per_page, size: 10}}"


@pytest.fixture
def api() -> Iterator[JsonApi]:
    with serving(JsonApi(items=charges(47))) as running:
        yield running


def monitor_file(tmp: Path, api: JsonApi, datasets: str, integrations: str, **extra: str) -> Path:
    """A monitor file with the API system `psp` and a SQLite system `ledger`."""
    options = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    path = tmp / "dxq.yml"
    path.write_text(
        "version: 1\n"
        f"store: sqlite:///{tmp / 'results.db'}\n"
        "systems:\n"
        "  psp:\n"
        "   api:\n"
        f"    base_url: {api.base_url}\n"
        '    auth: {bearer: "${PSP_TOKEN}"}\n'
        f"{options}"
        "    datasets:\n"
        f"{datasets}"
        f"  ledger: {{url: 'sqlite:///{tmp / 'ledger.db'}'}}\n"
        "integrations:\n"
        f"{integrations}"
    )
    return path


def ledger(tmp: Path, rows: list[tuple[str, int]]) -> None:
    with sqlite3.connect(tmp / "ledger.db") as conn:
        conn.execute("CREATE TABLE payments (charge_id TEXT PRIMARY KEY, amount INTEGER)")
        conn.executemany("INSERT INTO payments VALUES (?, ?)", rows)
    conn.close()


def run_all(path: Path) -> dict[str, list[CheckResult]]:
    config = load_config(path, {"PSP_TOKEN": TOKEN})
    return {
        plan.name: list(run_integration(plan, NOW).results) for plan in plan_integrations(config)
    }


def system(api: JsonApi, dataset: ApiDataset) -> ApiSystem:
    auth = ApiAuth("bearer", "Authorization", f"Bearer {TOKEN}")
    return ApiSystem("psp", "api://psp", base_url=api.base_url, auth=auth, datasets=(dataset,))


@pytest.mark.parametrize(
    ("path", "items", "pagination", "pages"),
    [
        ("/v1/charges", "data", Pagination("cursor", "starting_after", "next_cursor"), 5),
        ("/v1/orders", "items", Pagination("page", "page", size_param="per_page", size=10), 5),
        ("/v1/refunds", "", Pagination("link_header"), 5),
    ],
)
def test_each_pagination_reads_every_item_once(
    api: JsonApi, path: str, items: str, pagination: Pagination, pages: int
) -> None:
    dataset = ApiDataset("t", path, items=items, pagination=pagination)
    read = list(read_pages(system(api, dataset), dataset))
    assert [len(p) for p in read] == [10, 10, 10, 10, 7]
    assert [i["id"] for page in read for i in page] == [c["id"] for c in charges(47)]
    assert len(api.requests_to(path)) == pages
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in api.seen)


def test_page_numbers_stop_at_an_empty_page_when_the_last_is_full() -> None:
    with serving(JsonApi(items=charges(20))) as api:
        dataset = ApiDataset("t", "/v1/orders", "items", Pagination("page", "page", size=10))
        read = list(read_pages(system(api, dataset), dataset))
    assert [len(p) for p in read] == [10, 10, 0]


def integration(source: str) -> str:
    return (
        f"  {source.replace('.', '_')}:\n"
        f"    source: {source}\n"
        "    target: ledger.payments\n"
        "    key: {source: id, target: charge_id}\n"
        "    volume: {tolerance: 0%}\n"
    )


def test_api_dataset_runs_volume_reconcile_freshness_and_references(
    api: JsonApi, tmp_path: Path
) -> None:
    ledger(tmp_path, [(c["id"], c["amount"]) for c in charges(47)[:45]] + [("ch_9999", 5)])
    datasets = (
        "     transactions:\n"
        "      path: /v1/charges\n"
        "      items: data\n"
        f"      {CURSOR}\n"
        "      params: {limit: 10}\n"
        "      fields: {id: id, amount: {path: amount, type: integer}, "
        "created: {path: created, type: timestamp}, customer: customer.id}\n"
    )
    integrations = (
        "  payments:\n"
        "    source: psp.transactions\n"
        "    target: ledger.payments\n"
        "    key: {source: id, target: charge_id}\n"
        "    compare: [{source: amount, target: amount}]\n"
        "    volume: {tolerance: 50%}\n"
        "    freshness: {column: created, max_age: 1000d, side: source}\n"
        "    references: [{column: charge_id, references: psp.transactions.id}]\n"
    )
    results = run_all(monitor_file(tmp_path, api, datasets, integrations))["payments"]
    by_kind = {str(r.kind): r for r in results}
    assert {r.outcome for r in results} <= {Outcome.PASSED, Outcome.FAILED}, results
    reconcile = by_kind["reconcile"].metrics
    assert (reconcile["source_rows"], reconcile["target_rows"]) == (47, 46)
    assert (reconcile["missing_in_target"], reconcile["missing_in_source"]) == (2, 1)
    assert reconcile["changed"] == 0
    assert by_kind["volume"].metrics["difference"] == -1
    assert by_kind["freshness"].outcome is Outcome.PASSED
    assert by_kind["references"].outcome is Outcome.FAILED  # ch_9999 is no charge
    assert not list(tmp_path.glob("**/psp.sqlite")), "the run's SQLite file is removed"


BAD = [
    ("down", "/v1/down", Cause.UNREACHABLE, "500"),
    ("later", "/v1/later", Cause.UNREACHABLE, "asks to wait 3600 s, longer than the system's"),
    ("broken", "/v1/broken", Cause.BAD_QUERY, "not valid JSON"),
    ("clash", "/v1/clash", Cause.BAD_QUERY, "cannot be stored as a table: duplicate column"),
    ("gone", "/v1/nothing", Cause.MISSING_TABLE, "404"),
    ("slow", "/v1/slow", Cause.TIMEOUT, "timeout (1 s)"),
    ("capped", "/v1/charges", Cause.BAD_QUERY, "more than max_pages (3) pages"),
    ("elsewhere", "/v1/elsewhere", Cause.BAD_QUERY, "another host"),
]


def test_each_bad_answer_is_an_error_naming_system_path_and_cause(
    api: JsonApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger(tmp_path, [])
    extra = {
        "capped": f", items: data, {CURSOR}, params: {{limit: 10}}",
        "elsewhere": ", pagination: {link_header: true}",
    }
    datasets = "".join(
        f"     {name}: {{path: {path}{extra.get(name, ', items: data')}}}\n"
        for name, path, _, _ in BAD
    )
    integrations = "".join(integration(f"psp.{name}") for name, *_ in BAD)
    with caplog.at_level(logging.DEBUG):
        started = time.monotonic()
        runs = run_all(
            monitor_file(tmp_path, api, datasets, integrations, timeout="1s", max_pages="3")
        )
    assert time.monotonic() - started < 30, "the retries stay inside the policy (7.5 s each)"
    for name, path, cause, words in BAD:
        (result,) = runs[f"psp_{name}"]
        assert result.outcome is Outcome.ERROR, (name, result)
        assert result.metrics["cause"] == str(cause), (name, result.reason)
        assert result.reason is not None
        assert "'psp'" in result.reason and f"GET {path}:" in result.reason, result.reason
        assert words in result.reason, result.reason
    assert len(api.requests_to("/v1/down")) == 5, "the first try and the policy's 4 retries"
    assert len(api.requests_to("/v1/charges")) == 3
    assert TOKEN not in caplog.text and TOKEN not in json.dumps(
        [r.reason for results in runs.values() for r in results]
    )


def test_a_wrong_token_is_an_auth_error(api: JsonApi, tmp_path: Path) -> None:
    ledger(tmp_path, [])
    path = monitor_file(
        tmp_path, api, "     t: {path: /v1/charges, items: data}\n", integration("psp.t")
    )
    config = load_config(path, {"PSP_TOKEN": "wrong"})
    (result,) = run_integration(plan_integrations(config)[0], NOW).results
    assert result.metrics["cause"] == str(Cause.AUTH)
    assert "'psp', GET /v1/charges: the API refused the credentials (401" in str(result.reason)


def test_transient_failures_and_rate_limits_are_waited_out(api: JsonApi, tmp_path: Path) -> None:
    ledger(tmp_path, [(c["id"], c["amount"]) for c in charges(47)])
    datasets = (
        "     flaky: {path: /v1/flaky, items: data}\n"
        "     limited: {path: /v1/limited, items: data}\n"
    )
    started = time.monotonic()
    runs = run_all(
        monitor_file(tmp_path, api, datasets, integration("psp.flaky") + integration("psp.limited"))
    )
    took = time.monotonic() - started
    for name in ("psp_flaky", "psp_limited"):
        (volume,) = runs[name]
        assert volume.outcome is Outcome.PASSED, volume
        assert volume.metrics["source_rows"] == 47
    assert len(api.requests_to("/v1/flaky")) == 2  # one 503, then the answer
    limited = api.requests_to("/v1/limited")
    assert len(limited) == 2
    assert took >= 1.0, "Retry-After: 1 was honoured"


def test_row_cap_names_the_cap(api: JsonApi, tmp_path: Path) -> None:
    ledger(tmp_path, [])
    datasets = f"     t: {{path: /v1/charges, items: data, {CURSOR}, params: {{limit: 10}}}}\n"
    runs = run_all(monitor_file(tmp_path, api, datasets, integration("psp.t"), max_rows="25"))
    (result,) = runs["psp_t"]
    assert result.metrics["cause"] == str(Cause.BAD_QUERY)
    assert "more than max_rows (25) rows (after 3 page(s))" in str(result.reason)


def test_dxq_run_reconciles_an_api_source_with_a_sqlite_target(
    api: JsonApi, tmp_path: Path
) -> None:
    rows = [(c["id"], c["amount"]) for c in charges(47)]
    rows[3] = (rows[3][0], 1)  # one changed amount
    ledger(tmp_path, rows[:-2])  # the last two charges never arrived
    datasets = (
        "     transactions:\n"
        "      path: /v1/orders\n"
        "      items: items\n"
        f"      {PAGE}\n"
        "      fields: {id: id, amount: {path: amount, type: integer}}\n"
    )
    integrations = (
        "  payments:\n"
        "    source: psp.transactions\n"
        "    target: ledger.payments\n"
        "    key: {source: id, target: charge_id}\n"
        "    compare: [{source: amount, target: amount}]\n"
        "    volume: {tolerance: 0%}\n"
    )
    path = monitor_file(tmp_path, api, datasets, integrations)
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "-c", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env={"PSP_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    checks = {c["kind"]: c for c in json.loads(done.stdout)["integrations"][0]["checks"]}
    reconcile = checks["reconcile"]["metrics"]
    assert (reconcile["source_rows"], reconcile["target_rows"]) == (47, 45)
    assert (reconcile["missing_in_target"], reconcile["changed"]) == (2, 1)
    assert checks["volume"]["metrics"]["difference"] == -2
    assert len(api.requests_to("/v1/orders")) == 5


def test_a_gx_suite_runs_on_an_api_dataset(api: JsonApi, tmp_path: Path) -> None:
    ledger(tmp_path, [(c["id"], c["amount"]) for c in charges(47)])
    (tmp_path / "charges.json").write_text(
        json.dumps(
            {
                "name": "charges",
                "expectations": [
                    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "amount", "min_value": 1000, "max_value": 1040},
                    },
                ],
            }
        )
    )
    datasets = f"     charges: {{path: /v1/charges, items: data, {CURSOR}}}\n"
    integrations = (
        "  payments:\n"
        "    source: psp.charges\n"
        "    target: ledger.payments\n"
        "    key: {source: id, target: charge_id}\n"
        "    suites: [{suite: charges.json, side: source}]\n"
    )
    path = monitor_file(tmp_path, api, datasets, integrations)
    (spec,) = [
        s
        for s in plan_integrations(load_config(path, {"PSP_TOKEN": TOKEN}))[0].specs
        if isinstance(s, SuiteSpec)
    ]
    doc = json.loads((tmp_path / "charges.json").read_text())
    drafted = dry_run(spec, doc)  # the Suites page's dry run reads the API as a run does
    assert [r.metrics.get("unexpected_count") for r in drafted] == [0, 7], drafted
    results = run_all(path)["payments"]
    suite = {r.check.split(": ")[1].split("(")[0]: r for r in results if str(r.kind) != "volume"}
    assert len(suite) == 2, results
    unique = suite["expect_column_values_to_be_unique"]
    between = suite["expect_column_values_to_be_between"]
    assert unique.outcome is Outcome.PASSED, unique
    assert between.outcome is Outcome.FAILED, between
    assert between.metrics["unexpected_count"] == 7  # amounts 1041..1047
    assert between.metrics["element_count"] == 47
