"""The monitor file as data: frozen pydantic models, unknown keys forbidden.

Shorthands are expanded while validating ("pim.products", "1%", "2h", `key: sku`), so the
rest of dxq sees one form. The value types live in `monitor.config.values`, the sections in
`monitor.config.integration` and `monitor.config.routes`; cross-references between sections
are checked in `monitor.config.loading`.
Paths are resolved against `base_dir`, given as validation context by the loader.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alerts.owner import OPSGENIE_URL, PAGERDUTY_URL, hide_url
from monitor.config.anomalies import Anomalies
from monitor.config.api import Api
from monitor.config.api_system import ApiSection
from monitor.config.digest import Digest
from monitor.config.executor import DEFAULT_QUEUE, Executor, Queue
from monitor.config.integration import Integration, SuiteRef
from monitor.config.partner import Partner, check_partner
from monitor.config.routes import Route, check_root
from monitor.config.values import (
    Duration,
    Model,
    OptionalText,
    TimeZone,
    as_email_list,
    check_email,
    resolve_path,
    resolve_url,
)

_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class Smtp(Model):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: OptionalText = None
    password: OptionalText = None
    sender: str = "dxq@localhost"
    timeout: Duration = 30.0
    verify: bool = True  # verify the mail server's TLS certificate
    ca_file: OptionalText = None  # PEM file of the CA(s) to trust instead of the system's

    @field_validator("ca_file")
    @classmethod
    def _resolve_ca_file(cls, path: str | None, info: ValidationInfo) -> str | None:
        return None if path is None else resolve_path(path, info)

    @model_validator(mode="after")
    def _check_tls(self) -> Smtp:
        if self.starttls and self.ssl:
            raise ValueError(
                "give either 'starttls: true' (usually port 587) or 'ssl: true' (usually port "
                "465), not both"
            )
        return self


def check_http_url(url: str) -> str:
    """An http(s) URL with a host, or a ValueError saying what to give."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        got = f"'{parts.scheme}://'" if parts.scheme else "no scheme"
        raise ValueError(
            f"expected an http:// or https:// URL (got {got}), e.g. https://hooks.example.com/..."
        )
    if not parts.hostname:
        raise ValueError(f"the URL '{hide_url(url)}' has no host")
    return url


PAGERDUTY_KEY_LENGTH = 32
_JIRA_PROJECT = re.compile(r"[A-Z][A-Z0-9_]+")


class Jira(Model):
    """Where an owner's Jira issues are filed (Jira Cloud, REST API v3)."""

    url: str
    project: str
    issue_type: str = "Task"
    email: str
    api_token: str = Field(repr=False)

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        return check_http_url(url)

    @field_validator("project")
    @classmethod
    def _check_project(cls, project: str) -> str:
        if not _JIRA_PROJECT.fullmatch(project):
            raise ValueError(
                f"'{project}' is not a Jira project key: give the key (e.g. DQ: upper-case "
                "letters and digits, as in the issue keys DQ-12), not the project's name"
            )
        return project

    @field_validator("issue_type")
    @classmethod
    def _check_issue_type(cls, issue_type: str) -> str:
        if not issue_type.strip():
            raise ValueError("give an issue type of the project, e.g. Task or Bug")
        return issue_type

    @field_validator("email")
    @classmethod
    def _check_email(cls, email: str) -> str:
        return check_email(email, "dq-bot@example.com, the Jira account's address")

    @field_validator("api_token")
    @classmethod
    def _check_token(cls, token: str) -> str:
        if not token.strip():
            raise ValueError(
                "the API token is empty: set the environment variable it names "
                '(api_token: "${JIRA_API_TOKEN}")'
            )
        return token


