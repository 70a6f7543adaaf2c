"""Silences: a matcher set with a time window, an author and a reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from alerts.errors import InvalidSilence
from alerts.matcher import Matcher, describe, match_all


@dataclass(frozen=True)
class Silence:
    """Stops reminders and escalation of matching alerts between `starts_at` and `ends_at`."""

    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str
    id: int | str | None = None
    expired_at: datetime | None = None  # ended early by someone; `ends_at` keeps the plan

    def __post_init__(self) -> None:
        if not self.matchers:
            raise InvalidSilence("a silence needs at least one matcher")
        if not self.author.strip():
            raise InvalidSilence("a silence needs an author")
        if not self.comment.strip():
            raise InvalidSilence("a silence needs a comment saying why")
        if self.ends_at <= self.starts_at:
            raise InvalidSilence("a silence must end after it starts")

    def is_active(self, now: datetime) -> bool:
        """Whether the window covers `now` (start inclusive; it ends at `ends_at`, or earlier
        when it was expired)."""
        end = self.ends_at if self.expired_at is None else min(self.ends_at, self.expired_at)
        return self.starts_at <= now < end

    def covers(self, labels: Mapping[str, str], now: datetime) -> bool:
        """Active now and every matcher holds."""
        return self.is_active(now) and match_all(self.matchers, labels)

    def __str__(self) -> str:
        return f"silence {self.id or ''} ({describe(self.matchers)}) by {self.author}".replace(
            "silence  (", "silence ("
        )


def silencing(
    labels: Mapping[str, str], silences: Iterable[Silence], now: datetime
) -> Silence | None:
    """The first active silence that covers these labels, if any."""
    return next((s for s in silences if s.covers(labels, now)), None)
