"""`golive accounts pick` (issue 11, item 5): the diverse accounts that together cover the
most configurations, read from the platform through the profile's population.features
query, written into the checklist with a comment per account — deterministic, keeping
every hand-written account and comment, refusing what it cannot merge.

The demo's production is generated (seed 42) and billed on release 1.0, on SQLite and
on a real PostgreSQL server; the profile is the project's own golive.yaml.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from harness.baseline.readonly import read_only_engine
from harness.checklists import load_checklists
from harness.config import Profile, load_profile
from harness.picker.buckets import Candidate, pairs_of, quantile_edges
from harness.picker.cover import greedy
from harness.picker.pick import Picked, pick
from harness.picker.survey import order, survey
from tests.furnish import furnish
from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[2]
GOLIVE = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]
RUN_DATE = dt.date(2026, 11, 1)
ACCOUNTS = 300


def make_production(url: str) -> None:
    """The demo's production as it is after its bill run on 1.0."""
    from demo.billing import run_bill_run
    from demo.generate import generate
    from demo.paths import open_database
    from demo.releases import get_release

    generate(url, ACCOUNTS, 42)
    engine = open_database(url)
    try:
        run_bill_run(engine, RUN_DATE, get_release("1.0"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_production(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("picker-production") / "production.db"
    make_production(f"sqlite:///{path}")
    return f"sqlite:///{path}"


def project(folder: Path, production: str, checklist: str | None = None) -> Path:
    """The project's golive.yaml on ``production``, with its own checklists folder (the
    project's critical items, and ``checklist`` as accounts.yaml when given)."""
    profile = yaml.safe_load((ROOT / "golive.yaml").read_text())
    profile["environments"]["production"]["dsn"] = production
    profile["environments"]["staging"]["dsn"] = f"sqlite:///{folder / 'staging.db'}"
    profile["checklists"]["dir"] = "checklists"
    profile["report"]["dir"] = "reports"
    profile["sanitize"]["rules"] = str(ROOT / "sanitize" / "rules" / "demo.yaml")
    furnish(folder)
    shutil.copy(ROOT / "checklists" / "critical.yaml", folder / "checklists")
    if checklist is not None:
        (folder / "checklists" / "accounts.yaml").write_text(checklist, encoding="utf-8")
    path = folder / "golive.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return path


def golive(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([*GOLIVE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=600)


def accounts_file(folder: Path) -> str:
    return (folder / "checklists" / "accounts.yaml").read_text(encoding="utf-8")


def coverage_of(profile: Profile, keys: set[str]) -> int:
    """How many (feature, value) pairs the accounts ``keys`` cover, by the picker's own
    definition of a pair (the population's buckets)."""
    assert profile.population is not None and profile.population.features is not None
    engine = read_only_engine(profile.environments.production.dsn.reveal())
    try:
        found = survey(engine, profile.population.features, RUN_DATE, keys)
    finally:
        engine.dispose()
    pairs = pairs_of(found, profile.population.features.buckets)
    return len(frozenset().union(*pairs.kept.values()))


# -- the pure parts: buckets and the greedy cover -------------------------------------------

def test_quantile_buckets_keep_zero_apart_and_never_split_a_value() -> None:
    histogram = Counter({Decimal(0): 50, Decimal(1): 10, Decimal(2): 10, Decimal(3): 10,
                         Decimal(10): 10})
    assert quantile_edges(histogram, 4) == [Decimal(1), Decimal(2), Decimal(3), Decimal(10)]
    skewed = Counter({Decimal(1): 90, Decimal(5): 9, Decimal(9): 1})
    assert quantile_edges(skewed, 4) == [Decimal(1), Decimal(9)]  # 1 fills three quarters
    assert quantile_edges(Counter({Decimal(0): 5}), 4) == []


def naive(candidates: list[Candidate], n: int) -> list[str]:
    """Greedy set cover the obvious way: every candidate's gain, every round."""
    done: set[int] = set()
    out: list[str] = []
    for _ in range(n):
        best = min(candidates, key=lambda c: (-len(c.pairs - done), c.order))
        if not best.pairs - done:
            break
        done |= best.pairs
        out.append(best.key)
    return out


def test_the_lazy_greedy_picks_what_plain_greedy_picks_ties_to_the_smallest_key() -> None:
    rng = random.Random(7)
    for _ in range(200):
        keys = rng.sample(range(1, 500), rng.randint(1, 40))
        candidates = [Candidate(f"K{k:04d}", order(f"K{k:04d}"),
                                frozenset(rng.sample(range(30), rng.randint(1, 8))), 1)
                      for k in keys]
        n = rng.randint(1, 12)
        assert [p.candidate.key for p in greedy(candidates, n)] == naive(candidates, n)


def test_integer_keys_sort_by_value() -> None:
    candidates = [Candidate(str(k), order(k), frozenset({1}), 1) for k in (10, 9, 100)]
    assert [p.candidate.key for p in greedy(candidates, 1)] == ["9"]


# -- on the demo -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def picked(sqlite_production: str, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Picked, Path]:
    folder = tmp_path_factory.mktemp("picked")
    return pick(load_profile(project(folder, sqlite_production)), 12), folder


def test_the_picker_chooses_bob_and_jane_among_the_most_diverse(
        picked: tuple[Picked, Path]) -> None:
    done, folder = picked
    keys = [e.account for e in done.entries]
    assert len(keys) == 12 and len(set(keys)) == 12
    # the seed's two examples come first: Bob Smith's ten packages of every period, Jane
    # Doe's five sub-accounts pooling her minutes
    assert keys[:2] == ["A000001", "A000002"]
    bob, jane = done.entries[:2]
    assert "package periods: monthly+quarterly+yearly+one-off" in bob.comment
    assert "untaxed package: yes" in bob.comment
    assert "sub-accounts: 5" in jane.comment
    assert "minute bucket: shared with sub-accounts" in jane.comment
    # what the population has at the edges is covered: bill days 29 and 31, a package
    # started on 29 February, suspended and closed accounts, every kind of discount
    covered = {done.pairs.names[p] for chosen in done.picks for p in chosen.added}
    assert {"bill day: 29", "started on 29 February: yes", "status: suspended",
            "status: closed", "discounts: percent", "discounts: fixed",
            "discounts: invoice", "ending package: yes", "new package: yes",
            "hierarchy: sub-account"} <= covered
    # each pick adds something, and less or as much as the one before it (greedy)
    gains = [len(chosen.added) for chosen in done.picks]
    assert all(gains) and gains == sorted(gains, reverse=True)
    assert done.covered == sum(gains) <= done.pairs.universe
    # the file: the accounts, each with why it was picked, loadable as golive loads it
    loaded = load_checklists(folder / "checklists")
    assert [a.account for a in loaded.accounts] == keys
    assert all(a.picked and a.from_production for a in loaded.accounts)
    text = accounts_file(folder)
    assert "# A000001, pick 1 of 12: adds" in text and "# A000002, pick 2 of 12: adds" in text


def test_the_picked_accounts_cover_more_than_twelve_random_accounts(
        picked: tuple[Picked, Path], sqlite_production: str, tmp_path: Path) -> None:
    done, _ = picked
    profile = load_profile(project(tmp_path, sqlite_production))
    everyone = [f"A{n:06d}" for n in range(1, ACCOUNTS + 1)]
    assert coverage_of(profile, {e.account for e in done.entries}) == done.covered
    rng = random.Random(11)
    best_random = max(coverage_of(profile, set(rng.sample(everyone, 12))) for _ in range(20))
    assert done.covered > best_random, (done.covered, best_random)


def test_hand_written_accounts_count_as_covered_and_are_never_picked_again(
        sqlite_production: str, tmp_path: Path) -> None:
    demo = (ROOT / "checklists" / "accounts.yaml").read_text(encoding="utf-8")
    path = project(tmp_path, sqlite_production, demo)
    done = pick(load_profile(path), 12)
    hand = {a.account for a in load_checklists(ROOT / "checklists").accounts}
    assert not hand & {e.account for e in done.entries}
    assert done.kept_covered == coverage_of(load_profile(path), hand)
    # with the sixteen of the demo, fewer picks cover everything the population has
    assert done.covered == done.pairs.universe and len(done.picks) < 12


# -- same data, same file ----------------------------------------------------------------------

def test_same_data_same_file(sqlite_production: str, picked: tuple[Picked, Path],
                             tmp_path: Path) -> None:
    _, folder = picked
    first = accounts_file(folder)
    again = pick(load_profile(project(tmp_path, sqlite_production)), 12)
    assert accounts_file(tmp_path) == first  # another folder, the same bytes
    assert again.changed
    rerun = golive("accounts", "pick", "--profile", "golive.yaml", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert "unchanged: checklists/accounts.yaml" in rerun.stdout
    assert accounts_file(tmp_path) == first


@pytest.mark.postgres
def test_the_same_population_on_postgresql_gives_the_same_file(
        pg_server: PgServer, picked: tuple[Picked, Path], tmp_path: Path) -> None:
    url = pg_server.create_database()
    make_production(url)
    done = pick(load_profile(project(tmp_path, url.replace("+psycopg", ""))), 12)
    assert [e.account for e in done.entries][:2] == ["A000001", "A000002"]
    assert accounts_file(tmp_path) == accounts_file(picked[1])


# -- keeping what people wrote ---------------------------------------------------------------

HAND_WRITTEN = """\
# Our diverse accounts. Reviewed by Quinn, 2026-10-28.
notice: checked by hand before every release

accounts:
  # the oldest customer: keep
  - id: ACC-OLDEST
    account: A000040   # since 2016
    why: our oldest customer
    expect:
      balance: "12.34"     # hand-written override
  - id: ACC-CLOSED
    account: A000019
    why: closed, never billed
"""


def test_hand_written_accounts_and_comments_stay_byte_for_byte(
        sqlite_production: str, tmp_path: Path) -> None:
    project(tmp_path, sqlite_production, HAND_WRITTEN)
    done = golive("accounts", "pick", "--profile", "golive.yaml", "--n", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = accounts_file(tmp_path)
    assert text.startswith(HAND_WRITTEN)  # the block follows the list, at its indentation
    block = text[len(HAND_WRITTEN):]
    assert block.startswith("  # >>> golive accounts pick (sha256:")
    assert re.findall(r"^  - id: (ACC-PICK-A\d+)$", block, re.M) == [
        f"ACC-PICK-{e}" for e in re.findall(r"^    account: (A\d+)$", block, re.M)]
    loaded = load_checklists(tmp_path / "checklists")
    assert [a.id for a in loaded.accounts][:2] == ["ACC-OLDEST", "ACC-CLOSED"]
    assert len(loaded.accounts) == 7
    assert "A000019" not in block  # a hand-written account is not picked again
    # an account added by hand after the block stays after it when the block is replaced
    after = "  - id: ACC-LATER\n    account: A000050\n    why: added later\n"
    (tmp_path / "checklists" / "accounts.yaml").write_text(text + after, encoding="utf-8")
    again = golive("accounts", "pick", "--profile", "golive.yaml", "--n", "5", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    text2 = accounts_file(tmp_path)
    assert text2.startswith(HAND_WRITTEN) and text2.endswith(after)
    assert "A000050" not in text2[len(HAND_WRITTEN):-len(after)]  # now hand-written


def test_a_block_edited_by_hand_is_refused_unless_forced(
        picked: tuple[Picked, Path], tmp_path: Path, sqlite_production: str) -> None:
    project(tmp_path, sqlite_production, accounts_file(picked[1]))
    original = accounts_file(tmp_path)
    edited = original.replace("  account: A000002\n", "  account: A000002\n  checklist: "
                              "[CF-BILL-02]\n", 1)
    (tmp_path / "checklists" / "accounts.yaml").write_text(edited, encoding="utf-8")
    refused = golive("accounts", "pick", "--profile", "golive.yaml", cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert re.search(r"checklists/accounts\.yaml:\d+: the picked block was edited by hand",
                     refused.stderr), refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert accounts_file(tmp_path) == edited  # nothing written
    forced = golive("accounts", "pick", "--profile", "golive.yaml", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert accounts_file(tmp_path) == original


@pytest.mark.parametrize(("content", "message"), [
    ("accounts: [{id: ACC-A, account: A000001, why: x}]\n", "accounts is not a block list"),
    ("accounts:\n- id: ACC-A\n  account: A000001\n  why: x\n"
     "# >>> golive accounts pick (sha256:0000000000000000)\n", "markers are broken"),
    ("accounts:\n- id: ACC-A\n  account: [\n", "not valid YAML"),
    ("- just\n- a list\n", "a checklist file is a mapping"),
])
def test_a_file_it_cannot_merge_into_is_refused_and_left_alone(
        sqlite_production: str, tmp_path: Path, content: str, message: str) -> None:
    project(tmp_path, sqlite_production, content)
    for extra in ((), ("--force",)):
        done = golive("accounts", "pick", "--profile", "golive.yaml", *extra, cwd=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
        assert re.search(r"checklists/accounts\.yaml:\d+", done.stderr), done.stderr
        assert accounts_file(tmp_path) == content


def test_exit_codes(sqlite_production: str, tmp_path: Path) -> None:
    path = project(tmp_path / "ok", sqlite_production)
    assert golive("accounts", "pick", "--profile", str(path), cwd=tmp_path).returncode == 0
    zero = golive("accounts", "pick", "--profile", str(path), "--n", "0", cwd=tmp_path)
    assert zero.returncode == 2 and "--n" in zero.stderr
    gone = project(tmp_path / "gone", f"sqlite:///{tmp_path / 'no-such.db'}")
    down = golive("accounts", "pick", "--profile", str(gone), cwd=tmp_path)
    assert down.returncode == 3, down.stdout + down.stderr
    assert not (tmp_path / "gone" / "checklists" / "accounts.yaml").exists()
    profile = yaml.safe_load(path.read_text())
    del profile["population"]["features"]
    bare = tmp_path / "ok" / "no-features.yaml"
    bare.write_text(yaml.safe_dump(profile, sort_keys=False))
    none = golive("accounts", "pick", "--profile", str(bare), cwd=tmp_path)
    assert none.returncode == 2
    assert "the profile has no population.features query" in none.stderr


def test_a_features_query_missing_a_column_names_it(sqlite_production: str,
                                                     tmp_path: Path) -> None:
    path = project(tmp_path, sqlite_production)
    profile = yaml.safe_load(path.read_text())
    profile["population"]["features"]["columns"]["tariff"] = "category"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    done = golive("accounts", "pick", "--profile", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the population.features query returns no column tariff" in done.stderr
