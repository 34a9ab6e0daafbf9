"""The compare benchmark's legs, each run as its own process so its peak RSS is its own.

- golive: ``harness.baseline.compare`` between the baseline database (captured from
  production with ``harness.baseline.capture`` before the clock) and staging: the
  two-phase method, since both are PostgreSQL.
- reladiff: its CLI (hashdiff across two databases), installed here in its own venv.
- SQL join: one ``FULL OUTER JOIN`` of both tables in one database, with the same
  tolerance as golive (the fastest a single database can do; it needs both tables in
  one place, which production and staging never are).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.compare_data import BASELINE_DB, JOIN_DB, PRODUCTION_DB, STAGING_DB
from tests.pg import PgServer

__all__ = ["RELADIFF_VERSION", "LegResult", "capture_baseline", "install_reladiff",
           "run_golive", "run_join", "run_reladiff"]

RELADIFF_VERSION = "0.6.0"
RUN_DATE = dt.date(2026, 11, 1)
COLUMNS = ("balance", "status", "next_bill", "minutes")
QUERY = "SELECT number AS account, balance, status, next_bill, minutes FROM accounts"


class ReladiffUnavailable(RuntimeError):
    pass


@dataclass
class LegResult:
    name: str
    rows: int
    seconds: float  # what the rate is computed from
    wall: float  # the whole process, start to exit
    peak_rss: int | None  # bytes
    found: str  # what it reported, e.g. "70 beyond tolerance, 12 within"
    error: str | None = None
    cpu: float | None = None  # CPU seconds of the tool's process and the database server

    @property
    def idle_estimate(self) -> float | None:
        """Seconds on an otherwise idle machine of this many cores, if the leg kept them
        all busy: CPU seconds over cores (never below its critical path, unknown here)."""
        if self.cpu is None:
            return None
        return self.cpu / (os.cpu_count() or 1)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.error is None and self.seconds > 0 else 0.0


def _population() -> object:
    from harness.baseline.profile import Population

    return Population.model_validate({"accounts": {
        "query": QUERY, "key": ["account"],
        "fields": {"balance": {"kind": "money", "tolerance": "0.01"}, "status": "text",
                   "next_bill": {"kind": "date", "label": "next bill date"},
                   "minutes": "int"}}})


def capture_baseline(server: PgServer) -> float:
    """golive's baseline of production in its own database; returns seconds (not timed
    against any target)."""
    from common.dsn import Dsn
    from harness.baseline.capture import capture
    from harness.baseline.store import PostgresStore

    started = time.perf_counter()
    capture(_population(), Dsn(server.url(PRODUCTION_DB)),  # type: ignore[arg-type]
            PostgresStore(Dsn(server.url(BASELINE_DB))), RUN_DATE, None)
    return time.perf_counter() - started


def _golive_child(baseline: str, staging: str, csv_path: str) -> None:
    """In the child process: one comparison, its figures as JSON on stdout."""
    from common.dsn import Dsn
    from harness.baseline.compare import compare
    from harness.baseline.store import PostgresStore

    started = time.perf_counter()
    section = compare(_population(), PostgresStore(Dsn(baseline)), Dsn(staging),  # type: ignore[arg-type]
                      RUN_DATE, Path(csv_path))
    seconds = time.perf_counter() - started
    counts = section.datasets[0]
    print(json.dumps({"seconds": seconds, "beyond": section.beyond, "within": counts.within,
                      "missing": counts.missing, "extra": counts.extra,
                      "changed": counts.changed, "method": counts.method,
                      "rows": counts.production_rows}))


def _wait(proc: subprocess.Popen[str], started: float) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in bytes, CPU seconds) of a finished child, from its own
    rusage."""
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped here; Popen must not wait again
    return (time.perf_counter() - started, usage.ru_maxrss * 1024,
            usage.ru_utime + usage.ru_stime)


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def server_cpu(server: PgServer) -> float:
    """CPU seconds the server has used so far: the postmaster, its reaped children
    (backends that ended) and its live ones. A difference of two readings is what the
    server spent in between, whatever else runs on the machine."""
    pid = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    fields = _stat(pid)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            child = _stat(int(entry))
        except OSError:
            continue
        if int(child[1]) == pid:
            total += int(child[11]) + int(child[12])
    return total / _TICK


