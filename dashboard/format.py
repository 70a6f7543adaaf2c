"""Plain-words formatting shared by the pages: outcomes with icon and word (colour is never the
only signal), durations, rates and times."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import pandas as pd

from datasources.durations import format_duration
from datasources.percent import percent as percent  # the one rule; the pages import it from here

STATUS_BADGE = {
    "passed": (":material/check_circle:", "Healthy", "green"),
    "warned": (":material/warning:", "Warning", "orange"),
    "failed": (":material/cancel:", "Failing", "red"),
    "error": (":material/block:", "Cannot check", "violet"),
    "running": (":material/hourglass_top:", "Running", "blue"),
    "stale": (":material/schedule:", "Not reporting", "gray"),
    None: (":material/help:", "No runs yet", "gray"),
}


def badge(status: str | None) -> str:
    """A Streamlit markdown badge: icon, word and colour together."""
    icon, word, colour = STATUS_BADGE.get(status, STATUS_BADGE[None])
    return f":{colour}-badge[{icon} {word}]"


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark
_AUTOLINK = re.compile(r"(?:https?|www)(?=[:.])|[\w.+-](?=@)", re.IGNORECASE)


def literal(value: object) -> str:
    """Any value (from the systems, a suite or a person) as literal text inside Streamlit
    markdown: every ASCII punctuation mark backslash-escaped, so links, images, emphasis,
    `:color[...]` directives, emoji codes, LaTeX and HTML stay text; line breaks are kept.
    Bare URLs and e-mail addresses are not linked either.
    The one escaping helper for st.markdown, st.caption, st.error, st.warning and titles."""
    # Escapes do not stop GFM's bare-URL and e-mail autolinks (found in the parsed text): an
    # invisible word joiner splits `http:`, `www.` and `name@` so they are not recognised.
    unlinked = _AUTOLINK.sub("\\g<0>\u2060", str(value))
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", unlinked)
    return "  \n".join(line.strip() for line in escaped.splitlines()) or escaped


def status_word(status: str | None) -> str:
    """The plain word for an outcome, for tables (where icons do not render)."""
    return STATUS_BADGE.get(status, STATUS_BADGE[None])[1]


def duration(seconds: float | None) -> str:
    """`812` -> "13m 32s"; `7260` -> "2h 1m" (`datasources.durations.format_duration`);
    None -> "—"."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    return format_duration(seconds)


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "5m ago" for a past moment (aware UTC)."""
    if moment is None:
        return "never"
    now = now or datetime.now(UTC)
    return f"{duration((now - moment).total_seconds())} ago"


def as_datetime(value: object) -> datetime | None:
    """A pandas Timestamp, NaT, datetime or None as an aware UTC datetime or None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def record_key(key: object) -> str:
    """A record's key as text: `customer_id=10042` (`country=DE, sku=A-1` for several columns)."""
    if isinstance(key, dict):
        return ", ".join(f"{k}={v}" for k, v in key.items())
    return str(key)
