"""The three contestants of the sanitize benchmark, each timed on its own fresh copy.

- golive: ``sanitize.sanitize()`` end to end with ``bench/sanitize_golive.yaml``.
- pynonymizer: its own CLI in its own venv (installed here, under bench/var/),
  run in place on the copy with ``--only-step ANONYMIZE_DB`` and the same
  strategy (``bench/sanitize_pynonymizer.yaml``).
- hand-written SQL: what a DBA would write: pool tables of Faker values and one
  ``UPDATE … FROM`` per table joining them on ``md5(value) mod n``.

Each leg returns a `LegResult`; a leg that crashes reports its error instead
of a time, so it can never count as fast.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from faker import Faker

from bench.sanitize_data import STRATEGY
from tests.pg import PgServer

__all__ = [
    "GOLIVE_RULES",
    "PYNONYMIZER_STRATEGY",
    "PYNONYMIZER_VERSION",
    "HandPools",
    "LegResult",
    "PynonymizerUnavailable",
    "hand_pools",
    "hand_sql",
    "install_pynonymizer",
    "run_golive",
    "run_hand_sql",
    "run_pynonymizer",
]

HERE = Path(__file__).resolve().parent
GOLIVE_RULES = HERE / "sanitize_golive.yaml"
PYNONYMIZER_STRATEGY = HERE / "sanitize_pynonymizer.yaml"
PYNONYMIZER_VERSION = "2.5.0"
PYNONYMIZER_SEED_ROWS = 150  # pynonymizer's own default
BENCH_SALT = "golive-bench-salt-not-a-secret"
POOL_SIZE = 2000  # the same pool size golive's rules ask for

# column -> the fake kind the hand-written SQL (and the other two) put there
HAND_KINDS: dict[str, dict[str, str]] = {
    "customers": {"first_name": "first_name", "last_name": "last_name", "email": "email",
                  "phone": "phone", "street": "street_address", "city": "city"},
    "contacts": {"name": "person_name", "email": "email", "phone": "phone",
                 "note": "free_text"},
}
HandPools = dict[str, list[str]]


class PynonymizerUnavailable(RuntimeError):
    """pynonymizer could not be installed or started: its leg cannot be measured."""


@dataclass(frozen=True)
class LegResult:
    name: str
    rows: int
    seconds: float
    timed: str  # what the seconds cover
    error: str | None = None

    @property
    def rate(self) -> float:
        """Rows per second; 0 for a failed leg, so it never looks fast."""
        if self.error is not None or self.seconds <= 0:
            return 0.0
        return self.rows / self.seconds


# -- golive -------------------------------------------------------------------------

def run_golive(server: PgServer, dbname: str) -> LegResult:
    timed = ("sanitize.sanitize() end to end: reflect and check the rules, Faker pools "
             f"({POOL_SIZE}/kind, drawn once per machine, then cached), packing them, "
             "EXPLAIN, per table a parallel CREATE TEMP TABLE AS SELECT of the new values and "
             "one UPDATE … FROM it, commit")
    try:
        from sanitize import sanitize
    except ImportError as exc:
        return LegResult("golive", 0, 0.0, timed, f"sanitize.sanitize is not importable: {exc}")
    started = time.perf_counter()
    result = sanitize(server.url(dbname), GOLIVE_RULES, salt=BENCH_SALT)
    seconds = time.perf_counter() - started
    return LegResult("golive", sum(result.rows_changed.values()), seconds, timed)


# -- pynonymizer --------------------------------------------------------------------

def install_pynonymizer(venv: Path) -> Path:
    """pynonymizer ``PYNONYMIZER_VERSION`` in its own venv at ``venv``; returns its CLI."""
    exe = venv / "bin" / "pynonymizer"
    if exe.exists() and _version(exe) == PYNONYMIZER_VERSION:
        return exe
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         f"pynonymizer=={PYNONYMIZER_VERSION}"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise PynonymizerUnavailable(f"{' '.join(step[:4])} … failed: {' / '.join(tail)}")
    found = _version(exe)
    if found != PYNONYMIZER_VERSION:
        raise PynonymizerUnavailable(f"{exe} reports version {found!r}, "
                                     f"expected {PYNONYMIZER_VERSION}")
    return exe


def _version(exe: Path) -> str | None:
    try:
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                              check=False, timeout=60)
    except OSError:
        return None
    words = done.stdout.split()
    return words[-1] if done.returncode == 0 and words else None


def pynonymizer_command(exe: Path, server: PgServer, dbname: str) -> list[str]:
    """The in-place run: no create/restore/dump/drop, only ANONYMIZE_DB on ``dbname``."""
    return [str(exe), "--only-step", "ANONYMIZE_DB", "--db-type", "postgres",
            "--db-host", server.socket_dir, "--db-port", str(server.port),
            "--db-user", "postgres", "--db-name", dbname,
            "--strategy", str(PYNONYMIZER_STRATEGY),
            "--seed-rows", str(PYNONYMIZER_SEED_ROWS)]


def run_pynonymizer(exe: Path, server: PgServer, dbname: str, rows: int) -> LegResult:
    timed = ("`pynonymizer --only-step ANONYMIZE_DB` in place, the whole process: its seed "
             f"table ({PYNONYMIZER_SEED_ROWS} rows, its default; one psql per row), one "
             "UPDATE per table (one psql each), drop the seed table")
    started = time.perf_counter()
    done = subprocess.run(pynonymizer_command(exe, server, dbname), capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        return LegResult("pynonymizer", 0, seconds, timed,
                         f"exit {done.returncode}: {tail}")
    return LegResult("pynonymizer", rows, seconds, timed)


# -- hand-written SQL ---------------------------------------------------------------

def hand_pools(seed: int = 7) -> HandPools:
    """Faker pools for the hand-written SQL (made before the clock starts)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    makers = {
        "first_name": fake.first_name,
        "last_name": fake.last_name,
        "person_name": fake.name,
        "email": fake.safe_email,
        "phone": fake.phone_number,
        "street_address": fake.street_address,
        "city": fake.city,
        "free_text": lambda: fake.sentence(nb_words=10),
    }
    return {kind: [make().replace("\n", ", ") for _ in range(POOL_SIZE)]
            for kind, make in makers.items()}


