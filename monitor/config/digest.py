"""The monitor file's `digest` section: when the weekly digest e-mail goes to each owner with
an e-mail address (docs/monitor-file.md, Weekly digest). Absent: no digests are sent."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from monitor.config.values import Model, TimeZone, check_cron

DEFAULT_SCHEDULE = "0 8 * * 1"  # Mondays at 08:00


class Digest(Model):
    schedule: Annotated[str, AfterValidator(check_cron)] = DEFAULT_SCHEDULE
    timezone: TimeZone = "UTC"
