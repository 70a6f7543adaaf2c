"""The monitor file as data: frozen pydantic models, unknown keys forbidden.

Shorthands are expanded while validating ("pim.products", "1%", "2h", `key: sku`), so the
rest of dxq sees one form. Cross-references between sections are checked in `monitor.loading`.
Paths are resolved against `base_dir`, given as validation context by the loader.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from checks.result import Severity

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_RELATIVE_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?):///(?!/)([^?]+)(\?.*)?$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def parse_duration(value: object) -> float:
    """Seconds from "90s", "15m", "2h", "1d" or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 90s, 15m, 2h or 1d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"invalid duration '{value}'; expected a duration like 90s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_fraction(value: object) -> float:
    """A fraction from "0.5%" (0.005) or a plain fraction (0.005)."""
    if isinstance(value, bool):
        raise ValueError("expected a percentage like 1% or a fraction like 0.01")
    if isinstance(value, int | float):
        result = float(value)
    else:
        text = str(value).strip()
        try:
            result = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(
                f"invalid percentage '{value}'; expected a percentage like 1% or a fraction"
            ) from None
    if result < 0:
        raise ValueError("a percentage cannot be negative")
    return result


def check_timezone(name: str) -> str:
    """The IANA zone name, if zoneinfo knows it."""
    try:
        ZoneInfo(name)
    except Exception:
        raise ValueError(
            f"unknown time zone '{name}'; use an IANA name like UTC or Europe/Berlin"
        ) from None
    return name


def check_cron(expression: str) -> str:
    """The 5-field cron expression, if APScheduler accepts it."""
    from apscheduler.triggers.cron import CronTrigger

    if len(expression.split()) != 5:
        raise ValueError(
            f"invalid cron expression '{expression}': expected 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression '{expression}': {exc}") from None
    return expression


def as_list(value: object) -> object:
    """A lone string as a one-item list."""
    return [value] if isinstance(value, str) else value


def resolve_path(text: str, info: ValidationInfo) -> str:
    """An absolute path: `text` relative to the monitor file's directory."""
    base = Path((info.context or {}).get("base_dir", "."))
    return str((base / Path(text).expanduser()).resolve())


def resolve_url(url: str, info: ValidationInfo) -> str:
    """A SQLAlchemy URL, with a relative SQLite path made absolute."""
    if not _URL.match(url):
        raise ValueError(f"invalid URL '{url}'; expected a SQLAlchemy URL like sqlite:///data.db")
    match = _RELATIVE_SQLITE.match(url)
    if match is None or match.group(2) == ":memory:":
        return url
    return f"{match.group(1)}:///{resolve_path(match.group(2), info)}{match.group(3) or ''}"


def blank_as_none(value: object) -> object:
    """ "" (an unset `${VAR:-}`) as absent."""
    return None if value == "" else value


def as_email_list(value: object) -> object:
    """One address or several; blank means none."""
    return [] if value in ("", None) else as_list(value)


