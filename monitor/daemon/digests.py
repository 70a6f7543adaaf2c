"""The weekly digests that `dxq schedule`'s housekeeping sends: at each firing of the monitor
file's `digest.schedule` (read by the one cron rule, `monitor.daemon.cron.build_trigger`), one
e-mail per owner (`monitor.digest_mail`) covering the 7 days up to that firing.

Sent exactly once per owner and firing, however many schedulers share the store: each digest
is claimed in the store before it is sent and marked sent after (`store.digests`). A failed
send is logged as one line and sent again on the next housekeeping pass (one the mail server
refused with a 5xx reply: after an hour). A scheduler that was down at the firing sends the
latest week's digests when it is back (not older weeks)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from alerts.channels.email import send_mail
from alerts.delivery import DeliveryResult
from alerts.owner import SmtpSettings
from datasources.printable import one_line
from monitor.config.model import Config
from monitor.daemon.cron import build_trigger
from monitor.digest_mail import Digest, build_digests, compose, recipients
from monitor.run.alert_context import convert_smtp
from store import digests as recorded
from store.store import ResultStore
from store.weekly import WEEK

log = logging.getLogger("dxq.schedule")
HOLD = timedelta(minutes=10)  # a sender that dies mid-send holds its digests this long
PERMANENT_WAIT = timedelta(hours=1)  # a refused digest (5xx) is tried again after this
Mailer = Callable[[EmailMessage, SmtpSettings], DeliveryResult]


@dataclass(frozen=True)
class Outcome:
    """One digest this pass tried to send."""

    owner: str
    week_end: datetime
    result: DeliveryResult


def latest_firing(schedule: str, timezone: str, now: datetime) -> datetime | None:
    """The last firing of the schedule at or before `now` within a week, or None. The search
    starts an hour back, then a day, then the week, so a frequent schedule is not walked
    firing by firing over a whole week on every pass."""
    trigger = build_trigger(schedule, timezone)
    for span in (timedelta(hours=1), timedelta(days=1), WEEK):
        found: datetime | None = None
        moment = trigger.get_next_fire_time(None, now - span)
        while moment is not None and moment <= now:
            found = moment.astimezone(UTC)
            moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
        if found is not None:
            return found
    return None


def deliver(digest: Digest, smtp: SmtpSettings, now: datetime, mailer: Mailer) -> DeliveryResult:
    """One attempt, never raising: a digest that cannot be composed (say, a line break in an
    address) is a permanent failure, as it is for an alert e-mail."""
    try:
        mail = compose(digest, smtp, now)
    except (ValueError, TypeError) as exc:
        return DeliveryResult.permanent(f"email: cannot compose the digest: {exc}")
    return mailer(mail, smtp)


def send_due(
    store: ResultStore,
    config: Config,
    now: datetime,
    holder: str,
    mailer: Mailer = send_mail,
) -> list[Outcome]:
    """Send the digests of the latest firing that are not sent yet."""
    if config.digest is None:
        return []
    firing = latest_firing(config.digest.schedule, config.digest.timezone, now)
    if firing is None:
        return []
    week_start = firing - WEEK
    done = recorded.sent_owners(store, week_start)
    owners = [o for o in recipients(config) if o.id not in done]
    if not owners:
        return []
    smtp = convert_smtp(config.smtp)
    outcomes = []
    for digest in build_digests(store, config, firing, owners):
        owner = digest.owner.id
        if not recorded.claim(store, owner, week_start, holder, now + HOLD, now):
            continue  # sent, or another scheduler is sending it
        result = deliver(digest, smtp, now, mailer)
        if result.delivered:
            recorded.mark_sent(store, owner, week_start, holder, now)
        else:
            error = one_line(result.error or "not delivered")
            retry_at = None if result.retryable else now + PERMANENT_WAIT
            recorded.mark_failed(store, owner, week_start, holder, error, retry_at)
            log.warning(
                "weekly digest for %s (week to %s) not sent, retried %s: %s",
                owner,
                f"{firing:%Y-%m-%d %H:%M %Z}",
                "on the next pass" if retry_at is None else f"after {retry_at:%Y-%m-%d %H:%M %Z}",
                error,
            )
        outcomes.append(Outcome(owner, firing, result))
    return outcomes


def send_now(
    store: ResultStore,
    config: Config,
    now: datetime,
    only: Sequence[str] | None = None,
    mailer: Mailer = send_mail,
) -> list[Outcome]:
    """`dxq digest`: the digests of the 7 days up to now, sent at once (not recorded: the
    scheduled digest still goes out at its firing)."""
    smtp = convert_smtp(config.smtp)
    return [
        Outcome(digest.owner.id, now, deliver(digest, smtp, now, mailer))
        for digest in previews(store, config, now, only)
    ]


def previews(
    store: ResultStore, config: Config, now: datetime, only: Sequence[str] | None = None
) -> list[Digest]:
    """The digests of the 7 days up to now (`dxq digest --preview`)."""
    return build_digests(store, config, now, recipients(config, only))
