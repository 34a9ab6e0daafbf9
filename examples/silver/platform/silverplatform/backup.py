"""The pre-bill-run backup of production, its manifest, and the restore into staging.

SQLite is copied with sqlite3's online backup API; PostgreSQL is dumped with ``pg_dump -Fc`` and
restored with ``pg_restore``. The manifest beside the backup records its sha256 (a restore refuses
a file that changed), the row count of every table (a restore proves it brought them all back),
the bill-run date the backup was taken for, and where it came from (a restore refuses to write
over the database the backup was taken from).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from silverplatform.dsn import Database
from silverplatform.errors import Refused, Unavailable

MANIFEST = "pre-bill-run.manifest.json"
FORMAT = 1


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(db: Database) -> dict[str, str]:
    env = dict(os.environ)
    if db.password:
        env["PGPASSWORD"] = db.password
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise Unavailable(f"{name} not found on PATH (Debian: apt-get install postgresql-client)")
    return found


def _connect(db: Database) -> Any:
    if db.engine == "sqlite":
        return sqlite3.connect(db.path.resolve().as_uri() + "?mode=ro", uri=True)
    import psycopg2

    return psycopg2.connect(db.libpq())


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table (every table of the schema, silver's and Django's)."""
    conn = _connect(db)
    try:
        cur = conn.cursor()
        if db.engine == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")
        else:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "ORDER BY tablename")
        tables = [r[0] for r in cur.fetchall()]
        counts = {}
        for table in tables:
            cur.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = int(cur.fetchone()[0])
        return counts
    finally:
        conn.close()


def identity(db: Database) -> dict[str, Any]:
    """What the file system or the server says this database is (never the DSN's spelling)."""
    if db.engine == "sqlite":
        if not db.path.exists():
            return {"engine": "sqlite", "missing": str(db.path)}
        st = db.path.stat()
        return {"engine": "sqlite", "device": st.st_dev, "inode": st.st_ino}
    conn = _connect(db)
    try:
        cur = conn.cursor()
        cur.execute("SELECT current_database(), current_setting('port'), "
                    "current_setting('unix_socket_directories'), "
                    "COALESCE(host(inet_server_addr()), '')")
        name, port, sockets, addr = cur.fetchone()
        return {"engine": "postgresql", "database": name, "port": port, "sockets": sockets,
                "address": addr}
    finally:
        conn.close()


def take(db: Database, out_dir: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Back up ``db`` into ``out_dir``; write and return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if db.engine == "sqlite":
        if not db.path.is_file():
            raise Unavailable(f"no SQLite database at {db.path}")
        target = out_dir / "pre-bill-run.sqlite3"
        target.unlink(missing_ok=True)
        src = _connect(db)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    else:
        target = out_dir / "pre-bill-run.dump"
        done = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             "--file", str(target), db.libpq()],
            capture_output=True, text=True, env=_pg_env(db), check=False)
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise Unavailable(f"pg_dump failed: {last[0]}")
    manifest = {
        "format": FORMAT, "platform": "django-silver", **info, "engine": db.engine,
        "file": target.name, "sha256": sha256(target), "size": target.stat().st_size,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "row_counts": row_counts(db), "source": {"database": db.safe(), **identity(db)},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def load_manifest(path: Path) -> tuple[dict[str, Any], Path]:
    """The manifest and the backup file it names; ``path`` may be either, or their folder."""
    if path.is_dir():
        path = path / MANIFEST
    elif path.name != MANIFEST:
        path = path.with_name(MANIFEST)
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise Refused(f"no backup manifest at {path}") from None
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot read backup manifest {path}: {exc}") from None
    missing = {"file", "sha256", "engine", "row_counts", "source"} - set(manifest)
    if missing:
        raise Refused(f"backup manifest {path} lacks {', '.join(sorted(missing))}")
    return manifest, path.parent / manifest["file"]


def restore(backup: Path, db: Database) -> dict[str, Any]:
    """Restore the backup into ``db`` after checking digest, engine and that ``db`` is not the
    database the backup came from; then prove every table has the manifest's row count."""
    manifest, data = load_manifest(backup)
    if not data.is_file():
        raise Refused(f"the backup file {data} named by the manifest is missing")
    if sha256(data) != manifest["sha256"]:
        raise Refused(f"{data} does not match its manifest's sha256 (changed after backup)")
    if manifest["engine"] != db.engine:
        raise Refused(f"cannot restore a {manifest['engine']} backup into a {db.engine} "
                          "database")
    source = {k: v for k, v in manifest["source"].items() if k != "database"}
    if identity(db) == source:
        raise Refused(f"refusing to restore over {db.safe()}: it is the database the backup "
                          "was taken from (production)")
    if db.engine == "sqlite":
        db.path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(db.path) + suffix).unlink(missing_ok=True)
        src = sqlite3.connect(data.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(db.path)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    else:
        done = subprocess.run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", "--dbname", db.libpq(), str(data)],
            capture_output=True, text=True, env=_pg_env(db), check=False)
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise Unavailable(f"pg_restore failed: {last[0]}")
    counts = row_counts(db)
    short = {t: (n, counts.get(t)) for t, n in manifest["row_counts"].items() if counts.get(t) != n}
    if short:
        raise Refused(f"restore incomplete: table (expected, found) {short}")
    return manifest