Duration = Annotated[float, BeforeValidator(parse_duration)]
Fraction = Annotated[float, BeforeValidator(parse_fraction)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
OptionalText = Annotated[str | None, BeforeValidator(blank_as_none)]
Names = Annotated[list[str], BeforeValidator(as_list)]
Label = Literal["integration", "source_system", "target_system", "check", "kind", "severity"]


class Model(BaseModel):
    """Base of every section: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Smtp(Model):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: OptionalText = None
    password: OptionalText = None
    sender: str = "dxq@localhost"
    timeout: Duration = 30.0


class Owner(Model):
    name: str | None = None
    role: Literal["business", "oncall", "maintenance"]
    email: Annotated[list[str], BeforeValidator(as_email_list)] = []
    slack_webhook: OptionalText = None
    teams_webhook: OptionalText = None
    webhook: OptionalText = None
    webhook_secret: OptionalText = None

    @field_validator("email")
    @classmethod
    def _check_emails(cls, emails: list[str]) -> list[str]:
        for address in emails:
            if "@" not in address:
                raise ValueError(f"invalid email address '{address}'")
        return emails


class System(Model):
    description: str = ""
    url: str | None = None
    files: str | None = None  # absolute glob once validated
    format: Literal["csv", "parquet", "jsonl"] | None = None
    owner: str | None = None
    timezone: TimeZone = "UTC"
    connect_timeout: Duration = 10.0
    query_timeout: Duration = 300.0

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
        if (self.url is None) == (self.files is None):
            raise ValueError("give exactly one of 'url' (a SQL system) or 'files' (exported files)")
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


class DatasetRef(Model):
    """`pim.products`, `wms`, `{system: pim, table: products}` or `{system: pim, query: ...}`."""

    system: str
    table: str | None = None
    query: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str):
            system, _, table = value.partition(".")
            return {"system": system, "table": table or None}
        return value

    @model_validator(mode="after")
    def _check_one(self) -> DatasetRef:
        if self.table is not None and self.query is not None:
            raise ValueError("give either 'table' or 'query', not both")
        return self

    @property
    def label(self) -> str:
        if self.table is not None:
            return f"{self.system}.{self.table}"
        return self.system if self.query is None else f"{self.system} (query)"


class Key(Model):
    """The unique identifier matching records: the same columns or a pair of column lists."""

    source: Names
    target: Names

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str | list):
            return {"source": value, "target": value}
        return value

    @model_validator(mode="after")
    def _check_lengths(self) -> Key:
        if not self.source:
            raise ValueError("a key needs at least one column")
        if len(self.source) != len(self.target):
            raise ValueError(
                f"source key has {len(self.source)} column(s) and target key has "
                f"{len(self.target)}; they must pair up"
            )
        return self


class CompareField(Model):
    """A field that must agree; a plain string names the same column on both sides."""

    source: str
    target: str
    tolerance: float | None = Field(default=None, ge=0)
    relative_tolerance: Fraction | None = None
    map: dict[str, str] = {}
    normalize: list[Literal["trim", "lower", "upper", "collapse_whitespace"]] = []
    pii: bool = False

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        if isinstance(value, str):
            return {"source": value, "target": value}
        if isinstance(value, dict):
            value = dict(value)
            if "target" not in value and isinstance(value.get("source"), str):
                value["target"] = value["source"]
            tolerance = value.get("tolerance")
            if isinstance(tolerance, str) and tolerance.strip().endswith("%"):
                if "relative_tolerance" in value:
                    raise ValueError("give 'tolerance: N%' or 'relative_tolerance', not both")
                value["relative_tolerance"] = value.pop("tolerance")
        return value


class Freshness(Model):
    column: str
    max_age: Duration
    side: Literal["source", "target"] = "target"


class Volume(Model):
    tolerance: Fraction = 0.0


class SidePair(Model):
    """A column named per side."""

    source: str
    target: str


class Reconcile(Model):
    max_mismatch_rate: Fraction = 0.0
    grace: Duration | None = None
    updated_column: SidePair | None = None
    sample: int = Field(default=50, ge=0, le=1000)

    @field_validator("updated_column", mode="before")
    @classmethod
    def _expand_column(cls, value: object) -> object:
        return {"source": value, "target": value} if isinstance(value, str) else value


class Reference(Model):
    """Every value of `column` exists in `references` ("system.table.column")."""

    column: str
    references: str

    @field_validator("references")
    @classmethod
    def _check_shape(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) < 3 or not all(parts):
            raise ValueError(f"expected <system>.<table>.<column>, got '{value}'")
        return value

    @property
    def system(self) -> str:
        return self.references.split(".")[0]

    @property
    def table(self) -> str:
        return self.references.split(".", 1)[1].rsplit(".", 1)[0]

    @property
    def referenced_column(self) -> str:
        return self.references.rsplit(".", 1)[1]


class SuiteRef(Model):
    """A GX suite file (relative to the monitor file) and the side it runs on."""

    suite: str
    side: Literal["source", "target"] = "target"
    key: Names | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return {"suite": value} if isinstance(value, str) else value


class AlertPolicy(Model):
    after_failures: int = Field(default=1, ge=1)


def expand_schema(value: object) -> object:
    """`schema: {}` means on; no options exist yet."""
    if isinstance(value, dict):
        if value:
            raise ValueError(f"schema takes no options; write schema: true (got {value})")
        return True
    return value


class Integration(Model):
    description: str = ""
    source: DatasetRef
    target: DatasetRef
    key: Key | None = None
    direction: Literal["one-way", "two-way"] = "one-way"
    golden: Literal["source", "target"] = "source"
    compare: list[CompareField] = []
    schedule: Annotated[str, AfterValidator(check_cron)] | None = None
    timezone: TimeZone = "UTC"
    timeout: Duration = 600.0
    severity: Severity = Severity.ERROR
    owners: Names = []
    freshness: Freshness | None = None
    volume: Volume | None = None
    reconcile: Reconcile | None = None
    references: list[Reference] = []
    schema_: Annotated[bool, BeforeValidator(expand_schema)] = Field(default=False, alias="schema")
    suites: list[SuiteRef] = []
    alert: AlertPolicy = AlertPolicy()

    @model_validator(mode="after")
    def _check_key(self) -> Integration:
        if self.key is None and (self.reconcile is not None or self.compare):
            raise ValueError("'reconcile' and 'compare' need a 'key' to match records")
        return self

    @property
    def reconciles(self) -> bool:
        """Whether records are matched by key: `reconcile` or `compare` is given."""
        return self.reconcile is not None or bool(self.compare)


_MATCHER = re.compile(r'^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')
_LABELS = ("integration", "source_system", "target_system", "check", "kind", "severity")


class Matcher(Model):
    """`label op value`; regexes (=~, !~) match the whole value, as in Alertmanager."""

    label: Label
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """A matcher from 'severity="critical"' or 'integration=~"order.*"'."""
        found = _MATCHER.match(text)
        if found is None:
            raise ValueError(f"invalid matcher '{text}'; expected label=\"value\" (=, !=, =~, !~)")
        label, op, quoted, bare = found.groups()
        if label not in _LABELS:
            raise ValueError(f"unknown label '{label}' in '{text}'; labels: {', '.join(_LABELS)}")
        value = bytes(quoted, "utf-8").decode("unicode_escape") if quoted is not None else bare
        if op in ("=~", "!~"):
            compile_regex(value)
        return cls.model_validate({"label": label, "op": op, "value": value})


def compile_regex(pattern: str) -> str:
    """The pattern, if it compiles."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression '{pattern}': {exc}") from None
    return pattern


