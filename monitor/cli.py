"""The `dxq` command. Imports stay light here: GX, Streamlit and pandas load only in the
commands that need them, so `dxq --help` and `dxq validate` start fast."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from datasources.credentials import mask_credentials
from monitor import garbage
from monitor.commands.metrics_options import add_metrics_options, metrics_endpoint
from monitor.errors import ConfigError, MonitorError
from store.errors import StoreError

if TYPE_CHECKING:
    from monitor.run.alert_context import AlertContext
    from store.store import ResultStore

USAGE_ERROR = 2
CANNOT_EVALUATE = 3


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # dxq's own process: no collector passes while it starts (monitor/garbage)
        garbage.hold()
        # dxq uses no pydantic plugin; looking for one reads every installed distribution's
        # metadata (5-15 ms of each start). Set PYDANTIC_DISABLE_PLUGINS= (empty) to load them.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = _command(argv)
    if argv is None:  # dxq's own process, which ends now
        # The interpreter's last garbage collection would visit every object the imports and
        # the command made (about 0.15 s of CPU after a `dxq run`) only for the process to
        # end; frozen, they are left out of it. Not in-process callers (tests): they go on.
        gc.freeze()
    return code


def _command(argv: Sequence[str] | None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(given[0] if given else None)
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return USAGE_ERROR
    if args.command not in (_run, _validate):  # those end soon; a run releases it for its checks
        garbage.release()
    try:
        code: int = args.command(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(f"dxq: {n} problem{'s' if n != 1 else ''}; nothing was run", file=sys.stderr)
        return USAGE_ERROR
    except MonitorError as exc:
        print(f"dxq: {mask_credentials(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    except StoreError as exc:
        print(f"dxq: results database: {mask_credentials(str(exc))}", file=sys.stderr)
        return CANNOT_EVALUATE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one clear line, the traceback only on request
        if os.environ.get("DXQ_DEBUG"):
            raise
        print(
            f"dxq: internal error: {type(exc).__name__}: {mask_credentials(str(exc))} "
            "(set DXQ_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return CANNOT_EVALUATE
    return code


def _parser(first: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; for a command line whose first word is `validate` or
    `run` (declared first), of those alone: each subparser costs start-up time (argparse
    builds a help formatter per argument, about 5 ms for all of them), and the others are
    never consulted then. Help and errors read the same."""
    parser = argparse.ArgumentParser(
        prog="dxq",
        description="Data-exchange quality monitor: checks the data your systems exchange.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show program's version number and exit"
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument(
            "-c",
            "--config",
            metavar="FILE",
            help="monitor file (default: $DXQ_CONFIG or ./dxq.yml)",
        )
        return p

    p = command("validate", "check the monitor file and every suite it names")
    p.set_defaults(command=_validate)

    p = command("run", "run integrations now, store the results and print a summary")
    p.add_argument("integrations", nargs="*", metavar="INTEGRATION")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument(
        "--queue",
        action="store_true",
        help="ask the running `dxq schedule` to run them instead of running here",
    )
    p.set_defaults(command=_run)
    if first in ("validate", "run"):
        return parser

    p = command(
        "schedule",
        "the daemon: cron schedules, run-now requests, alert delivery, "
        "escalation, missed-run detection",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="integrations run at the same time (default 2)",
    )
    p.add_argument(
        "--grace",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="on SIGTERM, how long running runs may finish (default 10)",
    )
    p.add_argument(
        "--cron-seconds",
        action="store_true",
        help="tests and demos: read each schedule's minute field as seconds",
    )
    add_metrics_options(p)
    p.set_defaults(command=_schedule)

    p = command("dashboard", "start the Streamlit dashboard")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")
    p.set_defaults(command=_dashboard)

    p = command("api", "serve the HTTP API (JSON; bearer tokens from the monitor file)")
    p.add_argument("--host", default="127.0.0.1", help="where to listen (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(command=_api)

    p = sub.add_parser("demo", help="build the e-commerce demo and its history, then serve it")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--no-serve", action="store_true", help="build the demo and exit")
    p.add_argument("--days", type=int, default=30)
    p.add_argument(
        "--store",
        metavar="URL",
        help="an empty results database for the demo (default: its own .dxq/results.db)",
    )
    p.set_defaults(command=_demo)

    p = command("alerts", "who receives alerts, and test notifications")
    alerts = p.add_subparsers(metavar="ACTION")
    route = alerts.add_parser("route", help="print which owners an alert with these labels reaches")
    route.add_argument("-c", "--config", metavar="FILE", default=argparse.SUPPRESS)
    route.add_argument("labels", nargs="+", metavar="KEY=VALUE")
    route.set_defaults(command=_alerts_route)
    test = alerts.add_parser("test", help="send a test notification to every channel of OWNER")
    test.add_argument("-c", "--config", metavar="FILE", default=argparse.SUPPRESS)
    test.add_argument("owner", metavar="OWNER")
    test.set_defaults(command=_alerts_test)

    from monitor.commands.digest import declare_digest

    declare_digest(sub, command)
    from monitor.commands.anomalies import declare_anomalies

    declare_anomalies(sub)
    from monitor.commands.executor import declare_executor_commands

    declare_executor_commands(sub, _load)

    p = sub.add_parser("db", help="the results database")
    db = p.add_subparsers(metavar="ACTION")
    up = db.add_parser("upgrade", help="bring the results database to the current schema")
    up.add_argument("-c", "--config", metavar="FILE")
    up.add_argument("--url", help="results database URL (default: the monitor file's store)")
    up.set_defaults(command=_db_upgrade)
    return parser


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from monitor.config.loading import load_config, resolve_config_path

    path = resolve_config_path(args.config, os.environ)
    return load_config(path, os.environ)


def _validate(args: argparse.Namespace) -> int:
    from monitor.commands.alerts import reach_warnings

    config = _load(args)
    for warning in reach_warnings(config):
        print(f"dxq: {warning}", file=sys.stderr)
    n = len(config.integrations)
    print(f"ok: {n} integration{'s' if n != 1 else ''}, {len(config.systems)} systems")
    return 0


def _run(args: argparse.Namespace) -> int:
    from datasources.connection import forget_engine
    from monitor.run.alert_context import alert_context
    from monitor.run.plan import plan_integrations
    from monitor.run.report import AlertTally, exit_code, render_json, render_table
    from monitor.run.retry import sql_systems
    from monitor.run.runner import run_and_record
    from store.alert_state import alert_changes
    from store.store import ResultStore

    config = _load(args)
    plans = plan_integrations(config, args.integrations)
    if args.queue:
        from monitor.commands.schedule import queue_runs

        return queue_runs(config, [plan.name for plan in plans])
    store = ResultStore.open(config.store)
    started = _utcnow()
    alerting = alert_context(config)
    try:
        runs = run_and_record(plans, store, trigger="manual", clock=_utcnow, alerting=alerting)
        sent, waiting = _deliver_due(store, alerting)
        with store.reading() as connection:
            integrations = [run.integration for run in runs]
            opened, resolved = alert_changes(connection, integrations, started)
    finally:  # connections closed the polite way (MariaDB counted the run's as aborted)
        store.dispose()
        for system in {s.name: s for plan in plans for s in sql_systems(plan)}.values():
            forget_engine(system)
    tally = AlertTally(opened, resolved, sent, waiting)
    summary = render_json(runs, started, tally) if args.format == "json" else None
    print(summary or render_table(runs, tally), flush=True)
    if waiting:
        print(
            f"dxq: {waiting} alert notification(s) not delivered yet; see the dashboard's "
            "alerts page (`dxq schedule` retries them)",
            file=sys.stderr,
        )
    return exit_code(runs)


def _deliver_due(store: ResultStore, alerting: AlertContext) -> tuple[int, int]:
    """Deliver what is due (monitor.daemon.dispatcher.deliver_due): how many notifications
    were sent, and how many still wait. The dispatcher loads only when something is due
    (about 4 ms of a run's start-up, and most runs send nothing); a store that cannot say
    is the dispatcher's to report."""
    from store.outbox import any_due

    try:
        with store.reading() as connection:
            if not any_due(connection, _utcnow()):
                return 0, 0
    except StoreError:
        pass
    from monitor.daemon.dispatcher import deliver_due

    delivery = deliver_due(store, alerting, clock=_utcnow)
    return delivery.count("sent"), delivery.count("retry") + delivery.count("dead")


def _alerts_route(args: argparse.Namespace) -> int:
    from monitor.commands.alerts import route_command

    return route_command(_load(args), args.labels)


def _alerts_test(args: argparse.Namespace) -> int:
    from monitor.commands.alerts import test_command

    return test_command(_load(args), args.owner)


def _schedule(args: argparse.Namespace) -> int:
    from monitor.commands.schedule import schedule
    from monitor.daemon.scheduler import Options

    path = _config_path(args)
    options = Options(
        Path(path), workers=args.workers, grace=args.grace, cron_seconds=args.cron_seconds
    )
    metrics = metrics_endpoint(args)
    return schedule(options, os.environ, metrics=metrics)


def _dashboard(args: argparse.Namespace) -> int:
    from monitor.commands.serving import serve_dashboard

    config_path = _config_path(args)
    from monitor.access import is_loopback

    if not is_loopback(args.address) and not _sign_in_configured(Path.cwd()):
        print(
            f"dxq: refusing to serve the dashboard on {args.address}: without sign-in it is a "
            "single-user tool on localhost. Configure [auth] (OIDC) in .streamlit/secrets.toml "
            "to share it, or leave --address at 127.0.0.1.",
            file=sys.stderr,
        )
        return USAGE_ERROR
    return serve_dashboard(config_path, port=args.port, address=args.address)


class _VersionAction(argparse.Action):
    """`--version`: the installed version is looked up only when asked for (reading package
    metadata costs every other command start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help=str(kwargs.get("help")))

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"dxq {_version()}")
        parser.exit()


def _version() -> str:
    """The installed package's version (a clone not installed says so)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dxq")
    except PackageNotFoundError:
        return "(not installed: run `pip install -e .`)"


def _api(args: argparse.Namespace) -> int:
    from monitor.commands.api import serve_api

    return serve_api(_config_path(args), os.environ, host=args.host, port=args.port)


def _sign_in_configured(work_dir: Path) -> bool:
    """Whether a secrets.toml Streamlit reads (the user's, or the one under the working
    directory the dashboard is started in) has an [auth] table."""
    import tomllib

    for secrets in (
        Path.home() / ".streamlit" / "secrets.toml",
        work_dir / ".streamlit" / "secrets.toml",
    ):
        try:
            if "auth" in tomllib.loads(secrets.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def _demo(args: argparse.Namespace) -> int:
    from demo.command import run_demo

    return run_demo(days=args.days, port=args.port, serve=not args.no_serve, store_url=args.store)


def _db_upgrade(args: argparse.Namespace) -> int:
    from store.store import ResultStore

    url = args.url or _load(args).store
    store = ResultStore.open(url)
    store.upgrade()
    print("results database is at the current schema")
    return 0


def _config_path(args: argparse.Namespace) -> str:
    from monitor.config.loading import resolve_config_path

    return str(resolve_config_path(args.config, os.environ))


def _utcnow() -> datetime:
    return datetime.now(UTC)


if __name__ == "__main__":
    raise SystemExit(main())
