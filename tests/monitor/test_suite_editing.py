"""Suite editing: listing, validation through GX's models, dry runs, atomic saves, history."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checks.result import Outcome
from checks.spec import SuiteSpec
from monitor.config.loading import load_config
from monitor.config.model import Config
from monitor.errors import SuiteEditError
from monitor.suites import editing, save_guard
from store.errors import StoreError
from store.store import ResultStore
from store.suite_versions import list_versions
from store.transaction import Transaction

SUITE = {
    "name": "products",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sku"}, "meta": {}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "price", "min_value": 0, "max_value": 100},
            "meta": {},
        },
    ],
    "meta": {},
}
# Hand-written, not GX's formatting: the first save records it as it was.
SUITE_TEXT = json.dumps(SUITE, indent=4) + "\n"


def make_monitor(tmp: Path, suites: bool = True) -> Path:
    """A monitor file on a SQLite shop (5 products, one priced 250) with one suite used twice."""
    with sqlite3.connect(tmp / "shop.db") as conn:
        conn.execute("create table products (sku text primary key, price real)")
        conn.executemany(
            "insert into products values (?, ?)",
            [("A-1", 9.5), ("A-2", 20.0), ("A-3", 250.0), ("A-4", 1.0), ("A-5", 0.0)],
        )
    conn.close()
    (tmp / "suites").mkdir()
    (tmp / "suites" / "products.json").write_text(SUITE_TEXT)
    uses = (
        "    suites: [suites/products.json, {suite: suites/products.json, side: source}]\n"
        if suites
        else ""
    )
    config = tmp / "dxq.yml"
    config.write_text(
        f"version: 1\nstore: sqlite:///{tmp}/results.db\n"
        "smtp: {host: 127.0.0.1, port: 8025, sender: dxq@example.com}\n"
        "owners: {team: {role: maintenance, email: team@example.com}}\n"
        f"systems: {{shop: {{url: 'sqlite:///{tmp}/shop.db'}}}}\n"
        "integrations:\n  catalog:\n    source: shop.products\n    target: shop.products\n"
        "    key: sku\n    owners: [team]\n" + uses
    )
    return config


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[tuple[Config, ResultStore, Path]]:
    config = load_config(make_monitor(tmp_path), os.environ)
    store = ResultStore.open(config.store)
    yield config, store, tmp_path / "suites" / "products.json"
    store.dispose()


def test_list_suites_names_every_integration_side_using_a_suite(monitor: Any) -> None:
    config, store, path = monitor
    (entry,) = editing.list_suites(config, store)
    assert entry.key == "suites/products.json" and entry.path == path
    assert [(u.integration, u.side) for u in entry.uses] == [
        ("catalog", "target"),
        ("catalog", "source"),
    ]
    assert entry.expectations == 2 and entry.problems == () and entry.last_version is None


def test_a_broken_suite_file_is_listed_with_its_problem(monitor: Any) -> None:
    config, store, path = monitor
    path.write_text("{not json")
    (entry,) = editing.list_suites(config, store)
    assert entry.expectations == 0
    assert "invalid JSON" in entry.problems[0]
    with pytest.raises(SuiteEditError, match="not valid JSON"):
        editing.read_suite(path)


@pytest.mark.parametrize(
    ("type_name", "kwargs", "expected"),
    [
        (
            "expect_column_values_to_not_be_null",
            {},
            ["kwargs: expect_column_values_to_not_be_null needs the argument 'column'"],
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "sku", "mostly": 1.5},
            ["kwargs.mostly: must be a number from 0 to 1"],
        ),
        (  # values the suite validator leaves to GX's model
            "expect_column_values_to_be_between",
            {"column": "sku", "min_value": "abc", "max_value": 3},
            [
                "min_value: value is not a valid float or invalid date format or invalid "
                "datetime format"
            ],
        ),
        (
            "expect_column_values_to_not_be_nul",
            {"column": "sku"},
            [
                "type: unknown expectation type 'expect_column_values_to_not_be_nul'; "
                "did you mean 'expect_column_values_to_not_be_null'?"
            ],
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "sku", "value_set": 3, "colum": "x"},
            [
                "kwargs.colum: not an argument of expect_column_values_to_be_in_set; "
                "did you mean 'column'?",
                "kwargs.value_set: must be a list of values",
            ],
        ),
        ("expect_column_values_to_be_in_set", {"column": "sku", "value_set": ["A-1"]}, []),
    ],
)
def test_expectations_are_validated_by_gx_models(
    type_name: str, kwargs: dict[str, Any], expected: list[str]
) -> None:
    assert editing.validate_expectation_item({"type": type_name, "kwargs": kwargs}) == expected


def test_a_whole_suite_is_validated_with_each_problem_located() -> None:
    doc = {
        "name": "",
        "expectations": [
            SUITE["expectations"][0],  # type: ignore[index]
            {"type": "expect_column_values_to_not_be_null", "kwargs": {}, "severity": "loud"},
            "not an object",
        ],
    }
    problems = editing.validate_suite(doc)
    assert problems == [
        "name: missing the suite 'name' (a non-empty string)",
        "expectations[1].kwargs: expect_column_values_to_not_be_null needs the argument 'column'",
        "expectations[1].severity: GX's own severity: critical, warning or info "
        "(dxq's: meta.severity)",
        "expectations[2]: expected an object with 'type' and 'kwargs'",
    ]
    mostly = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 2}}
    assert editing.validate_suite({"name": "s", "expectations": [mostly]}) == [
        "expectations[0].kwargs.mostly: must be a number from 0 to 1"
    ]
    between = {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "a", "min_value": "abc", "max_value": 3},
    }
    assert editing.validate_suite({"name": "s", "expectations": [between]}) == [
        "expectations[0] (expect_column_values_to_be_between): min_value: value is not a valid "
        "float or invalid date format or invalid datetime format"
    ]
    assert editing.validate_suite(SUITE) == []


def test_dry_run_evaluates_the_edited_suite_on_current_data_without_touching_the_file(
    monitor: Any,
) -> None:
    config, store, path = monitor
    (entry,) = editing.list_suites(config, store)
    edited = json.loads(json.dumps(SUITE))
    edited["expectations"][1]["kwargs"]["max_value"] = 50
    edited["expectations"].append(
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "sku"}}
    )
    spec: SuiteSpec = entry.uses[0].spec
    results = editing.dry_run(spec, edited)
    assert [r.outcome for r in results] == [Outcome.PASSED, Outcome.FAILED, Outcome.PASSED]
    assert results[1].metrics["unexpected_count"] == 1
    assert results[1].metrics["element_count"] == 5
    assert results[1].check == "suites/products.json: expect_column_values_to_be_between(price)"
    assert path.read_text() == SUITE_TEXT
    assert list_versions(store, entry.key) == []


def test_dry_run_on_a_missing_table_is_an_error_result(monitor: Any, tmp_path: Path) -> None:
    config, store, _ = monitor
    (entry,) = editing.list_suites(config, store)
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        conn.execute("alter table products rename to gone")
    conn.close()
    (result,) = editing.dry_run(entry.uses[0].spec, SUITE)
    assert result.outcome is Outcome.ERROR and result.reason


def test_save_writes_gx_json_and_records_the_previous_file_then_the_new_version(
    monitor: Any,
) -> None:
    config, store, path = monitor
    edited = json.loads(json.dumps(SUITE))
    edited["expectations"][1]["kwargs"]["max_value"] = 500
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    version_id = editing.save_suite(
        store, config, path, edited, " ana@example.com ", "allow premium prices", now=now
    )
    assert path.read_text() == json.dumps(edited, indent=4) + "\n"  # the file's own format
    new, initial = editing.suite_history(store, config, path)
    assert new.id == version_id and (new.author, new.comment) == (
        "ana@example.com",
        "allow premium prices",
    )
    assert new.created_at == now and new.content == path.read_text()
    assert initial.author == editing.ON_DISK_AUTHOR and initial.content == SUITE_TEXT
    (entry,) = editing.list_suites(config, store)
    assert entry.last_version == new
    diff = editing.diff_versions(initial, new)
    assert '-                "max_value": 100' in diff
    assert '+                "max_value": 500' in diff
    assert len([line for line in diff.splitlines() if line.startswith(("+ ", "- "))]) == 2
    assert editing.diff_versions(new, new) == ""

    again = json.loads(json.dumps(edited))
    again["expectations"].pop()
    editing.save_suite(store, config, path, again, "bo", "drop the price rule")
    assert len(editing.suite_history(store, config, path)) == 3  # no second "on disk" version


@pytest.mark.parametrize(
    ("author", "comment", "message"),
    [("", "why", "author is required"), ("ana", "  ", "comment is required")],
)
def test_save_requires_an_author_and_a_comment(
    monitor: Any, author: str, comment: str, message: str
) -> None:
    config, store, path = monitor
    with pytest.raises(SuiteEditError, match=message):
        editing.save_suite(store, config, path, {**SUITE, "name": "x"}, author, comment)
    assert path.read_text() == SUITE_TEXT
    assert editing.suite_history(store, config, path) == []


def test_save_refuses_a_suite_gx_rejects_and_an_unchanged_one(monitor: Any) -> None:
    config, store, path = monitor
    bad = {"name": "products", "expectations": [{"type": "expect_column_to_exist", "kwargs": {}}]}
    with pytest.raises(SuiteEditError, match="needs the argument 'column'"):
        editing.save_suite(store, config, path, bad, "ana", "oops")
    with pytest.raises(SuiteEditError, match="unchanged"):
        editing.save_suite(store, config, path, SUITE, "ana", "the file as it is")
    renamed = {**SUITE, "name": "products-v2"}
    editing.save_suite(store, config, path, renamed, "ana", "rename")
    with pytest.raises(SuiteEditError, match="unchanged"):
        editing.save_suite(store, config, path, renamed, "ana", "again")
    assert len(editing.suite_history(store, config, path)) == 2


def test_a_failing_write_leaves_the_old_file_and_records_nothing(
    monitor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, store, path = monitor

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)  # the rename step of the atomic write
    with pytest.raises(SuiteEditError, match="No space left on device; nothing saved"):
        editing.save_suite(store, config, path, {**SUITE, "name": "renamed"}, "ana", "rename")
    assert path.read_text() == SUITE_TEXT
    assert sorted(p.name for p in path.parent.iterdir()) == ["products.json"]  # no temp file
    assert editing.suite_history(store, config, path) == []


def test_a_version_that_cannot_be_recorded_puts_the_old_file_back(
    monitor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, store, path = monitor
    real = store.transaction

    @contextmanager
    def failing_commit() -> Iterator[Transaction]:
        with real() as tx:
            yield tx
            assert path.read_text() != SUITE_TEXT  # the file was written inside the step
            raise StoreError("database is locked")

    monkeypatch.setattr(store, "transaction", failing_commit)
    with pytest.raises(SuiteEditError, match="database is locked"):
        editing.save_suite(store, config, path, {**SUITE, "name": "renamed"}, "ana", "rename")
    assert path.read_text() == SUITE_TEXT
    monkeypatch.undo()
    assert editing.suite_history(store, config, path) == []


def test_no_suites_lists_nothing(tmp_path: Path) -> None:
    config = load_config(make_monitor(tmp_path, suites=False), os.environ)
    assert editing.list_suites(config) == []


def test_listing_and_the_page_module_do_not_import_gx(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = make_monitor(tmp_path)
    code = (
        "import os, sys; from pathlib import Path\n"
        "import dashboard.suites\n"
        "from monitor.config.loading import load_config\n"
        "from monitor.suites.editing import list_suites\n"
        f"assert len(list_suites(load_config(Path({str(config)!r}), os.environ))) == 1\n"
        "print('great_expectations' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"column": " sku ", "mostly": "0.9", "regex": ""}, {"column": "sku", "mostly": 0.9}),
        ({"value_set": "a, 2, 3.5"}, {"value_set": ["a", 2, 3.5]}),
        ({"value_set": '["x", null]'}, {"value_set": ["x", None]}),
        (
            {"min_value": "2026-01-01", "max_value": "10"},
            {"min_value": "2026-01-01", "max_value": 10},
        ),
    ],
)
def test_form_fields_become_kwargs(fields: dict[str, str], expected: dict[str, Any]) -> None:
    assert editing.form_kwargs(fields) == expected


def test_a_form_field_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="mostly: 'most' is not a number"):
        editing.form_kwargs({"mostly": "most"})


def test_validation_and_dry_run_refuse_a_query_of_two_statements(
    monitor: Any, tmp_path: Path
) -> None:
    config, store, path = monitor
    (entry,) = editing.list_suites(config, store)
    query = "SELECT * FROM {batch} WHERE price < 0; CREATE TABLE pwned (a int)"
    doc = {
        "name": "products",
        "expectations": [
            {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": query}}
        ],
    }
    [problem] = editing.validate_suite(doc)
    assert problem.startswith("expectations[0].kwargs.unexpected_rows_query: the query holds 2")
    (result,) = editing.dry_run(entry.uses[0].spec, doc)
    assert result.outcome is Outcome.ERROR
    assert "the query holds 2 statements" in (result.reason or "")
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        assert conn.execute("select name from sqlite_master where name = 'pwned'").fetchall() == []
    conn.close()
    with pytest.raises(SuiteEditError, match="the query holds 2 statements"):
        editing.save_suite(store, config, path, doc, "ana", "try")


# A save in its own process, stopped at one step: after the file is replaced and before the
# version row commits ("replace"), or while the temp file is written ("write").
_SAVER = """
import os, sys, time
from pathlib import Path
from monitor.config.loading import load_config
from monitor.suites import editing, save_guard
from store.store import ResultStore