class Owner(Model):
    name: str | None = None
    role: Literal["business", "oncall", "maintenance"]
    email: Annotated[list[str], BeforeValidator(as_email_list)] = []
    slack_webhook: OptionalText = None
    teams_webhook: OptionalText = None
    webhook: OptionalText = None
    webhook_secret: OptionalText = None
    pagerduty_routing_key: OptionalText = Field(default=None, repr=False)
    pagerduty_url: str = PAGERDUTY_URL
    opsgenie_api_key: OptionalText = Field(default=None, repr=False)
    opsgenie_url: str = OPSGENIE_URL
    jira: Jira | None = None

    @field_validator("email")
    @classmethod
    def _check_emails(cls, emails: list[str]) -> list[str]:
        return [check_email(address, "oncall@example.com", listed=True) for address in emails]

    @field_validator("slack_webhook", "teams_webhook", "webhook", "pagerduty_url", "opsgenie_url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        return None if url is None else check_http_url(url)

    @field_validator("pagerduty_routing_key")
    @classmethod
    def _check_routing_key(cls, key: str | None) -> str | None:
        if key is not None and len(key.strip()) != PAGERDUTY_KEY_LENGTH:
            raise ValueError(
                f"a PagerDuty routing key is {PAGERDUTY_KEY_LENGTH} characters (this one has "
                f"{len(key.strip())}): copy the Integration Key of the service's Events API v2 "
                'integration, e.g. pagerduty_routing_key: "${PAGERDUTY_ROUTING_KEY}"'
            )
        return None if key is None else key.strip()

    @model_validator(mode="after")
    def _check_reachable(self) -> Owner:
        channels = (
            self.email,
            self.slack_webhook,
            self.teams_webhook,
            self.webhook,
            self.pagerduty_routing_key,
            self.opsgenie_api_key,
            self.jira,
        )
        if not any(channels):
            raise ValueError(
                "this owner cannot be reached: give at least one of email, slack_webhook, "
                "teams_webhook, webhook, pagerduty_routing_key, opsgenie_api_key or jira"
            )
        given = self.model_fields_set
        for url, key in (
            ("pagerduty_url", "pagerduty_routing_key"),
            ("opsgenie_url", "opsgenie_api_key"),
        ):
            if url in given and getattr(self, key) is None:
                raise ValueError(f"'{url}' is given without '{key}': set both, or neither")
        return self


class System(Model):
    description: str = ""
    url: str | None = None
    files: str | None = None  # absolute glob once validated
    api: ApiSection | None = None  # an HTTP JSON API (monitor/config/api_system.py)
    format: Literal["csv", "parquet", "jsonl"] | None = None
    owner: str | None = None
    timezone: TimeZone = "UTC"
    connect_timeout: Duration = 10.0
    query_timeout: Duration = 300.0
    queue: Queue | None = None  # the Celery queue of its integrations' runs
    external: bool = False  # run by an external partner (monitor/config/partner.py)
    partner: Partner | None = Field(default=None, validate_default=True)

    @field_validator("partner")
    @classmethod
    def _check_partner(cls, partner: Partner | None, info: ValidationInfo) -> Partner | None:
        return check_partner(partner, info.data.get("external"))

    @field_validator("url")
    @classmethod
    def _resolve_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        return None if url is None else resolve_url(url, info)

    @field_validator("files")
    @classmethod
    def _resolve_files(cls, files: str | None, info: ValidationInfo) -> str | None:
        return None if files is None else resolve_path(files, info)

    @model_validator(mode="after")
    def _check_kind(self) -> System:
        kinds = [k for k in ("url", "files", "api") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of 'url' (a SQL system), 'files' (exported files) or 'api' "
                "(an HTTP JSON API)" + (f"; got {' and '.join(kinds)}" if kinds else "")
            )
        if self.api is not None and self.format is not None:
            raise ValueError("'format' is only for a files system")
        if self.url is not None and self.format is not None:
            raise ValueError("'format' is only for a files system")
        if self.files is not None and self.format is None:
            suffix = Path(self.files).suffix.lower()
            if suffix not in _EXTENSIONS:
                raise ValueError(
                    f"cannot tell the format of '{Path(self.files).name}'; "
                    "add format: csv, parquet or jsonl"
                )
            object.__setattr__(self, "format", _EXTENSIONS[suffix])
        return self


class Config(Model):
    """The whole monitor file."""

    version: Literal[1]
    store: str = "sqlite:///.dxq/results.db"
    dashboard_url: str = "http://localhost:8501"
    smtp: Smtp = Smtp()
    owners: dict[str, Owner] = {}
    systems: dict[str, System] = {}
    integrations: dict[str, Integration] = {}
    routes: Route | None = None
    api: Api = Api()
    executor: Executor | None = None  # None: runs execute inside dxq schedule
    digest: Digest | None = None  # None: no weekly digest e-mails
    anomalies: Anomalies | None = None  # defaults of every integration's `anomalies:`

    @field_validator("store")
    @classmethod
    def _resolve_store(cls, url: str, info: ValidationInfo) -> str:
        return resolve_url(url, info)

    @field_validator("routes")
    @classmethod
    def _check_root(cls, root: Route | None) -> Route | None:
        return check_root(root)

    _base_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _remember_base(self, info: ValidationInfo) -> Config:
        self._base_dir = Path((info.context or {}).get("base_dir", "."))
        return self

    def queue_of(self, integration: str) -> str:
        """The queue of an integration's runs: its own, else its source system's, else dxq."""
        found = self.integrations[integration]
        if found.queue is not None:
            return found.queue
        system = self.systems.get(found.source.system)
        return system.queue if system is not None and system.queue else DEFAULT_QUEUE

    @property
    def base_dir(self) -> Path:
        """The monitor file's directory: relative paths in the file start here."""
        return self._base_dir

    def suite_path(self, suite: SuiteRef) -> Path:
        """The absolute path of a suite file."""
        return (self.base_dir / suite.suite).resolve()
