"""A throwaway PostgreSQL server for tests: real server, unix socket, fsync off.

PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user in a directory that user can reach (pytest's tmp_path is
0700, so it lives under /tmp instead).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def pg_bin(tool: str) -> str | None:
    """A PostgreSQL server binary from PATH or Debian's /usr/lib/postgresql/<v>/bin."""
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return str(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    port: int

    @property
    def socket_dir(self) -> str:
        return str(self.root / "sock")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.socket_dir}&port={self.port}"

    def libpq_dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@/{dbname}?host={self.socket_dir}&port={self.port}"

    def create_database(self, prefix: str = "t") -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.libpq_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.root / "data"), "-m", "immediate",
                 "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _new_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="golive-pg-", dir="/tmp"))
    root.chmod(0o755)
    (root / "sock").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "sock", "postgres")
    return root


def _tools() -> tuple[str, str]:
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    for tool, path in (("initdb", initdb), ("pg_ctl", pg_ctl)):
        if path is None:
            raise PostgresUnavailable(
                f"{tool} not found on PATH: install PostgreSQL 15 server binaries "
                "(Debian/Ubuntu: apt-get install postgresql) and put its bin/ on PATH"
            )
    assert initdb is not None and pg_ctl is not None
    return initdb, pg_ctl


def _start(root: Path, listen: str) -> PgServer:
    port = _free_port()
    opts = (
        f"-c listen_addresses='{listen}' -c unix_socket_directories={root / 'sock'} -p {port} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=60"
    )
    start = subprocess.run(
        _as_postgres(
            [_tools()[1], "-D", str(root / "data"), "-l", str(root / "server.log"), "-o", opts,
             "-w", "-t", "60", "start"]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if start.returncode != 0:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {start.stderr.strip()} {log[-500:]}")
    return PgServer(root=root, port=port)


def start_server(listen: str = "") -> PgServer:
    """A fresh server on its unix socket; ``listen`` (``listen_addresses``, e.g.
    ``127.0.0.1,127.0.0.2``) adds TCP on those loopback addresses, same port."""
    initdb, _ = _tools()
    root = _new_root()
    init = subprocess.run(
        _as_postgres(
            [initdb, "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-sync"]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()}")
    if listen:  # trust the whole loopback range, not only 127.0.0.1
        with (root / "data" / "pg_hba.conf").open("a") as hba:
            hba.write("host all all 127.0.0.0/8 trust\n")
    return _start(root, listen)


def clone_server(server: PgServer) -> tuple[PgServer, PgServer]:
    """``server`` and a physical copy of it (its data folder copied while stopped, as a
    restored base backup is): two servers with one ``system_identifier``."""
    subprocess.run(_as_postgres([_tools()[1], "-D", str(server.root / "data"), "-m", "fast",
                                 "-w", "stop"]), capture_output=True, check=True)
    root = _new_root()
    subprocess.run(["cp", "-a", str(server.root / "data"), str(root / "data")], check=True)
    return _start(server.root, ""), _start(root, "")
