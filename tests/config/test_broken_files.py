"""Broken monitor files: each problem is reported as `file:line: path: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.loading import load_config
from monitor.errors import ConfigError

FILES = Path(__file__).parent / "files"
BROKEN = FILES / "broken"

CASES: dict[str, list[str]] = {
    "unknown_top_key.yml": [
        "{f}:9: colour: unknown key 'colour'; expected one of anomalies, api, dashboard_url, "
        "digest, executor, integrations, owners, routes, smtp, store, systems, version",
    ],
    "misspelled_key.yml": [
        "{f}:13: integrations.catalog.shedule: unknown key 'shedule'; did you mean 'schedule'?",
    ],
    "unknown_system.yml": [
        "{f}:11: integrations.catalog.source: unknown system 'pimm'; known systems: pim, shop, wms",
    ],
    "unknown_owner.yml": [
        "{f}:13: integrations.catalog.owners[1]: unknown owner 'ghost'; known owners: oncall, po",
    ],
    "bad_cron.yml": [
        "{f}:13: integrations.catalog.schedule: invalid cron expression '*/5 * * *': expected "
        "5 fields (minute hour day-of-month month day-of-week)",
        "{f}:17: integrations.nightly.schedule: invalid cron expression '0 25 * * *': Error "
        "validating expression '25': the last value (25) is higher than the maximum value (23)",
    ],
    "bad_duration.yml": [
        "{f}:13: integrations.catalog.freshness.max_age: invalid duration '2 hours'; expected a "
        "duration like 90s, 15m, 2h or 1d",
    ],
    "bad_severity.yml": [
        "{f}:13: integrations.catalog.severity: expected one of critical, error, warning "
        "(got 'fatal')",
    ],
    "missing_env.yml": [
        "{f}:9: systems.crm.url: environment variable CRM_URL is not set; export it or write "
        "${{CRM_URL:-default}}",
    ],
    "yaml_syntax.yml": [
        "{f}:13: YAML syntax error: while parsing a block mapping, did not find expected key "
        "(check the indentation)",
    ],
    "missing_suite.yml": [
        "{f}:13: integrations.catalog.suites[0]: suite file not found: suites/nowhere.json "
        "(looked for {dir}/suites/nowhere.json)",
    ],
    "unknown_expectation.yml": [
        "{files}/suites/bad_type.json:5: expectations[1].type: unknown expectation type "
        "'expect_column_values_to_be_nul'; did you mean 'expect_column_values_to_be_null'?",
        "{files}/suites/bad_type.json:6: expectations[2]: expected 'kwargs', an object of the "
        "expectation's arguments",
    ],
    "unknown_receiver.yml": [
        "{f}:13: routes.routes[0].receiver: unknown receiver 'pager'; known owners: oncall, po",
    ],
    "bad_regex.yml": [
        "{f}:14: routes.routes[0].matchers[0]: invalid regular expression 'order(.*': missing ), "
        "unterminated subpattern at position 5",
    ],
    "grace_without_column.yml": [
        "{f}:11: integrations.orders.reconcile: grace needs updated_column (the column that says "
        "when a record last changed)",
        "{f}:17: integrations.payments.reconcile: updated_column is only used with grace; add "
        "grace (e.g. 15m) or remove it",
    ],
    "bad_rates.yml": [
        "{f}:13: integrations.catalog.compare[0]: tolerance: '120%' is out of range; a "
        "percentage lies between 0% and 100% (a fraction between 0 and 1)",
        "{f}:14: integrations.catalog.compare[1].relative_tolerance: '-0.1' is out of range; a "
        "percentage lies between 0% and 100% (a fraction between 0 and 1)",
        "{f}:15: integrations.catalog.volume.tolerance: '1.5' is out of range; a percentage "
        "lies between 0% and 100% (a fraction between 0 and 1)",
        "{f}:16: integrations.catalog.reconcile.max_mismatch_rate: '150%' is out of range; a "
        "percentage lies between 0% and 100% (a fraction between 0 and 1)",
    ],
    "key_lengths.yml": [
        "{f}:13: integrations.catalog.key: source key has 2 column(s) and target key has 1; "
        "they must pair up",
    ],
    "executor.yml": [
        "{f}:4: executor.broker: expected a redis:// or amqp:// broker URL (got 'http://'), "
        'e.g. broker: "redis://127.0.0.1:6379/0"',
        "{f}:6: systems.pim.queue: invalid queue name 'eu west': use letters, digits, '.', '_' "
        "or '-' (at most 64 characters, starting with a letter or digit), e.g. queue: erp-eu",
        "{f}:11: integrations.catalog.queue: invalid queue name '-far': use letters, digits, "
        "'.', '_' or '-' (at most 64 characters, starting with a letter or digit), e.g. "
        "queue: erp-eu",
    ],
    "anomalies.yml": [
        "{f}:2: anomalies: sensitivity 30.0: give a number of standard deviations from 0.5 to 20 "
        "(default 4)",
        "{f}:11: integrations.catalog.anomalies.metrics[3]: 'total': write check.metric (e.g. "
        "volume.target_rows), or {{check: …, metric: …}}",
        "{f}:11: integrations.catalog.anomalies.metrics[0]: 'volume.rows': volume measures "
        "source_rows, target_rows, difference, difference_rate",
        "{f}:11: integrations.catalog.anomalies.metrics[1]: 'freshness.lag_seconds': this "
        "integration has no freshness check; add 'freshness:' or watch one of: "
        "volume.source_rows, volume.target_rows",
        "{f}:11: integrations.catalog.anomalies.metrics[2]: 'runs.duration_s': unknown check "
        "'runs'; write one of freshness, reconcile, run, volume with a metric, or {{check: <the "
        "check's full name>, metric: <metric>}} for a suite or references check",
        "{f}:12: integrations.catalog.anomalies.direction: expected one of spike, drop, both "
        "(got 'up')",
        "{f}:16: integrations.nightly.anomalies: training 2h: give at least one day (default 28d)",
    ],
    "url_and_files.yml": [
        "{f}:9: systems.erp: give exactly one of 'url' (a SQL system), 'files' (exported files) "
        "or 'api' (an HTTP JSON API); got url and files",
    ],
    "api_system.yml": [
        "{f}:6: systems.psp.api.base_url: expected an http:// or https:// URL with a host, got "
        "'ftp://psp.example'",
        "{f}:7: systems.psp.api.auth: give exactly one of bearer: TOKEN, basic: {{username, "
        "password}} or header: {{name, value}} (got bearer, basic)",
        "{f}:8: systems.psp.api.timeout: invalid duration 'soon'; expected a duration like 90s, "
        "15m, 2h or 1d",
        "{f}:9: systems.psp.api.max_pages: must be at least 1 (got 0)",
        "{f}:12: systems.psp.api.datasets.charges.path: 'v1/charges?limit=10' is not a URL path; "
        "write it from the base URL, e.g. /v1/charges, and put query parameters under params",
        "{f}:13: systems.psp.api.datasets.charges.pagination.cursor: missing required key 'field'",
        "{f}:14: systems.psp.api.datasets.charges.fields.amount.type: expected one of auto, text, "
        "integer, number, boolean, timestamp (got 'money')",
        "{f}:15: systems.both: give exactly one of 'url' (a SQL system), 'files' (exported files) "
        "or 'api' (an HTTP JSON API); got url and api",
        "{f}:18: integrations.payments.source: API system 'psp' has no dataset 'refunds'; known "
        "datasets: charges",
        "{f}:22: integrations.whole.source: 'psp' is an API system: name a dataset "
        "(psp.<dataset>); known datasets: charges",
        "{f}:25: integrations.whole.references[0].references: API system 'psp' has no dataset "
        "'payouts'; known datasets: charges",
    ],
    "channels.yml": [
        "{f}:2: smtp: give either 'starttls: true' (usually port 587) or 'ssl: true' (usually "
        "port 465), not both",
        "{f}:5: owners.nobody: this owner cannot be reached: give at least one of email, "
        "slack_webhook, teams_webhook, webhook, pagerduty_routing_key, opsgenie_api_key or jira",
        "{f}:6: owners.typo.webhook: expected an http:// or https:// URL (got no scheme), e.g. "
        "https://hooks.example.com/...",
        "{f}:7: owners.mailto.slack_webhook: expected an http:// or https:// URL (got "
        "'ftp://'), e.g. https://hooks.example.com/...",
        "{f}:8: owners.teams.teams_webhook: the URL 'https:///***' has no host",
    ],
    "incident_tools.yml": [
        "{f}:5: owners.pager.pagerduty_routing_key: a PagerDuty routing key is 32 characters "
        "(this one has 9): copy the Integration Key of the service's Events API v2 integration, "
        'e.g. pagerduty_routing_key: "${{PAGERDUTY_ROUTING_KEY}}"',
        "{f}:6: owners.genie.opsgenie_url: expected an http:// or https:// URL (got no scheme), "
        "e.g. https://hooks.example.com/...",
        "{f}:7: owners.lost: 'pagerduty_url' is given without 'pagerduty_routing_key': set both, "
        "or neither",
        "{f}:10: owners.tracker.jira.project: 'Data Quality' is not a Jira project key: give the "
        "key (e.g. DQ: upper-case letters and digits, as in the issue keys DQ-12), not the "
        "project's name",
        "{f}:10: owners.tracker.jira.email: 'bot' is not an e-mail address (no @), e.g. "
        "dq-bot@example.com, the Jira account's address",
        "{f}:10: owners.tracker.jira.api_token: the API token is empty: set the environment "
        'variable it names (api_token: "${{JIRA_API_TOKEN}}")',
        "{f}:11: owners.half.jira.url: expected an http:// or https:// URL (got 'ftp://'), e.g. "
        "https://hooks.example.com/...",
        "{f}:11: owners.half.jira: missing required key 'email'",
        "{f}:11: owners.half.jira: missing required key 'api_token'",
    ],
    "several.yml": [
        "{f}:1: version: unsupported version 2; this dxq reads version: 1",
        "{f}:3: owners.po.role: expected one of business, oncall, maintenance (got 'boss')",
        "{f}:5: systems.pim.owner: unknown owner 'nobody'; known owners: po",
        "{f}:10: integrations.catalog.target: 'wms' is a files system: name it alone ('wms'), "
        "without a table",
        "{f}:12: integrations.catalog.schedule: invalid cron expression 'every hour': expected "
        "5 fields (minute hour day-of-month month day-of-week)",
        "{f}:13: integrations.catalog.timeout: invalid duration 'soon'; expected a duration "
        "like 90s, 15m, 2h or 1d",
        "{f}:14: integrations.catalog.owners[1]: unknown owner 'ghost'; known owners: po",
        "{f}:17: integrations.catalog.compare[1].tolerance: expected a number (got 'lots')",
        "{f}:18: integrations.catalog.reconcile.sample: must be at most 1000 (got 5000)",
        "{f}:20: integrations.catalog.references[0].references: unknown system 'crm'; known "
        "systems: pim, wms",
        "{f}:21: integrations.orders: missing required key 'source'",
        "{f}:23: routes: the root route matches every alert: remove its matchers; the root "
        "route needs a 'receiver': it catches every alert",
        "{f}:25: routes.routes[0].receiver: unknown receiver 'pager'; known owners: po",
    ],
}


def test_every_broken_file_is_covered() -> None:
    assert sorted(CASES) == sorted(p.name for p in BROKEN.glob("*.yml"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_reports_exact_problems(name: str) -> None:
    path = BROKEN / name
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={})
    expected = [
        line.format(f=path, dir=BROKEN.resolve(), files=FILES.resolve()) for line in CASES[name]
    ]
    assert [str(p) for p in raised.value.problems] == expected
    assert str(raised.value) == "\n".join(expected)
