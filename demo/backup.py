"""The pre-bill-run backup and its restore, with a manifest that proves what was restored.

SQLite is copied with sqlite3's online backup API (consistent even while the
database is in use); PostgreSQL is dumped with ``pg_dump -Fc`` and restored with
``pg_restore``. The manifest beside the backup records the digest, so a restore
refuses a file that changed since it was taken, and the row counts, so a restore
can prove it brought every row back.

The demo's production (a generated database, see `demo.production`) runs its scheduled
bill run right after its backup, as a real production does after its nightly backup;
a backup of a production that already ran it is refused (it would not be pre-bill-run).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, column, func, inspect, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from demo.db import normalise_url, safe_url, sqlite_path
from demo.paths import DatabaseUnavailable, open_database, scrub
from demo.production import ProductionBillRun, Schedule, ScheduleError, run_scheduled, scheduled

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
DEFAULT_RELEASE = "1.0"


class BackupError(Exception):
    """The backup or manifest cannot be used (bad input: exit code 2)."""


class BackupEnvironmentError(Exception):
    """A tool or database the backup needs is not there (environment: exit code 3)."""


@dataclass
class Manifest:
    """What a backup holds; written as JSON beside the backup file."""

    release: str
    seed: int | str | None
    as_of: str | None
    created_at: str
    engine: str
    file: str
    sha256: str
    size: int
    row_counts: dict[str, int]
    source_db: str
    format: int = MANIFEST_FORMAT
    path: Path | None = field(default=None, compare=False)
    # production's scheduled bill run that ran right after this backup (not in the file)
    then_billed: ProductionBillRun | None = field(default=None, compare=False)

    @property
    def backup_path(self) -> Path:
        base = self.path.parent if self.path is not None else Path(".")
        return base / self.file

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("path")
        data.pop("then_billed")
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError) as exc:
            raise BackupError(f"cannot read manifest {path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise BackupError(f"manifest {path} is not valid JSON: {exc}") from None
        names = {"release", "seed", "as_of", "created_at", "engine", "file", "sha256", "size",
                 "row_counts", "source_db"}
        if not isinstance(data, dict) or not names <= data.keys():
            missing = sorted(names - set(data)) if isinstance(data, dict) else sorted(names)
            raise BackupError(f"manifest {path} lacks {', '.join(missing)}")
        known = {k: v for k, v in data.items() if k in names or k == "format"}
        return cls(**known, path=path)


def backup(url: str, out_dir: Path, scheduled_bill_run: bool = True) -> Manifest:
    """Back up the database at ``url`` into ``out_dir``; return the written manifest.

    When the database is the demo's production (it has a scheduled bill run), that bill
    run follows the backup (``scheduled_bill_run=False`` leaves it for later), and a
    production that already ran it is refused."""
    engine = open_database(url)
    try:
        info = _describe(engine)
        schedule = _schedule(engine, url)
    finally:
        engine.dispose()
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = engine.dialect.name
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = _free_name(out_dir, f"demo-{stamp}", ".sqlite" if kind == "sqlite" else ".pgdump")
    if kind == "sqlite":
        source = sqlite_path(url)
        assert source is not None  # open_database proved the file exists
        _sqlite_copy(source, target)
    elif kind == "postgresql":
        _pg_dump(url, target)
    else:
        raise BackupError(f"cannot back up a {kind} database (SQLite or PostgreSQL only)")
    manifest = Manifest(
        release=info["release"],
        seed=info["seed"],
        as_of=info["as_of"],
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        engine=kind,
        file=target.name,
        sha256=file_digest(target),
        size=target.stat().st_size,
        row_counts=info["row_counts"],
        source_db=safe_url(url),
        path=target.with_name(target.stem + MANIFEST_SUFFIX),
    )
    assert manifest.path is not None
    manifest.path.write_text(manifest.to_json())
    if schedule is not None and scheduled_bill_run:
        engine = open_database(url)
        try:
            manifest.then_billed = run_scheduled(engine, schedule, str(info["release"]))
        finally:
            engine.dispose()
    return manifest


def _schedule(engine: Engine, url: str) -> Schedule | None:
    try:
        schedule = scheduled(engine)
    except ScheduleError as exc:
        raise BackupError(f"{safe_url(url)}: {exc}") from None
    if schedule is not None and schedule.done:
        raise BackupError(
            f"{safe_url(url)} already ran its scheduled bill run of {schedule.run_date}: a "
            "backup now would not be the pre-bill-run backup (generate production again, "
            "or restore it from its pre-bill-run backup)")
    return schedule


def restore(manifest_path: Path, url: str) -> None:
    """Restore the backup described by ``manifest_path`` into the database at ``url``.

    ``manifest_path`` may also be the backup file (its manifest sits beside it)
    or a directory (its newest manifest). Refuses a backup whose digest does not
    match, and checks afterwards that every table has the manifest's row count.
    """
    manifest = find_manifest(manifest_path)
    data = manifest.backup_path
    if not data.is_file():
        raise BackupError(f"backup file {data} named by {manifest.path} is missing")
    digest = file_digest(data)
    if digest != manifest.sha256:
        raise BackupError(
            f"refusing to restore {data}: sha256 {digest[:16]}… does not match the "
            f"manifest's {manifest.sha256[:16]}… (the file changed after the backup)"
        )
    target_kind = make_url(normalise_url(url)).get_backend_name()
    if target_kind != manifest.engine:
        raise BackupError(
            f"cannot restore a {manifest.engine} backup into a {target_kind} database "
            f"({safe_url(url)})"
        )
    if target_kind == "sqlite":
        target = sqlite_path(url)
        if target is None:
            raise BackupError(f"cannot restore into {safe_url(url)}: not a file database")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(data, target)
    else:
        open_database(url, demo_schema=False).dispose()
        _pg_restore(url, data)
    _check_counts(url, manifest)


def find_manifest(path: Path) -> Manifest:
    """The manifest at ``path``, beside the backup file ``path``, or newest in a directory."""
    if path.is_dir():
        found = sorted(path.glob("*" + MANIFEST_SUFFIX), key=lambda p: p.stat().st_mtime)
        if not found:
            raise BackupError(f"no backup manifest (*{MANIFEST_SUFFIX}) in {path}")
        return Manifest.load(found[-1])
    if path.name.endswith(MANIFEST_SUFFIX):
        if not path.is_file():
            raise BackupError(f"no such manifest: {path}")
        return Manifest.load(path)
    beside = path.with_name(path.stem + MANIFEST_SUFFIX)
    if not beside.is_file():
        raise BackupError(f"no manifest for {path} (expected {beside})")
    return Manifest.load(beside)


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {n: int(conn.scalar(select(func.count()).select_from(table(n))) or 0)
                for n in names}


def describe_database(url: str) -> dict[str, Any]:
    """Release, generator seed/as-of and row counts of the demo database at ``url``."""
    engine = open_database(url)
    try:
        return _describe(engine)
    finally:
        engine.dispose()


def _describe(engine: Engine) -> dict[str, Any]:
    """Release, generator seed/as-of (from billing_settings) and row counts."""
    counts = row_counts(engine)
    settings: dict[str, str] = {}
    if "billing_settings" in counts:
        with engine.connect() as conn:
            rows = conn.execute(select(table("billing_settings", column("key"), column("value"))))
            settings = {str(k): str(v) for k, v in rows}
    seed_text = settings.get("generator_seed")
    seed: int | str | None = seed_text
    if seed_text is not None and seed_text.lstrip("-").isdigit():
        seed = int(seed_text)
    return {
        "release": settings.get("release", DEFAULT_RELEASE),
        "seed": seed,
        "as_of": settings.get("generator_as_of"),
        "row_counts": counts,
    }


def _free_name(directory: Path, stem: str, suffix: str) -> Path:
    candidate = directory / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page through the online backup API."""
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupEnvironmentError(f"SQLite copy {source} → {target} failed: {exc}") from None
    finally:
        src.close()


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore, and the environment with PGPASSWORD."""
    u: URL = make_url(normalise_url(url))
    host = u.host or _query(u, "host")
    port = u.port or _query(u, "port")
    args = ["--no-password"]
    if host:
        args += ["--host", str(host)]
    if port:
        args += ["--port", str(port)]
    if u.username:
        args += ["--username", u.username]
    args += ["--dbname", u.database or "postgres"]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    sslmode = _query(u, "sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return args, env


def _query(u: URL, key: str) -> str | None:
    value = u.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return value


def _run_tool(tool: str, args: list[str], env: dict[str, str], url: str) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise BackupEnvironmentError(
            f"{tool} not found on PATH: install the PostgreSQL client tools "
            "(Debian/Ubuntu: apt-get install postgresql-client)"
        )
    done = subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if ln.strip()]
        reason = scrub(errors[-1] if errors else f"exit code {done.returncode}", url)
        raise BackupEnvironmentError(f"{tool} failed for {safe_url(url)}: {reason}")


def _pg_dump(url: str, target: Path) -> None:
    args, env = _libpq(url)
    _run_tool("pg_dump", ["--format=custom", "--file", str(target), *args], env, url)


def _pg_restore(url: str, data: Path) -> None:
    args, env = _libpq(url)
    opts = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    _run_tool("pg_restore", [*opts, *args, str(data)], env, url)


def _check_counts(url: str, manifest: Manifest) -> None:
    engine = open_database(url, demo_schema=False)
    try:
        counts = row_counts(engine)
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseUnavailable(f"cannot count rows in {safe_url(url)}: {exc.orig}") from None
    finally:
        engine.dispose()
    wrong = [
        f"{name}: {counts.get(name, 'missing')} rows, manifest says {n}"
        for name, n in sorted(manifest.row_counts.items())
        if counts.get(name) != n
    ]
    if wrong:
        raise BackupEnvironmentError(
            f"restore into {safe_url(url)} is incomplete: " + "; ".join(wrong[:5])
        )
