"""Loading the monitor file: substitution, path resolution, defaults and problem reporting."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from checks.result import Severity
from datasources.durations import parse_duration
from monitor.config.loading import load_config, resolve_config_path
from monitor.config.routes import Matcher
from monitor.config.values import parse_fraction
from monitor.errors import ConfigError, Problem

FILES = Path(__file__).parent / "files"
DESIGN_ENV = {
    "PIM_URL": "postgresql+psycopg://u:secret@127.0.0.1/pim",
    "ONCALL_SLACK_WEBHOOK": "https://hooks.slack.com/x",
}

HEAD = """\
version: 1
owners:
  po: {role: business, webhook: "http://127.0.0.1:1/po"}
systems:
  pim: {url: "sqlite:///pim.db"}
  wms: {files: exports/*.csv}
"""


def write(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "dxq.yml"
    path.write_text(head + body, encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(path, env or {})
    return [str(p) for p in raised.value.problems]


def test_design_example_loads_with_every_section() -> None:
    config = load_config(FILES / "dxq.yml", DESIGN_ENV)
    base = FILES.resolve()
    assert config.store == f"sqlite:///{base}/.dxq/results.db"
    assert (config.smtp.port, config.smtp.starttls, config.smtp.username) == (587, True, None)
    assert config.owners["data-maintenance"].email == ["data-team@example.com", "ops@example.com"]
    assert config.owners["data-maintenance"].webhook is None  # ${DQ_HOOK:-} is blank
    assert config.owners["ecommerce-po"].email == ["po@example.com"]
    assert config.systems["pim"].url == DESIGN_ENV["PIM_URL"]
    shop = config.systems["shop"]
    assert shop.url == f"sqlite:///{base}/demo/shop.db"
    assert (shop.timezone, shop.query_timeout) == ("Europe/Berlin", 120.0)
    assert config.systems["wms"].files == f"{base}/exports/wms/stock_*.csv"
    assert config.systems["wms"].format == "csv"
    catalog = config.integrations["product-catalog"]
    assert catalog.severity is Severity.CRITICAL
    assert catalog.schedule == "*/30 * * * *"
    assert catalog.reconcile is not None and catalog.reconcile.max_mismatch_rate == 0.005
    assert catalog.reconcile.grace == 900.0
    assert catalog.schema_ is True
    assert catalog.alert.after_failures == 2
    assert config.integrations["stock"].timeout == 90.0
    assert config.base_dir == base
    routes = config.routes
    assert routes is not None and routes.repeat_interval == 4 * 3600
    assert routes.routes[1].continue_ is True
    assert routes.routes[1].escalate[0].after == 1800.0
    assert routes.routes[2].all_matchers() == (
        Matcher(label="integration", op="=~", value="order.*"),
        Matcher(label="severity", op="!=", value="warning"),
    )


def test_environment_values_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        textwrap.dedent(
            """\
        store: "${STORE:-sqlite:///state/results.db}"
        dashboard_url: "http://${HOST:-localhost}:${PORT:-8501}/dxq"
        smtp: {host: "${SMTP_HOST:-mail.local}", port: "${SMTP_PORT:-25}", password: "${PW}"}
        """
        ),
    )
    config = load_config(path, {"PORT": "9000", "SMTP_HOST": "", "PW": "s3cret"})
    assert config.store == f"sqlite:///{tmp_path.resolve()}/state/results.db"
    assert config.dashboard_url == "http://localhost:9000/dxq"
    assert config.smtp.host == "mail.local"  # an empty variable takes the default, as in sh
    assert (config.smtp.port, config.smtp.password) == (25, "s3cret")
    config = load_config(path, {"STORE": "postgresql+psycopg://127.0.0.1/dxq", "PW": "x"})
    assert config.store == "postgresql+psycopg://127.0.0.1/dxq"


def test_urls_that_are_not_relative_sqlite_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '  mem: {url: "sqlite:///:memory:"}\n'
        '  abs: {url: "sqlite:////var/data/x.db?mode=ro"}\n'
        '  rel: {url: "sqlite+pysqlite:///data/x.db?mode=ro"}\n',
    )
    systems = load_config(path, {}).systems
    assert systems["mem"].url == "sqlite:///:memory:"
    assert systems["abs"].url == "sqlite:////var/data/x.db?mode=ro"
    assert systems["rel"].url == f"sqlite+pysqlite:///{tmp_path.resolve()}/data/x.db?mode=ro"


