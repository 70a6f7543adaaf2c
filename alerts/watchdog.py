"""The alerts dxq raises about itself: missed runs and undeliverable notifications."""

from __future__ import annotations

from datetime import datetime

from alerts.alert import CheckOutcome, Outcome, Severity


def missed_alert(
    integration: str, last_report_at: datetime, due_at: datetime, now: datetime
) -> CheckOutcome:
    """A `missed` outcome for `evaluate`: failed once `now` is past `due_at`, when the next run
    after `last_report_at` should have reported (the caller reads it from the schedule).

    Call it on every scheduler tick and after each run; `last_report_at` is the last finished run
    (or when scheduling started, if none ever finished).
    """
    overdue = (now - due_at).total_seconds()
    metrics = {
        "last_report_at": last_report_at.isoformat(),
        "due_at": due_at.isoformat(),
        "overdue_s": max(overdue, 0.0),
    }
    return CheckOutcome(
        check="schedule",
        check_kind="missed",
        outcome=Outcome.FAILED if overdue > 0 else Outcome.PASSED,
        severity=Severity.ERROR,
        metrics=metrics,
        reason=f"{integration} has not reported since {last_report_at:%Y-%m-%d %H:%M} UTC"
        if overdue > 0
        else None,
    )


def dead_letter(receiver: str, channel: str, error: str) -> CheckOutcome:
    """A `dead_letter` outcome for `evaluate`: a notification that could not be delivered."""
    return CheckOutcome(
        check=f"delivery to {receiver} by {channel}",
        check_kind="dead_letter",
        outcome=Outcome.FAILED,
        severity=Severity.ERROR,
        metrics={"receiver": receiver, "channel": channel},
        reason=error,
    )


def delivered(receiver: str, channel: str) -> CheckOutcome:
    """A passed `dead_letter` outcome: a send to `receiver` by `channel` succeeded again."""
    return CheckOutcome(
        check=f"delivery to {receiver} by {channel}",
        check_kind="dead_letter",
        outcome=Outcome.PASSED,
        severity=Severity.ERROR,
        metrics={"receiver": receiver, "channel": channel},
    )
