"""A cron schedule in words for people ("every 30 minutes", "weekdays at 09:00"); the
schedules a monitor file usually has, and the cron text itself for anything else."""

from __future__ import annotations

DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DAY_SETS = {"1-5": "weekdays", "mon-fri": "weekdays", "0,6": "weekends", "6,0": "weekends"}
_DAY_SETS |= {"6-7": "weekends", "sat,sun": "weekends", "sun,sat": "weekends"}
_NAMES = {name[:3].lower(): i for i, name in enumerate(DAYS)}


def schedule_words(cron: str | None) -> str:
    """`*/30 * * * *` -> "every 30 minutes"; `0 9 * * 1-5` -> "weekdays at 09:00";
    None -> "on demand only". Five-field cron; anything unusual reads "cron `…`"."""
    if not cron:
        return "on demand only"
    fields = cron.split()
    if len(fields) != 5:
        return f"cron “{cron}”"
    minute, hour, dom, month, dow = fields
    if month != "*" or (dom != "*" and dow != "*"):
        return f"cron “{cron}”"
    if hour == "*" and dom == "*" and dow == "*":
        if minute == "*":
            return "every minute"
        if minute.startswith("*/") and minute[2:].isdigit():
            return _every(int(minute[2:]), "minute")
        if minute.isdigit():
            return "every hour" if minute == "0" else f"every hour at :{int(minute):02d}"
        return f"cron “{cron}”"
    if not minute.isdigit():
        return f"cron “{cron}”"
    if hour.startswith("*/") and hour[2:].isdigit() and dom == "*" and dow == "*":
        past = f" at :{int(minute):02d}" if minute != "0" else ""
        return _every(int(hour[2:]), "hour") + past
    hours = hour.split(",")
    if not all(h.isdigit() for h in hours):
        return f"cron “{cron}”"
    times = " and ".join(f"{int(h):02d}:{int(minute):02d}" for h in hours)
    if dom != "*":
        if not dom.isdigit():
            return f"cron “{cron}”"
        return f"on day {int(dom)} of every month at {times}"
    if dow == "*":
        return f"every day at {times}"
    days = _days(dow.lower())
    return f"{days} at {times}" if days else f"cron “{cron}”"


def _every(n: int, unit: str) -> str:
    return f"every {unit}" if n == 1 else f"every {n} {unit}s"


def _days(dow: str) -> str | None:
    if dow in _DAY_SETS:
        return _DAY_SETS[dow]
    names: list[str] = []
    for part in dow.split(","):
        index = int(part) if part.isdigit() else _NAMES.get(part[:3])
        if index is None or not 0 <= index <= 7:
            return None
        names.append(DAYS[index % 7] + "s")
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
