"""``silverctl ENVIRONMENT COMMAND``: the platform's operations, one release per environment.

The wrapper script picks the environment's virtualenv and settings; this module runs the
command. Exit codes: 0 done, 1 the platform failed (a bill run crashed, facts differ),
2 usage or refused (bad date, wrong environment, backup mismatch), 3 environment (no database,
tool missing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from silverplatform import RELEASES, dates
from silverplatform.dsn import Database, DsnError, from_environment, parse
from silverplatform.errors import PlatformFailed, Refused, Unavailable

ENVIRONMENT = os.environ.get("SILVERPLATFORM_ENV", "")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _django(db: Database, create: bool = False) -> None:
    """Django set up on ``db`` (an SQLite file must exist unless the command creates it)."""
    if db.engine == "sqlite" and not create and not db.path.is_file():
        raise Unavailable(f"no SQLite database at {db.path}")
    os.environ["SILVERPLATFORM_DB"] = _url(db) if db.engine == "postgresql" else db.name
    import django

    django.setup()


def _url(db: Database) -> str:
    from urllib.parse import quote, urlencode

    auth = quote(db.user) + (":" + quote(db.password) if db.password else "")
    query = {**db.options, **({"host": db.host} if db.host.startswith("/") else {}),
             **({"port": db.port} if db.port else {})}
    host = "" if db.host.startswith("/") else db.host
    return f"postgresql://{auth + '@' if auth else ''}{host}/{quote(db.name)}" + (
        "?" + urlencode(query) if query else "")


def _say(message: str) -> None:
    print(f"silverctl {ENVIRONMENT}: {message}", flush=True)


def _only(*allowed: str) -> None:
    if ENVIRONMENT not in allowed:
        raise Refused(f"this command is for {' or '.join(allowed)} only, not {ENVIRONMENT}")


# --- commands ---------------------------------------------------------------------------------
def cmd_bill_date(args: argparse.Namespace) -> int:
    print(dates.default_bill_date(dt.date.today()).isoformat())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    db = from_environment(args.db)
    _django(db)
    from django.core.management import call_command

    from silverplatform.billrun import pending_migrations

    pending = pending_migrations()
    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    _say(f"{db.safe()} migrated to django-silver {RELEASES[ENVIRONMENT]}: {len(pending)} "
         f"migrations applied in {time.perf_counter() - t0:.1f} s"
         + (f" ({', '.join(pending[:6])}{' …' if len(pending) > 6 else ''})" if pending else ""))
    return 0


def _empty_database(db: Database, replace: bool) -> None:
    if db.engine == "sqlite":
        if db.path.exists():
            if not replace:
                raise Refused(f"{db.path} exists: generate writes a new database "
                              "(pass --replace to delete it first)")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(db.path) + suffix).unlink(missing_ok=True)
        db.path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg2

    conn = psycopg2.connect(db.libpq())
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")
        if cur.fetchone()[0]:
            if not replace:
                raise Refused(f"{db.safe()} has tables: generate writes a new database "
                              "(pass --replace to drop its public schema first)")
            cur.execute("DROP SCHEMA public CASCADE")
            cur.execute("CREATE SCHEMA public")
    finally:
        conn.close()


def cmd_generate(args: argparse.Namespace) -> int:
    _only("production")
    db = from_environment(args.db)
    day = args.bill_date or dates.default_bill_date(dt.date.today())
    problem = dates.check_bill_date(day, dt.date.today())
    if problem:
        raise Refused(problem)
    _empty_database(db, args.replace)
    _django(db, create=True)
    from django.core.management import call_command

    from silverplatform.generate import Options, generate

    t0 = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter() - t0
    _say(f"generating {args.customers} customers (seed {args.seed}) for the bill run of {day} "
         f"into {db.safe()} …")
    result = generate(Options(customers=args.customers, seed=args.seed, bill_date=day))
    result.seconds = {"migrate": round(migrated, 2), **result.seconds}
    total = time.perf_counter() - t0
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    _say(f"generated in {total:.1f} s ({steps})")
    _say("rows: " + ", ".join(f"{k} {v}" for k, v in result.rows.items()))
    info = {"customers": args.customers, "seed": args.seed, "bill_date": day.isoformat(),
            "previous_bill_date": dates.previous(day).isoformat(),
            "cutover": dates.cutover(day).isoformat(), "release": RELEASES["production"],
            "environment": "production", "seconds": round(total, 2), "rows": result.rows}
    if args.info:
        Path(args.info).write_text(json.dumps(info, indent=2) + "\n")
    return 0


def _bill_date_of(db: Database) -> dt.date:
    """The bill run a pre-bill-run database is for: the month after its last bill run."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT MAX(billing_date) FROM silver_billinglog")
        last = cur.fetchone()[0]
    if last is None:
        raise Refused(f"{db.safe()} has no bill run yet: not a generated production database")
    last = last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last)[:10])
    return dates.months_before(last.replace(day=1), -1)


