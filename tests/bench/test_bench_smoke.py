"""The sanitize benchmark's machinery at a tiny size: data, copies, every leg, checks, report.

No timing asserts: this proves the benchmark measures what it says (each leg
really rewrites every column, a leg that does not is failed, an unmeasured
leg is a FAIL), not how fast anything is.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from bench import bench_sanitize as bench
from bench import sanitize_data as data
from bench import sanitize_legs as legs
from tests.pg import PgServer

pytestmark = pytest.mark.postgres

ROWS = 2000


def _pynonymizer() -> Path | None:
    """The benchmark's own pynonymizer when `make bench` has installed it; else its leg is left
    out here (the benchmark itself always installs it)."""
    exe = bench.DEFAULT_VENV / "bin" / "pynonymizer"
    return exe if exe.exists() else None


def test_every_leg_rewrites_every_column(pg_server: PgServer) -> None:
    exe = _pynonymizer()
    outcome = bench.run(pg_server, ROWS, exe)
    names = [r.name for r in outcome.results]
    expected = ["golive", "hand-written SQL"] + (["pynonymizer"] if exe else [])
    assert names == expected
    for result in outcome.results:
        assert result.error is None, result
        assert result.rows == 2 * ROWS
        assert result.rate > 0
        changed = outcome.changed[result.name]
        assert set(changed) == {f"{t}.{c}" for t, cols in data.STRATEGY.items() for c in cols}
        assert min(changed.values()) >= bench.MIN_CHANGED, (result.name, changed)
    assert outcome.ratio("hand-written SQL") is not None
    if exe is None:
        assert outcome.ratio("pynonymizer") is None
        assert not outcome.passed  # an unmeasured comparison never passes


def test_source_holds_unique_pii_and_copies_are_identical(pg_server: PgServer) -> None:
    data.load_source(pg_server, ROWS)
    copy = data.clone(pg_server, "bench_smoke_copy")
    try:
        with psycopg.connect(pg_server.libpq_dsn(copy)) as conn:
            counts = conn.execute(
                "SELECT count(*), count(DISTINCT email), count(DISTINCT phone) FROM customers"
            ).fetchone()
            assert counts == (ROWS, ROWS, ROWS)
            assert conn.execute("SELECT count(*) FROM contacts WHERE note LIKE '%Call %'"
                                ).fetchone() == (ROWS,)
        assert set(data.changed_fraction(pg_server, copy).values()) == {0.0}
    finally:
        data.drop(pg_server, copy)


def test_a_leg_that_leaves_originals_fails(pg_server: PgServer) -> None:
    data.load_source(pg_server, ROWS)
    outcome = bench.Outcome(rows=ROWS)

    def lazy(dbname: str) -> legs.LegResult:
        with psycopg.connect(pg_server.libpq_dsn(dbname)) as conn:
            conn.execute("UPDATE customers SET city = 'Nowhere'")  # one column of ten
        return legs.LegResult("golive", 2 * ROWS, 0.01, "nothing much")

    bench.run_leg(pg_server, outcome, "golive", lazy)
    (result,) = outcome.results
    assert result.error is not None and "left originals" in result.error
    assert "customers.email 0%" in result.error and "customers.city" not in result.error
    assert result.rate == 0.0


def test_report_prints_rates_ratios_and_fails_closed(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    outcome = bench.Outcome(rows=1000, results=[
        legs.LegResult("golive", 2000, 1.0, "golive timing"),
        legs.LegResult("hand-written SQL", 2000, 1.0, "hand timing"),
        legs.LegResult("pynonymizer", 0, 3.0, "pyn timing", "exit 1: boom"),
    ], changed={"golive": {"c": 1.0}, "hand-written SQL": {"c": 1.0}})
    bench.report(outcome)
    out = capsys.readouterr().out
    assert "golive timing" in out and "pyn timing" in out
    assert "2,000" in out and "FAILED: exit 1: boom" in out
    assert "golive / hand-written SQL: 1.00x (target >= 0.7x): PASS" in out
    assert "golive / pynonymizer: n/a (target >= 5.0x): FAIL (not measured)" in out
    assert out.rstrip().endswith("sanitize benchmark: FAIL")


def test_hand_sql_updates_every_column_in_one_statement() -> None:
    sizes = {kind: 10 for kinds in legs.HAND_KINDS.values() for kind in kinds.values()}
    for table, columns in data.STRATEGY.items():
        sql = legs.hand_sql(table, sizes)
        assert sql.startswith(f"UPDATE {table} AS t SET ")
        for column in columns:
            assert f"{column} = p" in sql and f"md5(coalesce(t.{column}, ''))" in sql