def check_matcher(text: str) -> str:
    """The matcher text, if it parses."""
    Matcher.parse(text)
    return text


class Escalation(Model):
    after: Duration
    receiver: str


class Route(Model):
    """A node of the routing tree (Alertmanager semantics, section 8)."""

    receiver: str | None = None
    match: dict[Label, str] = {}
    match_re: dict[Label, Annotated[str, AfterValidator(compile_regex)]] = {}
    matchers: list[Annotated[str, AfterValidator(check_matcher)]] = []
    continue_: bool = Field(default=False, alias="continue")
    repeat_interval: Duration | None = None
    escalate: list[Escalation] = []
    routes: list[Route] = []

    def all_matchers(self) -> tuple[Matcher, ...]:
        """`match`, `match_re` and `matchers` as one AND-ed list."""
        return (
            *(Matcher(label=k, op="=", value=v) for k, v in self.match.items()),
            *(Matcher(label=k, op="=~", value=v) for k, v in self.match_re.items()),
            *(Matcher.parse(text) for text in self.matchers),
        )


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

    @field_validator("store")
    @classmethod
    def _resolve_store(cls, url: str, info: ValidationInfo) -> str:
        return resolve_url(url, info)

    @field_validator("routes")
    @classmethod
    def _check_root(cls, root: Route | None) -> Route | None:
        if root is not None and root.receiver is None:
            raise ValueError("the root route needs a 'receiver': it catches every alert")
        if root is not None and root.all_matchers():
            raise ValueError("the root route matches every alert: remove its matchers")
        return root

    _base_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _remember_base(self, info: ValidationInfo) -> Config:
        self._base_dir = Path((info.context or {}).get("base_dir", "."))
        return self

    @property
    def base_dir(self) -> Path:
        """The monitor file's directory: relative paths in the file start here."""
        return self._base_dir

    def suite_path(self, suite: SuiteRef) -> Path:
        """The absolute path of a suite file."""
        return (self.base_dir / suite.suite).resolve()