def test_resolve_config_path_prefers_argument_then_environment() -> None:
    assert resolve_config_path("a.yml", {"DXQ_CONFIG": "b.yml"}) == Path("a.yml")
    assert resolve_config_path(None, {"DXQ_CONFIG": "b.yml"}) == Path("b.yml")
    assert resolve_config_path(None, {}) == Path("dxq.yml")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yml") == [
        f"{tmp_path}/nope.yml: monitor file not found; pass -c FILE or set $DXQ_CONFIG"
    ]
    assert problems(tmp_path) == [f"{tmp_path}: is a directory, not a monitor file; pass -c FILE"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1: the file is empty; start it with version: 1"),
        ("- a\n- b\n", "1: expected a mapping of keys"),
        ("version: 1\nversion: 1\n", "2: version: duplicate key 'version'"),
        ("owners: {}\n", "1: missing required key 'version'"),
        (
            "version: 1\nstore: not a url\n",
            "2: store: invalid URL 'not a url'; expected a SQLAlchemy URL like sqlite:///data.db",
        ),
    ],
)
def test_whole_file_problems(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "dxq.yml"
    path.write_text(text, encoding="utf-8")
    assert problems(path) == [f"{path}:{expected}"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "  txt: {files: data/*.txt}\n",
            "7: systems.txt: cannot tell the format of '*.txt'; add format: csv, parquet or jsonl",
        ),
        (
            "  tz: {url: 'sqlite:///x.db', timezone: Mars/Olympus}\n",
            "7: systems.tz.timezone: unknown time zone 'Mars/Olympus'; use an IANA name like UTC "
            "or Europe/Berlin",
        ),
        (
            "  f: {url: 'sqlite:///x.db', format: csv}\n",
            "7: systems.f: 'format' is only for a files system",
        ),
        (
            "  o: {url: 'sqlite:///x.db', owner: pox}\n",
            "7: systems.o.owner: unknown owner 'pox'; known owners: po",
        ),
        (
            "  t: {url: 'sqlite:///x.db', query_timeout: -5}\n",
            "7: systems.t.query_timeout: a duration cannot be negative",
        ),
    ],
)
def test_system_problems(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    assert problems(path) == [f"{path}:{expected}"]


INTEGRATION = """\
integrations:
  sync:
    source: pim.products
    target: pim.copy
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "    key: sku\n    compare: [{source: p, tolerance: 1%, relative_tolerance: 0.1}]\n",
            "12: integrations.sync.compare[0]: give 'tolerance: N%' or 'relative_tolerance', "
            "not both",
        ),
        (
            "    compare: [name]\n",
            "8: integrations.sync: 'reconcile' and 'compare' need a 'key' to match records",
        ),
        (
            "    references: [{column: c, references: pim.c}]\n",
            "11: integrations.sync.references[0].references: expected <system>.<table>.<column>, "
            "got 'pim.c'",
        ),
        (
            "    references: [{column: c, references: wms.t.c}]\n",
            "11: integrations.sync.references[0].references: 'wms' is a files system; references "
            "must name a SQL table",
        ),
        (
            "    schema: {previous: true}\n",
            "11: integrations.sync.schema: schema takes no options; write schema: true "
            "(got {'previous': True})",
        ),
        (
            "    volume: {tolerance: lots}\n",
            "11: integrations.sync.volume.tolerance: invalid percentage 'lots'; expected a "
            "percentage like 1% or a fraction",
        ),
        (
            "    alert: {after_failures: 0}\n",
            "11: integrations.sync.alert.after_failures: must be at least 1 (got 0)",
        ),
        (
            "    compare: [{source: a, normalize: [squash]}]\n    key: k\n",
            "11: integrations.sync.compare[0].normalize[0]: expected one of trim, lower, upper, "
            "collapse_whitespace (got 'squash')",
        ),
        (
            "    freshness: {column: c, max_age: 1h, owner: po}\n",
            "11: integrations.sync.freshness.owner: unknown key 'owner'; expected one of column, "
            "max_age, side",
        ),
        (
            "    timezone: Nowhere/City\n",
            "11: integrations.sync.timezone: unknown time zone 'Nowhere/City'; use an IANA name "
            "like UTC or Europe/Berlin",
        ),
    ],
)
def test_integration_problems(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, INTEGRATION + body)
    assert problems(path) == [f"{path}:{expected}"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "pim",
            "'pim' is a SQL system: name a table (pim.<table>) or give {system: pim, query: ...}",
        ),
        ("{system: wms, query: select 1}", "'wms' is a files system: it cannot run a query"),
        ("{system: pim, table: a, query: select 1}", "give either 'table' or 'query', not both"),
        ("{system: nope, table: a}", "unknown system 'nope'; known systems: pim, wms"),
    ],
)
def test_dataset_problems(tmp_path: Path, source: str, expected: str) -> None:
    path = write(tmp_path, f"integrations:\n  sync:\n    source: {source}\n    target: wms\n")
    found = problems(path)
    assert len(found) == 1 and found[0].endswith(f": {expected}")
    assert found[0].startswith(f"{path}:9: integrations.sync.source")


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (
            "{receiver: po, match: {severity: critical}}",
            "8: routes: the root route matches every alert: remove its matchers",
        ),
        (
            "{receiver: po, routes: [{receiver: po, matchers: ['team=\"x\"']}]}",
            "8: routes.routes[0].matchers[0]: unknown label 'team'; labels: "
            "integration, source_system, target_system, check, kind, severity",
        ),
        (
            "{receiver: po, routes: [{receiver: po, matchers: ['severity critical']}]}",
            "8: routes.routes[0].matchers[0]: cannot read matcher 'severity critical'; write "
            'label=value, label!=value, label=~"regex" or label!~"regex"',
        ),
        (
            "{receiver: po, routes: [{receiver: po, match_re: {check: '(('}}]}",
            "8: routes.routes[0].match_re.check: invalid regular expression '((': missing ), "
            "unterminated subpattern at position 1",
        ),
        (
            "{receiver: po, routes: [{receiver: po, match: {team: x}}]}",
            "8: routes.routes[0].match.team: unknown label 'team'; labels: integration, "
            "source_system, target_system, check, kind, severity",
        ),
        (
            "{receiver: po, escalate: [{after: 5m, receiver: boss}]}",
            "8: routes.escalate[0].receiver: unknown receiver 'boss'; known owners: po",
        ),
        (
            "{receiver: po, continu: true}",
            "8: routes.continu: unknown key 'continu'; did you mean 'continue'?",
        ),
    ],
)
def test_route_problems(tmp_path: Path, routes: str, expected: str) -> None:
    path = write(tmp_path, f"integrations: {{}}\nroutes: {routes}\n")
    assert problems(path) == [f"{path}:{expected}"]


def test_suites_are_skipped_on_request(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("{not json", encoding="utf-8")
    path = write(tmp_path, INTEGRATION + "    suites: [s.json]\n")
    assert problems(path) == [
        f"{tmp_path}/s.json:1: invalid JSON: Expecting property name enclosed in double quotes"
    ]
    assert (
        load_config(path, {}, check_suites=False).integrations["sync"].suites[0].suite == "s.json"
    )


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        textwrap.dedent(
            """\
        integrations:
          a: &base {source: pim.products, target: pim.copy, severity: warning}
          b: {<<: *base, target: pim.other}
        """
        ),
    )
    config = load_config(path, {})
    assert config.integrations["b"].severity is Severity.WARNING
    assert config.integrations["b"].target.table == "other"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (45, 45), ("1.5h", 5400), ("30", 30)],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "fraction"), [("0.5%", 0.005), ("1%", 0.01), (0.02, 0.02), ("0.1", 0.1), (0, 0.0)]
)
def test_parse_fraction(text: str | float, fraction: float) -> None:
    assert parse_fraction(text) == pytest.approx(fraction)


@pytest.mark.parametrize("bad", ["1w", "h", True, "", "-5m"])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_problem_without_line_or_path() -> None:
    assert str(Problem("a.json", None, "", "broken")) == "a.json: broken"
    assert str(Problem("a.yml", 3, "x.y", "bad")) == "a.yml:3: x.y: bad"
    assert (
        str(ConfigError([Problem("f", 1, "", "a"), Problem("f", 2, "", "b")])) == "f:1: a\nf:2: b"
    )
