"""The demo runs on its own copy of its monitor file and suites under the state directory, so
saving a suite in the demo's dashboard never edits the repository's files."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from importlib import resources
from pathlib import Path

from demo.command import DEMO_CONFIG, copy_demo_files, demo_config, demo_env
from monitor.config.loading import load_config
from monitor.suites import editing
from store.store import ResultStore

ROOT = Path(__file__).resolve().parents[2]


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (p.suffix == ".json" or p.name == "dxq.yml")
    }


def test_the_shipped_files_are_package_data_of_demo() -> None:
    shipped = resources.files("demo")
    assert (shipped / "dxq.yml").is_file()
    assert DEMO_CONFIG == ROOT / "demo" / "dxq.yml"
    suites = [p.name for p in (shipped / "suites").iterdir() if p.name.endswith(".json")]
    assert "shop_orders.json" in suites
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]["demo"]
    assert "dxq.yml" in data and "suites/*.json" in data


def test_the_copy_is_the_shipped_files_and_runs_on_its_own_defaults(tmp_path: Path) -> None:
    copy = copy_demo_files(tmp_path)
    assert copy == demo_config(tmp_path) == tmp_path / "demo" / "dxq.yml"
    assert _digests(copy.parent) == _digests(ROOT / "demo")
    assert demo_env(tmp_path)["DXQ_CONFIG"] == str(copy)
    config = load_config(copy, {})  # no environment: paths are the copy's own
    assert config.store == f"sqlite:///{tmp_path}/results.db"
    assert {
        config.suite_path(s).parent for i in config.integrations.values() for s in i.suites
    } == {copy.parent / "suites"}
    shop = str(config.systems["shop"].url)
    assert shop.endswith("shop.db") and str(tmp_path / "demo") in shop, shop


def test_saving_a_suite_in_the_demo_edits_the_copy_not_the_repository(tmp_path: Path) -> None:
    before = _digests(ROOT / "demo")
    copy_demo_files(tmp_path)
    env = {**os.environ, **demo_env(tmp_path)}
    config = load_config(Path(env["DXQ_CONFIG"]), env)
    store = ResultStore.open(config.store)
    try:
        (entry,) = [
            e for e in editing.list_suites(config, store) if e.key.endswith("/shop_orders.json")
        ]
        doc = editing.read_suite(entry.path)
        doc["meta"] = {**doc.get("meta", {}), "edited": "in the demo"}
        editing.save_suite(store, config, entry.path, doc, "ana", "try the editor")
    finally:
        store.dispose()
    assert entry.path == tmp_path / "demo" / "suites" / "shop_orders.json"
    assert json.loads(entry.path.read_text())["meta"]["edited"] == "in the demo"
    assert _digests(ROOT / "demo") == before
    copy_demo_files(tmp_path)  # a rebuild starts from the shipped suites again
    assert "edited" not in json.loads(entry.path.read_text()).get("meta", {})


def test_a_built_demo_runs_its_copy(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from demo.command import build_demo

    end = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    build_demo(days=1, state_dir=tmp_path, end=end, quiet=True)
    assert demo_config(tmp_path).is_file()
    assert (tmp_path / "demo" / "suites" / "shop_orders.json").is_file()


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    # setuptools deprecates `license = {text = ...}` (a warning on every install); the SPDX
    # string and `license-files` need setuptools 77 or later in the build requirements.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "Apache-2.0"
    assert pyproject["project"]["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")[:200]
    assert pyproject["build-system"]["requires"] == ["setuptools>=77"]
