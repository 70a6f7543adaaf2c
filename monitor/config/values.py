"""The value types of the monitor file: durations, percentages, zones, cron, paths and URLs.

Each parser turns a shorthand ("2h", "1%", a relative path) into the one form the rest of dxq
sees, or raises ValueError with a message pydantic shows next to the offending key.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationInfo

from datasources.durations import parse_duration

_RELATIVE_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?):///(?!/)([^?]+)(\?.*)?$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def parse_fraction(value: object) -> float:
    """A fraction from "0.5%" (0.005) or a plain fraction (0.005); 0% to 100% only."""
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
    if not 0 <= result <= 1:
        raise ValueError(
            f"'{value}' is out of range; a percentage lies between 0% and 100% "
            "(a fraction between 0 and 1)"
        )
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
    """The 5-field cron expression, if the scheduler's trigger accepts it."""
    from monitor.daemon.cron import build_trigger

    if len(expression.split()) != 5:
        raise ValueError(
            f"invalid cron expression '{expression}': expected 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    try:
        build_trigger(expression, "UTC")
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
    from sqlalchemy import make_url

    from datasources.credentials import mask_url

    try:
        if not _URL.match(url):
            raise ValueError(url)
        make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError, or ValueError for a bad port
        raise ValueError(
            f"invalid URL '{mask_url(url)}'; expected a SQLAlchemy URL like sqlite:///data.db"
        ) from None
    match = _RELATIVE_SQLITE.match(url)
    if match is None or match.group(2) == ":memory:":
        return url
    return f"{match.group(1)}:///{resolve_path(match.group(2), info)}{match.group(3) or ''}"


_DOMAIN_LABEL = re.compile(r"[^\W_]([^\W_]|-)*", re.UNICODE)  # letters, digits, inner hyphens
LIST_HINT = "several addresses go in a list, e.g. email: [a@example.com, b@example.com]"


def check_email(address: str, example: str, *, listed: bool = False) -> str:
    """`address` when it can be an e-mail address, else a ValueError saying what is wrong and
    what to write (`example`). Only what is plainly wrong is refused: a space, no @ or
    several, nothing before the @, a domain without a dot or with an empty or odd part
    (docs/monitor-file.md#owners). With `listed`, the key takes a list and the message says
    how to give several addresses."""
    local, at, domain = address.partition("@")
    labels = domain.split(".")
    why = None
    if any(c.isspace() for c in address):
        why = "it contains a space"
    elif not at:
        why = "no @"
    elif "@" in domain:
        why = f"{address.count('@')} @ signs; an address has one"
    elif not local:
        why = "nothing before the @"
    elif len(labels) < 2:
        why = f"the domain '{domain}' has no dot" if domain else "no domain after the @"
    elif not all(_DOMAIN_LABEL.fullmatch(label) and not label.endswith("-") for label in labels):
        why = f"'{domain}' is not a domain name"
    if why is None:
        return address
    several = listed and address.count("@") > 1
    hint = f"; {LIST_HINT}" if several else ""
    raise ValueError(f"'{address}' is not an e-mail address ({why}), e.g. {example}{hint}")


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


class Model(BaseModel):
    """Base of every section: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# Letters, marks, numbers, punctuation and symbols are visible; spaces (Z*), controls (Cc),
# format characters such as the zero-width space (Cf) and unassigned code points are not.
_VISIBLE = ("L", "N", "P", "S")
_INVISIBLE_EDGES = "".join(chr(c) for c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF))


def printable_name(text: str) -> str:
    """`text` trimmed of blanks and invisible characters at its ends, or "" when it is not a
    name a person could read: no visible character, or a control character inside."""
    name = text.strip().strip(_INVISIBLE_EDGES).strip()
    if any(unicodedata.category(c) == "Cc" for c in name):
        return ""
    if not any(unicodedata.category(c)[0] in _VISIBLE for c in name):
        return ""
    return name
