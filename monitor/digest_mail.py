"""The weekly digest e-mail of one owner: the "this week" summary (`store.weekly.week_summary`)
of each integration that lists the owner among its `owners`, in the words of the dashboard's
This week panel (`monitor.week_words`), with the integration's description, a link to its page
and the totals; plain text with an HTML alternative (docs/monitor-file.md, Weekly digest).

An owner gets a digest when it has an e-mail address and at least one integration."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pandas as pd

from alerts.escaping import for_html
from alerts.message import integration_link
from alerts.owner import Owner, SmtpSettings
from datasources.printable import one_line
from monitor.config.model import Config
from monitor.run.alert_context import alert_context
from monitor.week_words import (
    alerts_text,
    healthy_all_week,
    healthy_text,
    mismatch_text,
    runs_text,
    stale_text,
)
from store.store import ResultStore
from store.weekly import WEEK, week_summary

QUIET = "no run and no alert this week"
_SAFE = re.compile(r"[^A-Za-z0-9.-]")


@dataclass(frozen=True)
class Line:
    """One integration of a digest; `row` is None when it neither ran nor alerted."""

    integration: str
    description: str
    link: str
    row: Mapping[str, Any] | None


@dataclass(frozen=True)
class Digest:
    owner: Owner
    week_start: datetime
    week_end: datetime
    lines: tuple[Line, ...]

    @property
    def healthy(self) -> int:
        """Integrations whose every finished run of the week passed."""
        return sum(1 for line in self.lines if line.row is not None and healthy_all_week(line.row))

    @property
    def subject(self) -> str:
        n = len(self.lines)
        noun = "integration" if n == 1 else "integrations"
        return one_line(f"dxq weekly: {self.healthy} of {n} {noun} healthy all week")

    def totals(self) -> dict[str, Any]:
        """The week of every integration together, with the summary's columns."""
        rows = [line.row for line in self.lines if line.row is not None]
        runs = sum(int(r["runs"]) for r in rows)
        healthy_runs = sum(int(r["healthy_runs"]) for r in rows)
        return {
            "runs": runs,
            "healthy_runs": healthy_runs,
            "healthy_share": healthy_runs / runs if runs else None,
            "worst_mismatch": _largest(r["worst_mismatch"] for r in rows),
            "longest_stale_s": _largest(r["longest_stale_s"] for r in rows),
            "alerts_opened": sum(int(r["alerts_opened"]) for r in rows),
            "alerts_resolved": sum(int(r["alerts_resolved"]) for r in rows),
        }


def _largest(values: Any) -> float | None:
    present = [float(v) for v in values if v is not None and not pd.isna(v)]
    return max(present) if present else None


def integrations_of(config: Config, owner_id: str) -> list[str]:
    """The integrations that list the owner among their owners."""
    return sorted(name for name, i in config.integrations.items() if owner_id in i.owners)


def recipients(config: Config, only: Sequence[str] | None = None) -> list[Owner]:
    """The owners who get a digest: with an e-mail address and an integration."""
    owners = alert_context(config).owners
    return [
        owner
        for owner_id, owner in owners.items()
        if owner.emails and integrations_of(config, owner_id) and (only is None or owner_id in only)
    ]


def build_digests(
    store: ResultStore, config: Config, week_end: datetime, owners: Sequence[Owner]
) -> list[Digest]:
    """The digests of these owners for the 7 days up to `week_end`."""
    wanted = {owner.id: integrations_of(config, owner.id) for owner in owners}
    names = sorted({name for found in wanted.values() for name in found})
    if not names:
        return []
    summary = week_summary(store, week_end, names, period=WEEK)
    by_name = {str(row["integration"]): dict(row) for _, row in summary.iterrows()}
    return [
        Digest(
            owner=owner,
            week_start=week_end - WEEK,
            week_end=week_end,
            lines=tuple(
                Line(
                    integration=name,
                    description=config.integrations[name].description,
                    link=integration_link(config.dashboard_url, name),
                    row=by_name.get(name),
                )
                for name in wanted[owner.id]
            ),
        )
        for owner in owners
    ]


def figures(row: Mapping[str, Any] | None) -> str:
    """One row's week in plain words."""
    if row is None:
        return QUIET
    return (
        f"{runs_text(row)} ({healthy_text(row)}); worst mismatch {mismatch_text(row)}; "
        f"longest stale period {stale_text(row)}; alerts {alerts_text(row)}"
    )


def period_text(digest: Digest) -> str:
    return f"{digest.week_start:%Y-%m-%d %H:%M} to {digest.week_end:%Y-%m-%d %H:%M} UTC"


def plain_text(digest: Digest) -> str:
    """The plain-text digest (also what `dxq digest --preview` prints)."""
    lines = [
        f"dxq weekly digest for {digest.owner.label}",
        f"The week from {period_text(digest)}.",
        "",
        f"{digest.healthy} of {len(digest.lines)} integrations healthy all week.",
        "",
    ]
    for line in digest.lines:
        title = line.integration + (f" - {line.description}" if line.description else "")
        lines += [title, f"  {figures(line.row)}", f"  {line.link}", ""]
    lines.append(f"Totals: {figures(digest.totals())}")
    return "\n".join(lines) + "\n"


def html_text(digest: Digest) -> str:
    """The HTML alternative: the same words in a table, every value escaped."""
    rows = []
    for line in digest.lines:
        name = for_html(line.integration)
        link = f'<a href="{for_html(line.link)}">{name}</a>'
        description = for_html(line.description)
        rows.append(
            f"<tr><td>{link}<br><small>{description}</small></td>"
            f"<td>{for_html(figures(line.row))}</td></tr>"
        )
    return (
        "<html><body>"
        f"<h2>dxq weekly digest for {for_html(digest.owner.label)}</h2>"
        f"<p>The week from {for_html(period_text(digest))}.</p>"
        f"<p><b>{digest.healthy} of {len(digest.lines)} integrations healthy all week.</b></p>"
        '<table border="1" cellpadding="4" cellspacing="0">'
        "<tr><th>Integration</th><th>This week</th></tr>"
        + "".join(rows)
        + f"<tr><td><b>Totals</b></td><td>{for_html(figures(digest.totals()))}</td></tr>"
        "</table></body></html>"
    )


def compose(digest: Digest, smtp: SmtpSettings, now: datetime) -> EmailMessage:
    """The e-mail: one-line subject, plain text with an HTML alternative."""
    mail = EmailMessage()
    mail["Subject"] = digest.subject
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(digest.owner.emails)
    stamp = f"{digest.week_end:%Y%m%dT%H%M}"
    mail["Message-ID"] = f"<dxq-digest-{_SAFE.sub('-', digest.owner.id)}-{stamp}@dxq>"
    mail["Date"] = format_datetime(now)
    mail.set_content(plain_text(digest))
    mail.add_alternative(html_text(digest), subtype="html")
    return mail