def cmd_backup(args: argparse.Namespace) -> int:
    _only("production")
    db = from_environment(args.db)
    _django(db)
    from silverplatform import backup

    day = args.bill_date or _bill_date_of(db)
    with_day = _already_billed(day)
    if with_day:
        raise Refused(f"{db.safe()} already has {with_day} billing logs for {day}: "
                      "the backup must be taken before production's bill run")
    t0 = time.perf_counter()
    info = {"release": RELEASES["production"], "environment": "production",
            "bill_date": day.isoformat(), "seed": args.seed}
    if args.info and Path(args.info).is_file():
        info.update(json.loads(Path(args.info).read_text()))
    manifest = backup.take(db, Path(args.out), info)
    _say(f"pre-bill-run backup of {db.safe()} for {day}: {Path(args.out) / manifest['file']} "
         f"({manifest['size']} bytes, sha256 {manifest['sha256'][:16]}…) in "
         f"{time.perf_counter() - t0:.1f} s")
    return 0


def _already_billed(day: dt.date) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM silver_billinglog WHERE billing_date = %s", [day])
        return int(cur.fetchone()[0])


def cmd_restore(args: argparse.Namespace) -> int:
    _only("staging")
    db = from_environment(args.db)
    from silverplatform import backup

    t0 = time.perf_counter()
    manifest = backup.restore(Path(args.backup), db)
    _say(f"restored {manifest['file']} (bill run {manifest.get('bill_date')}, "
         f"{sum(manifest['row_counts'].values())} rows) into {db.safe()} in "
         f"{time.perf_counter() - t0:.1f} s")
    if args.no_migrate:
        return 0
    return cmd_migrate(args)


