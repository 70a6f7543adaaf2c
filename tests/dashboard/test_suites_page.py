"""The Suites page through Streamlit's AppTest: list, validate, dry run, save, history, roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.monitor.test_suite_editing import SUITE_TEXT, make_monitor

PAGE = str(Path(__file__).resolve().parents[2] / "dashboard" / "pages" / "suites.py")


@pytest.fixture
def monitor_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DXQ_CONFIG", str(make_monitor(tmp_path)))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def test_the_list_shows_each_suite_with_the_integrations_using_it(monitor_dir: Path) -> None:
    at = open_page()
    suites = at.dataframe[0].value
    assert suites["suite"].tolist() == ["suites/products.json"]
    assert suites["used by"].tolist() == ["catalog (target), catalog (source)"]
    assert suites["expectations"].tolist() == [2]
    assert suites["last edited by"].tolist() == ["—"]
    expectations = at.dataframe[1].value
    assert expectations["type"].tolist() == [
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
    ]


def test_invalid_kwargs_show_gx_errors_and_change_nothing(monitor_dir: Path) -> None:
    at = open_page()
    at.selectbox(key="suite_add_type").set_value("expect_column_values_to_not_be_null")
    at.text_input(key="suite_add_mostly").set_value("1.5")
    at.button(key="suite_add").click().run()
    assert "expect_column_values_to_not_be_null needs the argument 'column'" in errors(at)
    assert "kwargs.mostly: must be a number from 0 to 1" in errors(at)
    assert len(at.dataframe[1].value) == 2
    at.button(key="suite_validate").click().run()
    assert "Valid: GX accepts every expectation" in at.success[0].value


def test_dry_run_shows_each_expectation_outcome_before_saving(monitor_dir: Path) -> None:
    at = open_page()
    at.selectbox(key="suite_add_type").set_value("expect_column_values_to_be_between")
    at.text_input(key="suite_add_column").set_value("price")
    at.text_input(key="suite_add_min_value").set_value("0")
    at.text_input(key="suite_add_max_value").set_value("50")
    at.button(key="suite_add").click().run()
    assert not at.error, errors(at)
    assert len(at.dataframe[1].value) == 3
    assert any(block.language == "diff" and '"max_value": 50' in block.value for block in at.code)
    at.button(key="suite_dry_run").click().run()
    assert not at.exception and not at.error, errors(at)
    results = at.dataframe[2].value
    assert results["outcome"].tolist() == ["passed", "failed", "failed"]
    assert results["unexpected"].tolist() == [0, 1, 1]  # the price of 250
    assert results["of rows"].tolist() == [5, 5, 5]
    assert (monitor_dir / "suites" / "products.json").read_text() == SUITE_TEXT


def test_save_writes_the_file_and_a_version_then_history_shows_the_diff(
    monitor_dir: Path,
) -> None:
    at = open_page()
    editor = next(a for a in at.text_area if a.key and a.key.startswith("suite_json:"))
    assert editor.value is not None and editor.key is not None
    item = json.loads(editor.value)
    item["kwargs"]["mostly"] = 0.95
    editor.set_value(json.dumps(item))
    apply_key = "suite_apply:" + editor.key.rsplit(":", 2)[1] + ":0"
    at.button(key=apply_key).click().run()
    assert not at.error, errors(at)
    assert at.button(key="suite_save").disabled  # no dry run of this draft yet
    at.button(key="suite_dry_run").click().run()
    assert "dry run of this draft is clean" in at.success[0].value
    at.button(key="suite_save").click().run()
    assert "author is required" in errors(at)  # nothing saved without a name and a reason
    at.text_input(key="dxq_actor").set_value("ana")
    at.text_input(key="suite_comment").set_value("tolerate a few null skus")
    at.button(key="suite_save").click().run()
    assert not at.exception and not at.error, errors(at)
    assert "Saved suites/products.json as version 2" in at.success[0].value

    saved = json.loads((monitor_dir / "suites" / "products.json").read_text())
    assert saved["expectations"][0]["kwargs"] == {"column": "sku", "mostly": 0.95}
    engine = sa.create_engine(f"sqlite:///{monitor_dir}/results.db")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select author, comment from suite_versions order by id"))
        assert [tuple(r) for r in rows] == [
            ("(file on disk)", "before the first edit"),
            ("ana", "tolerate a few null skus"),
        ]
    engine.dispose()
    assert at.dataframe[0].value["last edited by"].tolist() == ["ana"]
    diff = next(block.value for block in at.code if block.language == "diff")
    assert diff.startswith("--- suites/products.json #1")
    # The file keeps its own order and indent (4): the diff is the one changed line.
    changed = [ln for ln in diff.splitlines()[2:] if ln[:1] in "+-"]
    assert changed == [
        '-                "column": "sku"',
        '+                "column": "sku",',
        '+                "mostly": 0.95',
    ], diff


def test_no_suites_is_an_empty_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DXQ_CONFIG", str(make_monitor(tmp_path, suites=False)))
    st.cache_resource.clear()
    at = open_page()
    assert "No integration runs a GX suite yet" in at.info[0].value
    assert not at.dataframe
    st.cache_resource.clear()


@pytest.mark.parametrize(("email", "edits"), [("team@example.com", True), ("x@example.com", False)])
def test_only_maintainers_edit_when_sign_in_is_configured(
    monitor_dir: Path, email: str, edits: bool
) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": email}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    read_only = any("Only maintainers edit suites" in i.value for i in at.info)
    assert read_only is not edits
    assert bool([b for b in at.button if b.key == "suite_save"]) is edits


def test_a_file_saved_elsewhere_reloads_an_untouched_draft_and_warns_an_edited_one(
    monitor_dir: Path,
) -> None:
    path = monitor_dir / "suites" / "products.json"
    at = open_page()
    doc = json.loads(path.read_text())
    doc["expectations"].pop()
    path.write_text(json.dumps(doc))
    at.run()
    assert len(at.dataframe[1].value) == 1 and not at.warning
    at.button(key=next(b.key for b in at.button if b.key and "suite_remove" in b.key)).click()
    at.run()
    assert len(at.dataframe[1].value) == 0
    path.write_text(json.dumps({**doc, "meta": {"by": "someone else"}}))
    at.run()
    assert "Someone saved this suite since you started editing" in at.warning[0].value
    assert len(at.dataframe[1].value) == 0


def test_a_field_the_type_does_not_take_is_refused_not_dropped(monitor_dir: Path) -> None:
    at = open_page()
    at.selectbox(key="suite_add_type").set_value("expect_column_values_to_not_be_null")
    at.text_input(key="suite_add_column").set_value("sku")
    at.text_input(key="suite_add_min_value").set_value("3")
    at.button(key="suite_add").click().run()
    assert "kwargs.min_value: not an argument of expect_column_values_to_not_be_null" in errors(at)
    assert len(at.dataframe[1].value) == 2


def test_a_dry_run_that_cannot_run_blocks_save_until_save_anyway(monitor_dir: Path) -> None:
    at = open_page()
    at.selectbox(key="suite_add_type").set_value("expect_column_values_to_not_be_null")
    at.text_input(key="suite_add_column").set_value("no_such_column")
    at.button(key="suite_add").click().run()
    assert not at.error, errors(at)
    at.button(key="suite_dry_run").click().run()
    assert "could not run" in errors(at)
    assert at.button(key="suite_save").disabled
    at.checkbox(key="suite_save_anyway").check().run()
    assert not at.button(key="suite_save").disabled


def test_adding_one_expectation_saves_a_diff_of_just_those_lines(monitor_dir: Path) -> None:
    from monitor.config.loading import load_config
    from monitor.suites import editing
    from store.store import ResultStore

    config = load_config(Path(str(monitor_dir / "dxq.yml")), {})
    path = monitor_dir / "suites" / "products.json"
    doc = editing.read_suite(path)
    added = {"type": "expect_column_to_exist", "kwargs": {"column": "price"}, "meta": {}}
    doc["expectations"].append(added)
    store = ResultStore.open(config.store)
    editing.save_suite(store, config, path, doc, "ana", "price must exist")
    first, new = editing.suite_history(store, config, path)[::-1]
    store.dispose()
    changed = [ln for ln in editing.diff_versions(first, new).splitlines()[2:] if ln[:1] in "+-"]
    # Only added lines: the comma after the previous item and the new item (whose closing
    # brace difflib matches with the old last one).
    assert all(ln.startswith("+") for ln in changed), changed
    assert len(changed) == len(json.dumps(added, indent=4).splitlines())
    assert (
        changed[0] == "+        }," and '+            "type": "expect_column_to_exist",' in changed
    )


def test_each_expectation_shows_the_severity_its_results_get(monitor_dir: Path) -> None:
    path = monitor_dir / "suites" / "products.json"
    doc = json.loads(path.read_text())
    doc["expectations"][0]["meta"] = {"severity": "warning"}
    doc["expectations"][1]["severity"] = "critical"  # GX's default: the integration's applies
    path.write_text(json.dumps(doc, indent=4))
    at = open_page()
    assert list(at.dataframe[1].value["severity"]) == ["warning", "error (integration)"]
