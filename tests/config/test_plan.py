"""Plans: the monitor file turned into the declarations the engines run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from checks.result import Severity
from checks.spec import (
    FieldSpec,
    FreshnessSpec,
    ReconcileSpec,
    ReferenceSpec,
    SchemaSpec,
    SuiteSpec,
    VolumeSpec,
)
from datasources.dataset import FileSystem, SqlSystem
from monitor.config.loading import load_config
from monitor.errors import ConfigError
from monitor.run.plan import plan_integrations

FILES = Path(__file__).parent / "files"
ENV = {
    "PIM_URL": "postgresql+psycopg://u:secret@127.0.0.1/pim",
    "ONCALL_SLACK_WEBHOOK": "https://hooks.slack.com/x",
}


def test_specs_in_run_order_with_per_side_keys() -> None:
    config = load_config(FILES / "dxq.yml", ENV)
    (plan,) = plan_integrations(config, ["product-catalog"])
    assert [type(s) for s in plan.specs] == [
        FreshnessSpec,
        VolumeSpec,
        ReconcileSpec,
        ReferenceSpec,
        SchemaSpec,
        SuiteSpec,
        SuiteSpec,
    ]
    assert (plan.severity, plan.owners) == (
        Severity.CRITICAL,
        ("ecommerce-po", "integration-oncall"),
    )
    assert (plan.schedule, plan.timezone, plan.timeout_s) == ("*/30 * * * *", "UTC", 600.0)
    assert plan.source.label == "pim.products" and plan.target.label == "shop.catalog_products"
    fresh, volume, reconcile, reference, schema, on_target, on_source = plan.specs
    assert isinstance(fresh, FreshnessSpec) and fresh.dataset == plan.target
    assert (fresh.column, fresh.max_age_s) == ("updated_at", 7200.0)
    assert isinstance(volume, VolumeSpec) and volume.tolerance == pytest.approx(0.01)
    assert isinstance(reconcile, ReconcileSpec)
    assert (reconcile.source_key, reconcile.target_key) == (("product_id",), ("pim_id",))
    assert reconcile.max_mismatch_rate == pytest.approx(0.005)
    assert (reconcile.grace_s, reconcile.sample) == (900.0, 50)
    assert reconcile.source_updated_column == reconcile.target_updated_column == "updated_at"
    assert reconcile.fields == (
        FieldSpec("name", "name"),
        FieldSpec("price", "unit_price", tolerance=0.01),
        FieldSpec("cost", "cost", relative_tolerance=0.01),
        FieldSpec("status", "state", map={"active": "enabled", "retired": "disabled"}),
        FieldSpec("email", "email", normalize=("trim", "lower"), pii=True),
    )
    assert isinstance(reference, ReferenceSpec) and reference.name == "references(category_id)"
    assert reference.dataset == plan.target
    assert reference.referenced.label == "pim.sales.categories"
    assert reference.referenced_column == "id"
    assert isinstance(schema, SchemaSpec) and schema.severity is Severity.CRITICAL
    assert isinstance(on_target, SuiteSpec) and isinstance(on_source, SuiteSpec)
    assert on_target.path == (FILES / "suites/catalog_products.json").resolve()
    assert (on_target.label, on_target.side, on_target.key_columns) == (
        "suites/catalog_products.json",
        "target",
        ("pim_id",),
    )
    assert (on_source.dataset, on_source.key_columns) == (plan.source, ("product_id",))


def test_query_and_files_datasets_and_systems() -> None:
    config = load_config(FILES / "dxq.yml", ENV)
    (plan,) = plan_integrations(config, ["stock"])
    assert plan.source.query == "select sku, qty from stock" and plan.source.table is None
    assert isinstance(plan.source.system, SqlSystem)
    assert plan.source.system.query_timeout_s == 120.0
    assert plan.source.system.timezone == "Europe/Berlin"
    assert plan.target.system == FileSystem(
        name="wms", pattern=f"{FILES.resolve()}/exports/wms/stock_*.csv", format="csv"
    )
    assert plan.specs == ()  # a key alone does not reconcile: give compare or reconcile
    assert plan.timeout_s == 90.0


def test_names_choose_and_order_integrations() -> None:
    config = load_config(FILES / "dxq.yml", ENV)
    assert [p.name for p in plan_integrations(config)] == ["product-catalog", "stock"]
    assert [p.name for p in plan_integrations(config, ["stock", "product-catalog", "stock"])] == [
        "stock",
        "product-catalog",
    ]


def test_unknown_integration_lists_known_ones() -> None:
    config = load_config(FILES / "dxq.yml", ENV)
    with pytest.raises(ConfigError) as raised:
        plan_integrations(config, ["catalog", "stock"])
    assert str(raised.value) == (
        "dxq: unknown integration 'catalog'; known integrations: product-catalog, stock"
    )


def test_relative_sqlite_path_reaches_the_real_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{project}/data/shop.db")
    with engine.begin() as conn:
        conn.exec_driver_sql("create table items (sku text primary key, price numeric)")
        conn.exec_driver_sql("insert into items values ('A-1', 9.99)")
    engine.dispose()
    (project / "dxq.yml").write_text(
        "version: 1\n"
        "systems: {shop: {url: 'sqlite:///data/shop.db'}}\n"
        "integrations:\n"
        "  items: {source: shop.items, target: shop.items, key: sku, compare: [{source: price,"
        " tolerance: 2%}], suites: [{suite: s.json, key: [sku, price]}]}\n",
        encoding="utf-8",
    )
    (project / "s.json").write_text('{"name": "s", "expectations": []}', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        (plan,) = plan_integrations(load_config(Path("../project/dxq.yml"), {}))
    finally:
        os.chdir(cwd)
    assert isinstance(plan.source.system, SqlSystem)
    engine = sa.create_engine(plan.source.system.url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select sku from items").scalar_one() == "A-1"
    engine.dispose()
    reconcile, suite = plan.specs
    assert isinstance(reconcile, ReconcileSpec)
    assert reconcile.fields == (FieldSpec("price", "price", relative_tolerance=0.02),)
    assert (reconcile.max_mismatch_rate, reconcile.sample) == (0.0, 50)
    assert isinstance(suite, SuiteSpec) and suite.key_columns == ("sku", "price")
    assert suite.path == project / "s.json"


def test_suites_carry_the_pii_columns_of_their_side(tmp_path: Path) -> None:
    (tmp_path / "dxq.yml").write_text(
        "version: 1\n"
        "systems: {shop: {url: 'sqlite:///shop.db'}, crm: {url: 'sqlite:///crm.db'}}\n"
        "integrations:\n"
        "  customers:\n"
        "    source: shop.customers\n"
        "    target: crm.customers\n"
        "    key: {source: id, target: customer_id}\n"
        "    compare: [{source: mail, target: e_mail, pii: true}, {source: name, target: nm},\n"
        "              {source: phone, target: tel, pii: true}]\n"
        "    suites: [s.json, {suite: s.json, side: source}]\n"
        "  plain: {source: shop.customers, target: crm.customers, suites: [s.json]}\n",
        encoding="utf-8",
    )
    (tmp_path / "s.json").write_text('{"name": "s", "expectations": []}', encoding="utf-8")
    customers, plain = plan_integrations(load_config(tmp_path / "dxq.yml", {}))
    on_target, on_source = customers.specs[-2:]
    assert isinstance(on_target, SuiteSpec) and isinstance(on_source, SuiteSpec)
    assert (on_target.side, on_target.pii_columns) == ("target", ("e_mail", "tel"))
    assert (on_source.side, on_source.pii_columns) == ("source", ("mail", "phone"))
    (suite,) = plain.specs
    assert isinstance(suite, SuiteSpec) and suite.pii_columns == ()


def test_the_demo_customers_suite_masks_email() -> None:
    demo = Path(__file__).parents[2] / "demo" / "dxq.yml"
    config = load_config(demo, {"DXQ_DEMO_DIR": "/nonexistent", "DXQ_STORE_URL": "sqlite://"})
    (plan,) = plan_integrations(config, ["customers"])
    suites = [s for s in plan.specs if isinstance(s, SuiteSpec)]
    assert suites and all(s.pii_columns == ("email",) for s in suites)


def test_a_source_side_freshness_is_measured_on_the_source_and_says_so() -> None:
    demo = Path(__file__).parents[2] / "demo" / "dxq.yml"
    config = load_config(demo, {"DXQ_DEMO_DIR": "/nonexistent", "DXQ_STORE_URL": "sqlite://"})
    (plan,) = plan_integrations(config, ["stock-levels"])
    (fresh,) = [s for s in plan.specs if isinstance(s, FreshnessSpec)]
    assert (fresh.side, fresh.dataset) == ("source", plan.source)