def run_golive(server: PgServer, rows: int, scratch: Path) -> LegResult:
    cmd = [sys.executable, "-m", "bench.compare_legs", "golive", server.url(BASELINE_DB),
           server.url(STAGING_DB), str(scratch / "differences.csv")]
    started, before = time.perf_counter(), server_cpu(server)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    out, errors = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    wall, rss, own = _wait(proc, started)
    cpu = own + server_cpu(server) - before
    try:
        got = json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (errors or out).strip().splitlines()[-1:] or ["no output"]
        return LegResult("golive", rows, wall, wall, rss, "", f"crashed: {tail[0]}")
    found = (f"{got['beyond']} beyond tolerance ({got['changed']} changed, {got['missing']} "
             f"missing, {got['extra']} extra), {got['within']} within; {got['method']}")
    return LegResult("golive", rows, got["seconds"], wall, rss, found, cpu=cpu)


def install_reladiff(venv: Path) -> Path:
    """reladiff ``RELADIFF_VERSION`` (with its PostgreSQL driver) in its own venv."""
    exe = venv / "bin" / "reladiff"
    if exe.exists() and _version(exe) == RELADIFF_VERSION:
        return exe
    for step in ([sys.executable, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  f"reladiff[postgresql]=={RELADIFF_VERSION}"]):
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ReladiffUnavailable(f"{' '.join(step[:4])} … failed: {' / '.join(tail)}")
    found = _version(exe)
    if found != RELADIFF_VERSION:
        raise ReladiffUnavailable(f"{exe} reports {found!r}, expected {RELADIFF_VERSION}")
    return exe


def _version(exe: Path) -> str | None:
    try:
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                              check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    return words[-1].lstrip("v") if words else None


def run_reladiff(exe: Path, server: PgServer, rows: int) -> LegResult:
    """reladiff as it comes (hashdiff, its defaults), over the server's unix socket."""
    env = {**os.environ, "PGHOST": server.socket_dir, "PGPORT": str(server.port)}
    cmd = [str(exe), f"postgresql://postgres@/{PRODUCTION_DB}", "accounts",
           f"postgresql://postgres@/{STAGING_DB}", "accounts", "-k", "number",
           *[arg for c in COLUMNS for arg in ("-c", c)]]
    started, before = time.perf_counter(), server_cpu(server)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    out, errors = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    wall, rss, own = _wait(proc, started)
    cpu = own + server_cpu(server) - before
    lines = [ln for ln in out.splitlines() if ln[:2] in ("+ ", "- ")]
    if not lines and errors.strip():
        return LegResult("reladiff", rows, wall, wall, rss, "", errors.strip().splitlines()[-1])
    keys = {ln[2:].split(",")[0] for ln in lines}
    return LegResult("reladiff", rows, wall, wall, rss,
                     f"{len(keys)} keys differ (no tolerance: within-tolerance ones too)",
                     cpu=cpu)


JOIN = """
SELECT coalesce(p.number, s.number), p.number IS NULL, s.number IS NULL
FROM accounts_production p FULL OUTER JOIN accounts s ON s.number = p.number
WHERE p.number IS NULL OR s.number IS NULL OR abs(p.balance - s.balance) > 0.01
   OR p.status IS DISTINCT FROM s.status OR p.next_bill IS DISTINCT FROM s.next_bill
   OR p.minutes IS DISTINCT FROM s.minutes
"""


def run_join(server: PgServer, rows: int) -> LegResult:
    """Both tables in one database, one FULL OUTER JOIN with golive's tolerance."""
    started, before = time.perf_counter(), server_cpu(server)
    with psycopg.connect(server.libpq_dsn(JOIN_DB)) as conn:
        found = conn.execute(JOIN.encode()).fetchall()
    seconds = time.perf_counter() - started
    cpu = server_cpu(server) - before
    missing = sum(1 for _, extra, miss in found if miss)
    extra = sum(1 for _, only_staging, _ in found if only_staging)
    return LegResult("SQL join (one db)", rows, seconds, seconds, None,
                     f"{len(found)} beyond tolerance ({missing} missing, {extra} extra)",
                     cpu=cpu)


if __name__ == "__main__":
    if sys.argv[1:2] == ["golive"]:
        _golive_child(*sys.argv[2:5])