def cmd_billrun(args: argparse.Namespace) -> int:
    day = args.date or args.date_option
    if day is None:
        raise Refused("give the bill-run date: billrun YYYY-MM-DD")
    db = from_environment(args.db)
    _django(db)
    from silverplatform.billrun import bill_run

    _say(f"bill run (generate_docs --date {day}) on {db.safe()} with django-silver "
         f"{RELEASES[ENVIRONMENT]} …")
    result = bill_run(db, day)
    docs = sum(d["count"] for d in result["documents"])
    _say(f"bill run {day} done in {result['seconds']:.1f} s: {result['billing_logs']} "
         f"subscriptions billed for {result['customers']} customers, {docs} documents")
    for d in result["documents"]:
        _say(f"  {d['count']:6d} {d['kind']:8s} {d['state']:7s} {d['currency']} {d['total']}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    db = from_environment(args.db)
    _django(db)
    from django.db import connection

    from silverplatform.billrun import pending_migrations, running

    pending = pending_migrations()
    print(f"release: django-silver {RELEASES[ENVIRONMENT]} ({ENVIRONMENT})")
    print(f"database: {db.safe()}")
    print(f"migrations: {'all applied' if not pending else f'{len(pending)} not applied'}")
    if not pending or "silver.0001_initial" not in pending:
        with connection.cursor() as cur:
            cur.execute("SELECT billing_date, COUNT(*), COUNT(invoice_id) + COUNT(proforma_id) "
                        "FROM silver_billinglog GROUP BY billing_date ORDER BY billing_date")
            for day, logs, docs in cur.fetchall():
                print(f"bill run {day}: {logs} billing logs, {docs} document links")
    busy = running(db)
    print(f"running (pid {busy['pid']}, bill run {busy['date']})" if busy else "stopped")
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    from silverplatform import facts

    db = from_environment(args.db)
    data = facts.collect(db, args.date)
    text = json.dumps(data, indent=1, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from silverplatform import facts

    left = facts.collect(parse(args.production), args.date)
    right = facts.collect(parse(args.staging), args.date)
    report = facts.compare(left, right)
    print(facts.render(report, "production", "staging"))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    return 1 if report["differences"] else 0


# --- parser -------------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"silverctl {ENVIRONMENT}".strip(),
                                description="django-silver operations for golive's example")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, run: Callable[[argparse.Namespace], int], helptext: str,
            db: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=helptext, description=helptext)
        sp.set_defaults(run=run)
        if db:
            sp.add_argument("--db", help="SQLite path or DSN (default: $GOLIVE_DSN, "
                                         "then $SILVER_DSN)")
        return sp

    add("bill-date", cmd_bill_date, "print the default bill-run date", db=False)
    g = add("generate", cmd_generate, "production: a new pre-bill-run database")
    g.add_argument("--customers", type=int, default=2000)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--bill-date", type=_date, default=None)
    g.add_argument("--replace", action="store_true", help="delete an existing database first")
    g.add_argument("--info", help="write what was generated (JSON) to this file")
    b = add("backup", cmd_backup, "production: take the pre-bill-run backup and its manifest")
    b.add_argument("--out", required=True, help="folder for the backup and manifest")
    b.add_argument("--bill-date", type=_date, default=None)
    b.add_argument("--seed", type=int, default=None)
    b.add_argument("--info", help="the generate --info file, copied into the manifest")
    r = add("restore", cmd_restore, "staging: restore the backup, then migrate to this release")
    r.add_argument("backup", help="the backup file, its manifest or their folder")
    r.add_argument("--no-migrate", action="store_true")
    add("migrate", cmd_migrate, "apply this release's migrations")
    br = add("billrun", cmd_billrun, "run the bill run (generate_docs --date)")
    br.add_argument("date", nargs="?", type=_date)
    br.add_argument("--date", dest="date_option", type=_date)
    add("status", cmd_status, "release, migrations, bill runs; last line running|stopped")
    f = add("facts", cmd_facts, "per-customer and per-subscription facts of a bill run (JSON)")
    f.add_argument("--date", type=_date, required=True)
    f.add_argument("--out")
    c = add("compare", cmd_compare, "compare a bill run on two databases", db=False)
    c.add_argument("production")
    c.add_argument("staging")
    c.add_argument("--date", type=_date, required=True)
    c.add_argument("--out")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    if ENVIRONMENT not in RELEASES:
        print("silverctl: run me through examples/silver/platform/silverctl "
              "production|staging …", file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    try:
        result: Any = args.run(args)
        return int(result)
    except (Refused, DsnError) as exc:
        code, message = 2, str(exc)
    except Unavailable as exc:
        code, message = 3, str(exc)
    except PlatformFailed as exc:
        code, message = 1, str(exc)
    except Exception as exc:  # a database that cannot be reached: name it, exit 3
        if type(exc).__name__ != "OperationalError":
            raise
        code, message = 3, f"database unreachable: {str(exc).strip().splitlines()[0]}"
    print(f"silverctl {ENVIRONMENT}: {message}", file=sys.stderr)
    return code