def _bucket(column: str, size: int) -> str:
    """``md5(value) mod size`` as an integer (a NULL hashes like the empty string)."""
    return (f"((('x' || substr(md5(coalesce(t.{column}, '')), 1, 8))::bit(32)::int "
            f"& 2147483647) % {size})")


def hand_sql(table: str, sizes: dict[str, int]) -> str:
    """One set-based UPDATE of ``table``: each column joined to its pool by hash bucket."""
    kinds = HAND_KINDS[table]
    sets = ", ".join(f"{col} = p{i}.v" for i, col in enumerate(kinds))
    pools = ", ".join(f"bench_pool_{kind} p{i}" for i, kind in enumerate(kinds.values()))
    joins = " AND ".join(f"p{i}.i = {_bucket(col, sizes[kind])}"
                         for i, (col, kind) in enumerate(kinds.items()))
    return f"UPDATE {table} AS t SET {sets} FROM {pools} WHERE {joins}"


def run_hand_sql(server: PgServer, dbname: str, pools: HandPools) -> LegResult:
    timed = ("one transaction: create and fill the pool tables (values made with Faker "
             "beforehand, untimed), ANALYZE, one UPDATE … FROM per table, commit")
    assert set(HAND_KINDS) == set(STRATEGY)
    rows = 0
    started = time.perf_counter()
    with psycopg.connect(server.libpq_dsn(dbname)) as conn:
        for kind, values in pools.items():
            conn.execute(f"CREATE TEMP TABLE bench_pool_{kind} (i int PRIMARY KEY, v text "
                         "NOT NULL) ON COMMIT DROP")
            with conn.cursor().copy(f"COPY bench_pool_{kind} (i, v) FROM STDIN") as copy:
                for index, value in enumerate(values):
                    copy.write_row((index, value))
            conn.execute(f"ANALYZE bench_pool_{kind}")
        sizes = {kind: len(values) for kind, values in pools.items()}
        for table in HAND_KINDS:
            rows += conn.execute(hand_sql(table, sizes)).rowcount
        conn.commit()
    return LegResult("hand-written SQL", rows, time.perf_counter() - started, timed)