config_file, step, name = sys.argv[1], sys.argv[2], sys.argv[3]
config = load_config(Path(config_file), os.environ)
path = config.base_dir / "suites" / name
doc = editing.read_suite(path)
doc["name"] = "products-v2"

def pause():
    print("paused", flush=True)
    time.sleep(120)

if step == "replace":
    real = save_guard.write_atomically
    def write_then_pause(target, text):
        real(target, text)
        pause()
    save_guard.write_atomically = write_then_pause
else:
    save_guard.os.replace = lambda src, dst: pause()
editing.save_suite(ResultStore.open(config.store), config, path, doc, "bo", "rename it")
"""


def _killed_saver(config_file: Path, step: str, suite: str = "products.json") -> None:
    saver = subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(config_file), step, suite],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert saver.stdout is not None and saver.stdout.readline() == "paused\n"
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait(timeout=30)
    assert saver.returncode == -signal.SIGKILL


def _with_history(monitor: Any) -> None:
    config, store, path = monitor
    edited = {**SUITE, "meta": {"owner": "ana"}}
    editing.save_suite(store, config, path, edited, "ana", "first edit")


def test_a_save_killed_between_replacing_the_file_and_recording_is_recorded_with_its_author(
    monitor: Any,
) -> None:
    config, store, path = monitor
    _with_history(monitor)
    _killed_saver(config.base_dir / "dxq.yml", "replace")
    assert json.loads(path.read_text())["name"] == "products-v2"  # replaced, not recorded
    assert len(editing.suite_history(store, config, path)) == 2
    (entry,) = editing.list_suites(config, store)  # loading finds it
    assert entry.last_version is not None
    assert (entry.last_version.author, entry.last_version.content) == ("bo", path.read_text())
    assert entry.last_version.comment.startswith("rename it (the save was interrupted")
    editing.list_suites(config, store)  # recorded once
    assert len(editing.suite_history(store, config, path)) == 3


def test_a_save_killed_while_writing_leaves_no_temp_file_and_no_version(monitor: Any) -> None:
    config, store, path = monitor
    _with_history(monitor)
    before = path.read_text()
    _killed_saver(config.base_dir / "dxq.yml", "write")
    [temp] = path.parent.glob(".products.json.*.tmp")
    assert json.loads(temp.read_text())["name"] == "products-v2"
    editing.list_suites(config, store)
    assert list(path.parent.iterdir()) == [path]
    assert path.read_text() == before
    assert [v.author for v in editing.suite_history(store, config, path)] == [
        "ana",
        editing.ON_DISK_AUTHOR,
    ]


def test_a_change_by_hand_is_recorded_as_changed_outside_dxq(monitor: Any) -> None:
    config, store, path = monitor
    _with_history(monitor)
    path.write_text(path.read_text().replace("products", "by-hand"))
    (entry,) = editing.list_suites(config, store)
    assert entry.last_version is not None
    assert entry.last_version.author == editing.CHANGED_OUTSIDE
    assert entry.last_version.content == path.read_text()
    edited = json.loads(path.read_text())
    edited["meta"] = {}
    editing.save_suite(store, config, path, edited, "ana", "again")
    authors = [v.author for v in editing.suite_history(store, config, path)]
    assert authors == ["ana", editing.CHANGED_OUTSIDE, "ana", editing.ON_DISK_AUTHOR]


def test_loading_leaves_a_save_under_way_alone(monitor: Any) -> None:
    config, store, path = monitor
    _with_history(monitor)
    stray = path.parent / ".products.json.abc.tmp"
    stray.write_text("{}")
    path.write_text(path.read_text().replace("products", "mid-save"))
    with save_guard.locked(path) as lock:  # as a save in another process holds it
        assert lock is not None
        assert editing.record_unrecorded(store, editing.suite_key(config, path), path) is None
        editing.list_suites(config, store)
        assert stray.exists()
        assert len(editing.suite_history(store, config, path)) == 2
    editing.list_suites(config, store)
    assert not stray.exists()
    assert len(editing.suite_history(store, config, path)) == 3


def test_a_killed_first_save_keeps_the_file_it_replaced_as_the_base(monitor: Any) -> None:
    config, store, path = monitor
    _killed_saver(config.base_dir / "dxq.yml", "replace")
    editing.list_suites(config, store)
    new, base = editing.suite_history(store, config, path)
    assert (new.author, new.content) == ("bo", path.read_text())
    assert (base.author, base.content) == (editing.ON_DISK_AUTHOR, SUITE_TEXT)
    assert '-    "name": "products",' in editing.diff_versions(base, new)


def test_a_killed_save_is_recorded_with_its_author_on_a_postgresql_store(
    tmp_path: Path, pg_url: str
) -> None:
    suite = f"products-{os.urandom(6).hex()}.json"  # its own history in the session's database
    config_file = make_monitor(tmp_path)
    (tmp_path / "suites" / "products.json").rename(tmp_path / "suites" / suite)
    text = config_file.read_text().replace("suites/products.json", f"suites/{suite}")
    config_file.write_text(text.replace(f"sqlite:///{tmp_path}/results.db", pg_url))
    config = load_config(config_file, os.environ)
    store = ResultStore.open(config.store)
    path = tmp_path / "suites" / suite
    try:
        editing.save_suite(store, config, path, {**SUITE, "meta": {"a": 1}}, "ana", "first")
        _killed_saver(config_file, "replace", suite)
        assert len(editing.suite_history(store, config, path)) == 2  # rolled back by the kill
        (entry,) = editing.list_suites(config, store)
        assert entry.last_version is not None
        assert (entry.last_version.author, entry.last_version.content) == ("bo", path.read_text())
        assert len(editing.suite_history(store, config, path)) == 3
    finally:
        store.dispose()
