"""`golive init DIR --target sql|python|demo`: a working project for a new platform.

The profile it writes has every section and key of the `Profile` model (walked
recursively, so the scaffold stays complete as the profile grows), loads as
written, and a `golive run` on the fresh folder ends with the documented NO-GO
and says what is still to be filled in — never a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel
from sqlalchemy import text

from harness.cli import main
from harness.config import (
    DemoTargetConfig,
    Profile,
    PythonTargetConfig,
    SqlTargetConfig,
    load_profile,
)
from harness.scaffold.init import KINDS, Kind, files, scaffold
from harness.scaffold.todo import to_fill_in
from harness.targets.base import capabilities
from harness.targets.loader import open_target
from harness.targets.sql_catalog import CAPABILITY_QUERIES, CORE_QUERIES

ROOT = Path(__file__).resolve().parents[2]
GOLIVE = Path(sys.executable).parent / "golive"
TARGETS: dict[str, type[BaseModel]] = {"demo": DemoTargetConfig, "sql": SqlTargetConfig,
                                       "python": PythonTargetConfig}


# -- every section and key of the profile model ----------------------------------------------

def models_in(annotation: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    """("direct" | "each", model) for every pydantic model an annotation holds."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "direct", annotation
    elif origin is Annotated:
        yield from models_in(args[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from models_in(arg)
    elif origin in (list, tuple, set, frozenset):
        yield from (("each", m) for _, m in models_in(args[0]))
    elif origin is dict:
        yield from (("each", m) for _, m in models_in(args[1]))


def in_comments(model: type[BaseModel], comments: str, where: str) -> list[str]:
    """A section left empty (null, [] or {}) documents its keys in a comment."""
    return [f"{where}.{info.alias or name} (not even in a comment)"
            for name, info in model.model_fields.items()
            if not re.search(rf"\b{re.escape(info.alias or name)}:", comments)]


def missing_keys(model: type[BaseModel], data: Any, comments: str, kind: str,
                 path: tuple[str, ...] = ()) -> list[str]:
    missing: list[str] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        where = (*path, key)
        if not isinstance(data, dict) or key not in data:
            missing.append(".".join(where))
            continue
        value = data[key]
        subs = [("direct", TARGETS[kind])] if where == ("target",) \
            else list(models_in(info.annotation))
        for how, sub in subs:
            if how == "direct":
                if isinstance(value, dict):
                    missing += missing_keys(sub, value, comments, kind, where)
                else:
                    missing += in_comments(sub, comments, ".".join(where))
                continue
            elements = [v for v in (value.values() if isinstance(value, dict) else value or [])
                        if isinstance(v, dict)]
            if not elements:
                missing += in_comments(sub, comments, ".".join(where))
            for element in elements:
                missing += missing_keys(sub, element, comments, kind, (*where, "*"))
    return missing


def comment_text(source: str) -> str:
    return "\n".join(line.split("#", 1)[1] for line in source.splitlines() if "#" in line)


@pytest.mark.parametrize("kind", KINDS)
def test_the_profile_has_every_section_and_key_of_the_profile_model(kind: Kind) -> None:
    source = files(kind, "acme billing")["golive.yaml"]
    data = yaml.safe_load(source)
    assert missing_keys(Profile, data, comment_text(source), kind) == []
    assert data["target"]["kind"] == kind


def test_the_walk_notices_a_missing_key_and_an_undocumented_empty_section() -> None:
    """The completeness check itself: it fails when the scaffold falls behind the model."""
    source = files("sql", "acme")["golive.yaml"]
    data = yaml.safe_load(source)
    del data["gate"]["waivers"]
    data["bill_run"].pop("timeout_seconds")
    found = missing_keys(Profile, data, comment_text(source).replace("password:", "pw:"), "sql")
    assert found == ["bill_run.timeout_seconds", "gate.waivers",
                     "portals.staff.password (not even in a comment)",
                     "portals.customer.password (not even in a comment)"]


def test_the_sql_profile_has_the_core_queries_with_bound_parameters_only() -> None:
    source = files("sql", "acme")["golive.yaml"]
    queries = yaml.safe_load(source)["target"]["queries"]
    assert sorted(queries) == sorted(CORE_QUERIES)
    for name, sql in queries.items():
        bound = set(text(sql).compile().params)  # comments hold no :word SQLAlchemy would bind
        assert bound <= {"ref", "bill_run_id", "since", "levels"}, (name, bound)
        assert sql.count("AS ") >= 2 and "-- " in sql  # columns named, each explained
    for capability, wanted in CAPABILITY_QUERIES.items():  # documented, ready to add
        for query in wanted.names:
            assert re.search(rf"#\s+.*\b{query}\b", source), (capability, query)


# -- golive init on disk ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_the_scaffold_loads_as_written_and_lists_what_to_fill_in(tmp_path: Path,
                                                                  kind: Kind) -> None:
    done = scaffold(tmp_path / "acme", kind)
    assert done.kept == []
    names = sorted(p.relative_to(done.root).as_posix() for p in done.written)
    assert names == sorted(["golive.yaml", "README.md", "checklists/critical.yaml",
                            "checklists/accounts.yaml", "features/billrun.feature",
                            "features/accounts.feature", "features/eventlog.feature",
                            *(["platform_adapter.py"] if kind == "python" else [])])
    profile = load_profile(done.profile, env={}, references=False)  # the backup is to make
    left = to_fill_in(profile)
    assert any(line.startswith("checklists/accounts.yaml:") for line in left)
    if kind != "demo":
        assert any("the pre-bill-run backup of production" in line for line in left)
    target = open_target(profile)  # the adapter skeleton satisfies the loader's checks
    try:
        assert target.name == {"demo": "demo", "sql": "sql", "python": "platform"}[kind]
        if kind == "python":
            assert not any(capabilities(target).values())
    finally:
        target.close()


def test_a_hand_written_profile_has_nothing_to_fill_in() -> None:
    assert to_fill_in(load_profile(ROOT / "golive.yaml", env={})) == []


def test_a_non_empty_folder_is_refused_and_force_never_overwrites(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    root.mkdir()
    (root / "golive.yaml").write_text("name: mine\n")
    refused = CliRunner().invoke(main, ["init", str(root), "--target", "sql"])
    assert refused.exit_code == 2
    assert "is not empty (golive.yaml); give --force" in " ".join(refused.output.split())
    assert sorted(p.name for p in root.iterdir()) == ["golive.yaml"]
    forced = CliRunner().invoke(main, ["init", str(root), "--target", "sql", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "golive.yaml (it exists; not overwritten)" in " ".join(forced.output.split())
    assert (root / "golive.yaml").read_text() == "name: mine\n"
    assert (root / "checklists" / "critical.yaml").is_file()
    again = scaffold(root, "sql", force=True)  # a second time: everything is kept
    assert again.written == [] and len(again.kept) == 7


# -- golive run on a fresh scaffold: the documented NO-GO, never a traceback ------------------

def golive(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("STAGING_DSN", "PRODUCTION_DSN", "STAGING_URL", "PRODUCTION_URL")}
    env.update(COLUMNS="200", GOLIVE_SANITIZE_SALT="scaffold-test-salt")
    return subprocess.run([str(GOLIVE), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=600)


@pytest.mark.parametrize("kind", ["sql", "python"])
def test_golive_run_on_a_fresh_scaffold_lists_what_to_fill_in_and_stops_on_the_backup(
        tmp_path: Path, kind: str) -> None:
    """Before anything moves: the FILL IN markers first, then the load's own check of what
    the profile points at — the pre-bill-run backup is not there yet (exit 2, file and
    line), so nothing is restored, billed or reported."""
    made = golive(tmp_path, "init", "acme", "--target", kind)
    assert made.returncode == 0, made.stderr
    assert "still to fill in" in made.stdout
    ran = golive(tmp_path, "run", "--profile", "acme/golive.yaml")
    output = ran.stdout + ran.stderr
    assert ran.returncode == 2, output
    assert "Traceback" not in output
    lines = output.splitlines()
    assert lines[lines.index(next(ln for ln in lines if ln.startswith("still to fill in")))
                 + 1].startswith("  golive.yaml:")
    said = " ".join(output.split())
    assert re.search(r"acme/golive.yaml:\d+: backup.path: \S*acme/FILL-IN/pre-bill-run-backup"
                     r"\S*: no such backup", said), said
    assert not (tmp_path / "acme" / "reports").exists()


@pytest.mark.slow
def test_golive_run_on_a_fresh_demo_scaffold_verifies_the_core_and_is_no_go(
        tmp_path: Path) -> None:
    assert golive(tmp_path, "init", "acme", "--target", "demo").returncode == 0
    ran = golive(tmp_path / "acme", "run")
    output = ran.stdout + ran.stderr
    assert ran.returncode == 1, output
    assert "Traceback" not in output
    assert "scenario passed      features/billrun.feature" in output
    assert "scenario passed      features/eventlog.feature" in output
    assert "ACC-FIRST has no expectations in checklists/accounts.yaml" in output
    verdict = output.splitlines()[-1]
    assert verdict.startswith("golive: NO-GO — 1 critical item failed: CF-BILL-02; "
                              "14 critical items uncovered: CF-PROV-01"), verdict


FILL_IN_SCHEMA = """
CREATE TABLE fill_in_accounts (id INTEGER PRIMARY KEY, number TEXT, name TEXT, status TEXT,
  balance NUMERIC, parent_id INTEGER, bill_day INTEGER);
CREATE TABLE fill_in_packages (id INTEGER PRIMARY KEY, account_id INTEGER, product_code TEXT,
  product_name TEXT, period TEXT, quantity INTEGER, next_bill DATE, status TEXT,
  provisioned BOOLEAN);
CREATE TABLE fill_in_transactions (id INTEGER PRIMARY KEY, account_id INTEGER, kind TEXT,
  amount NUMERIC, description TEXT, posted_on DATE, bill_run_id INTEGER);
CREATE TABLE fill_in_invoices (id INTEGER PRIMARY KEY, account_id INTEGER, number TEXT,
  issued DATE, due DATE, subtotal NUMERIC, discount_total NUMERIC, tax_total NUMERIC,
  total NUMERIC, status TEXT, bill_run_id INTEGER);
CREATE TABLE fill_in_event_log (id INTEGER PRIMARY KEY, at TIMESTAMP, level TEXT, source TEXT,
  message TEXT, account_id INTEGER);
CREATE TABLE fill_in_settings (name TEXT, value TEXT);
CREATE TABLE fill_in_bill_runs (id INTEGER PRIMARY KEY, run_date DATE, status TEXT,
  started_at TIMESTAMP, finished_at TIMESTAMP, accounts INTEGER, invoices INTEGER,
  errors INTEGER, total NUMERIC);
INSERT INTO fill_in_accounts VALUES (1, 'K-1', 'Pat Lee', 'active', '12.50', NULL, 1);
INSERT INTO fill_in_accounts VALUES (2, 'K-2', 'Pat Lee Jr', 'active', '0', 1, 1);
INSERT INTO fill_in_packages VALUES (1, 1, 'NET', 'Fibre', 'monthly', 1, '2026-12-01', 'active', 1);
INSERT INTO fill_in_transactions VALUES (1, 1, 'charge', '12.50', 'Fibre', '2026-11-01', 7);
INSERT INTO fill_in_invoices VALUES (1, 1, 'I-1', '2026-11-01', '2026-11-15', '12.50', '0', '0',
  '12.50', 'open', 7);
INSERT INTO fill_in_event_log VALUES (1, '2026-11-01 02:00:00', 'ERROR', 'rating', 'no rate', 2);
INSERT INTO fill_in_settings VALUES ('tax_rate', '0.10');
INSERT INTO fill_in_bill_runs VALUES (7, '2026-11-01', 'done', '2026-11-01 01:00:00',
  '2026-11-01 01:05:00', 1, 1, 0, '12.50');
"""


def test_the_sql_scaffold_queries_run_and_map_on_a_schema_shaped_like_their_comments(
        tmp_path: Path) -> None:
    """The documented queries are real SQL: on tables named like the placeholders they
    answer every core question through golive's own view mapping."""
    import datetime as dt
    import sqlite3
    from decimal import Decimal

    done = scaffold(tmp_path / "acme", "sql")
    staging = tmp_path / "staging.db"
    with sqlite3.connect(staging) as conn:
        conn.executescript(FILL_IN_SCHEMA)
    profile = load_profile(done.profile, env={"STAGING_DSN": f"sqlite:///{staging}"},
                           references=False)
    target = open_target(profile)
    try:
        account = target.account("K-1")
        assert account is not None and (account.name, account.balance) == ("Pat Lee",
                                                                          Decimal("12.50"))
        assert target.account("K-2").parent_number == "K-1"  # type: ignore[union-attr]
        assert [p.next_bill_date for p in target.packages("K-1")] == [dt.date(2026, 12, 1)]
        assert [t.amount for t in target.transactions("K-1", bill_run_id=7)] == [Decimal("12.50")]
        assert target.transactions("K-1", bill_run_id=8) == []
        assert [i.number for i in target.invoices("K-1")] == ["I-1"]
        assert [e.account for e in target.events(dt.datetime(2026, 11, 1))] == ["K-2"]
        assert target.billing_settings() == {"tax_rate": "0.10"}
        assert target.latest_bill_run().accounts_billed == 1  # type: ignore[union-attr]
    finally:
        target.close()
