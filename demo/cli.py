"""``python -m demo``: generate, back up, restore, bill, serve and import on the demo platform.

Exit codes: 0 success; 1 the command ran but found a problem (an import with bad
lines, a failed bill-run request, ``service status`` when stopped); 2 usage or
configuration error (bad arguments, bad URL, unknown release, a backup whose
digest does not match, a CSV with a wrong header); 3 environment error (database
unreachable, ``pg_dump`` missing, the billing service not running). Every error
is one line on stderr; database URLs are printed without their password.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy.exc import OperationalError

from demo import service
from demo.backup import BackupEnvironmentError, BackupError, backup, restore
from demo.calendar import DEFAULT_AS_OF, DEFAULT_RUN_DATE
from demo.db import safe_url
from demo.imports import ImportFileError, import_accounts, import_usage
from demo.paths import (
    BadDatabaseUrl,
    DatabaseUnavailable,
    backups_dir,
    default_db_url,
    open_database,
    scrub,
)
from demo.releases import DEFAULT_RELEASE, RELEASES, UnknownRelease, get_release


class UsageProblem(Exception):
    """A usage or configuration error found after argument parsing (exit code 2)."""


class EnvironmentProblem(Exception):
    """Something the command needs is missing from this machine (exit code 3)."""


USAGE_ERRORS = (UsageProblem, BadDatabaseUrl, UnknownRelease, BackupError, ImportFileError)
ENV_ERRORS = (EnvironmentProblem, DatabaseUnavailable, BackupEnvironmentError,
              service.ServiceError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except USAGE_ERRORS as exc:
        return _fail(str(exc), 2)
    except ENV_ERRORS as exc:
        return _fail(str(exc), 3)
    except OperationalError as exc:  # e.g. the server went away half-way
        db = getattr(args, "db", "")
        return _fail(f"database error on {safe_url(db)}: {scrub(str(exc.orig or exc), db)}", 3)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


# --- argument parsing -----------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port (0-65535, 0 = any free port): {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", default=default_db_url(), metavar="URL",
                    help="database URL or SQLite path (default: $DEMO_DB or demo/var/demo.db)")
    rel = argparse.ArgumentParser(add_help=False)
    rel.add_argument("--release", metavar="R",
                     help=f"demo release (default: $DEMO_RELEASE or {DEFAULT_RELEASE})")

    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", parents=[db], help="generate a production-like database")
    p.add_argument("--accounts", type=_positive(int), default=500, metavar="N")
    p.add_argument("--seed", type=int, default=42, metavar="S")
    p.add_argument("--as-of", type=_date, default=DEFAULT_AS_OF, metavar="DATE")
    p.set_defaults(handler=cmd_generate)

    p = sub.add_parser("backup", parents=[db], help="write the pre-bill-run backup + manifest")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="directory (default: the state directory's backups/)")
    p.add_argument("--no-bill-run", dest="bill_run", action="store_false",
                   help="do not run production's scheduled bill run after the backup")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", parents=[db], help="restore a backup after checking its digest")
    p.add_argument("--from", dest="source", type=Path, required=True,
                   metavar="MANIFEST_OR_FILE", help="manifest, backup file, or backups directory")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("billrun", parents=[db, rel], help="upgrade to the release, run a bill run")
    p.add_argument("--date", type=_date, default=DEFAULT_RUN_DATE, metavar="D")
    p.add_argument("--via-service", action="store_true",
                   help="ask the running billing service and wait for it")
    p.add_argument("--timeout", type=_positive(float), default=600.0, metavar="SECONDS")
    p.set_defaults(handler=cmd_billrun)

    p = sub.add_parser("service", parents=[db, rel], help="the billing service")
    p.add_argument("action", choices=("start", "stop", "status", "run"))
    p.add_argument("--poll", type=_positive(float), default=2.0, metavar="SECONDS")
    p.add_argument("--timeout", type=_positive(float), default=None, metavar="SECONDS")
    p.set_defaults(handler=cmd_service)

    p = sub.add_parser("serve", parents=[db, rel], help="run the portals and the payment gateway")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000, metavar="P")
    p.add_argument("--gateway-port", type=_port, default=8001, metavar="G")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("releases", help="list the demo releases")
    p.set_defaults(handler=cmd_releases)

    p = sub.add_parser("import", parents=[db], help="import a CSV file")
    p.add_argument("kind", choices=("usage", "accounts"))
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_import)
    return parser


# --- commands -----------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    try:
        from demo.generate import generate
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("demo"):
            raise
        raise EnvironmentProblem(f"the data generator is not available: {exc}") from None
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total or None)
            progress.update(tasks[stage], completed=done, total=total or None)

        try:
            result = generate(args.db, args.accounts, args.seed, as_of=args.as_of,
                              progress=on_progress)
        except ValueError as exc:  # the generator's documented "bad arguments"
            raise UsageProblem(str(exc)) from None
    print(f"generated {args.accounts} accounts (seed {args.seed}, as of {args.as_of}) "
          f"into {safe_url(args.db)}")
    _print_fields(result)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    manifest = backup(args.db, args.out or backups_dir(), scheduled_bill_run=args.bill_run)
    print(f"backed up {safe_url(args.db)} ({manifest.engine}, release {manifest.release}, "
          f"seed {manifest.seed}, as of {manifest.as_of})")
    print(f"  file:     {manifest.backup_path} ({manifest.size} bytes)")
    print(f"  sha256:   {manifest.sha256}")
    print(f"  manifest: {manifest.path}")
    print(f"  accounts: {manifest.row_counts.get('accounts', 0)}")
    billed = manifest.then_billed
    if billed is not None:
        print(f"then production's scheduled bill run for {billed.run_date} on release "
              f"{billed.release}: bill run #{billed.bill_run_id}, {billed.invoices} invoices, "
              f"total {billed.total}, {billed.errors} errors")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    restore(args.source, args.db)
    print(f"restored {args.source} into {safe_url(args.db)} (digest and row counts verified)")
    return 0


def cmd_billrun(args: argparse.Namespace) -> int:
    if args.via_service:
        return _billrun_via_service(args)
    release = get_release(args.release)
    engine = open_database(args.db)
    from demo.billing import run_bill_run
    from demo.billing.settings import BillingConfigError
    from demo.upgrade import upgrade

    try:
        for change in upgrade(engine, release):
            print(f"upgrade {release.name}: {change}")
        result = run_bill_run(engine, args.date, release)
    except BillingConfigError as exc:
        raise UsageProblem(str(exc)) from None
    finally:
        engine.dispose()
    print(f"bill run for {args.date} on release {release.name} ({safe_url(args.db)}):")
    _print_fields(result)
    return 0


def _billrun_via_service(args: argparse.Namespace) -> int:
    current = service.status(args.db)
    if current.info is not None and args.release and args.release != current.info.release:
        raise UsageProblem(
            f"the billing service runs release {current.info.release}, not {args.release}; "
            f"restart it with: python -m demo service start --release {args.release}"
        )
    outcome = service.request_bill_run(args.db, args.date, timeout=args.timeout)
    print(f"bill-run request #{outcome.request_id} for {args.date}: {outcome.status} "
          f"(bill run #{outcome.bill_run_id}) {outcome.message}")
    return 0 if outcome.status == "done" else 1


def cmd_service(args: argparse.Namespace) -> int:
    url = args.db
    if args.action == "status":
        return _print_status(service.status(url))
    if args.action == "stop":
        outcome = service.stop(url, timeout=args.timeout or 120.0)
        if outcome.was_running:
            print(f"billing service stopped (pid {outcome.pid}) for {safe_url(url)}")
        elif outcome.stale:
            print(f"billing service was not running (removed stale pidfile of pid {outcome.pid})")
        else:
            print(f"billing service was not running for {safe_url(url)}")
        return 0
    release = get_release(args.release)
    open_database(url).dispose()  # fail here, with a clear message, not in the background
    if args.action == "run":
        return service.run(url, release, poll=args.poll)
    before = service.status(url)
    current = service.start(url, release, poll=args.poll, timeout=args.timeout or 60.0)
    return _print_status(current, "already running" if before.running else "running")


def _print_status(current: service.ServiceStatus, running: str = "running") -> int:
    if current.running and current.info is not None:
        info = current.info
        print(f"{running}: pid {info.pid} since {info.since}, release {info.release}, "
              f"db {current.db}, log {current.log}")
        return 0
    note = f" (removed stale pidfile of pid {current.stale_pid})" if current.stale_pid else ""
    print(f"stopped: db {current.db}{note}")
    return 1


def cmd_serve(args: argparse.Namespace) -> int:
    release = get_release(args.release)
    engine = open_database(args.db)
    from demo.gateway import GatewayServer
    from demo.upgrade import upgrade
    from demo.web import PortalServer

    for change in upgrade(engine, release):
        print(f"upgrade {release.name}: {change}")
    done = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        with PortalServer(engine, release, host=args.host, port=args.port) as portal, \
                GatewayServer(host=args.host, port=args.gateway_port) as gateway:
            base = portal.url.rstrip("/")
            print(f"release {release.name} on {safe_url(args.db)}")
            print(f"admin portal:    {base}/admin/")
            print(f"customer portal: {base}/portal/")
            print(f"payment gateway: {gateway.url}")
            print("press Ctrl-C to stop", flush=True)
            while not done.wait(0.5):
                pass
    except OSError as exc:
        raise EnvironmentProblem(f"cannot serve on {args.host}: {exc.strerror or exc}") from None
    finally:
        engine.dispose()
    print("stopped")
    return 0


def cmd_releases(_args: argparse.Namespace) -> int:
    try:
        default = get_release().name
    except UnknownRelease:
        default = DEFAULT_RELEASE
    width = max(len(name) for name in RELEASES)
    for name, release in RELEASES.items():
        mark = "*" if name == default else " "
        print(f"{mark} {name:<{width}}  {release.summary}")
    print("* = default (choose with --release or $DEMO_RELEASE)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    engine = open_database(args.db)
    try:
        run = import_usage if args.kind == "usage" else import_accounts
        result = run(engine, args.file)
    finally:
        engine.dispose()
    print(f"import {result.kind} {args.file}: {result.rows_ok} ok, {result.rows_failed} failed "
          f"(batch #{result.batch_id})")
    for error in result.errors:
        print(f"  line {error.line}: {error.error}")
    return 1 if result.rows_failed else 0


def _print_fields(result: object) -> None:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for f in dataclasses.fields(result):
            print(f"  {f.name}: {getattr(result, f.name)}")
    elif isinstance(result, dict):
        for key, value in result.items():
            print(f"  {key}: {value}")
    elif result is not None:
        print(f"  {result}")
