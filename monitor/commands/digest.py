"""`dxq digest -c FILE [--owner ID] [--preview]`: send the weekly digest of the 7 days up to
now to each owner with an e-mail address and an integration (or to one owner), or print its
plain text without sending. The scheduled digests (`digest.schedule`) are not affected."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from datasources.printable import one_line

if TYPE_CHECKING:  # the digest modules read the store with pandas: loaded when a digest is made
    from monitor.config.model import Config
    from store.store import ResultStore  # and the store (SQLAlchemy) only by this command

USAGE_ERROR = 2
NOBODY = "dxq digest: no owner with an e-mail address owns an integration"


def declare_digest(sub: Any, command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The `dxq digest` command and its options."""
    p = command("digest", "send the weekly digest e-mail now, or print it with --preview")
    p.add_argument("--owner", metavar="ID", help="only this owner (default: every owner)")
    p.add_argument("--preview", action="store_true", help="print the digest instead of sending")
    p.set_defaults(command=_digest)


def _digest(args: argparse.Namespace) -> int:
    from monitor.cli import _load  # the one loader of the monitor file

    return digest_command(_load(args), args.owner, preview=args.preview)


def digest_command(
    config: Config,
    owner: str | None = None,
    *,
    preview: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """0 when every digest was sent (or printed), 1 when one failed or none was due, 2 for an
    unknown owner."""
    out, err = out or sys.stdout, err or sys.stderr
    if owner is not None and owner not in config.owners:
        known = ", ".join(config.owners) or "none"
        print(f"dxq: unknown owner {owner!r}; owners: {known}", file=err)
        return USAGE_ERROR
    from monitor.daemon.digests import send_now
    from store.store import ResultStore

    only = None if owner is None else [owner]
    moment = now or datetime.now(UTC)
    store = ResultStore.open(config.store)
    try:
        if preview:
            return _preview(store, config, moment, only, out, err)
        outcomes = send_now(store, config, moment, only)
    finally:
        store.dispose()
    for outcome in outcomes:
        result = outcome.result
        verdict = "sent" if result.delivered else f"FAILED: {result.error}"
        print(f"{outcome.owner}: {one_line(verdict)}", file=out)
    if not outcomes:
        print(NOBODY, file=err)
        return 1
    return 0 if all(o.result.delivered for o in outcomes) else 1


def _preview(
    store: ResultStore,
    config: Config,
    now: datetime,
    only: list[str] | None,
    out: TextIO,
    err: TextIO,
) -> int:
    from monitor.daemon.digests import previews
    from monitor.digest_mail import plain_text

    found = previews(store, config, now, only)
    for digest in found:
        print(f"To: {', '.join(digest.owner.emails)}", file=out)
        print(f"Subject: {digest.subject}\n", file=out)
        print(plain_text(digest), file=out)
    if not found:
        print(NOBODY, file=err)
        return 1
    return 0
