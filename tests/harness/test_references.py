"""Everything the profile points at is checked when it loads — before anything moves.

Each typo is found by the loader with file, line and (where a near name exists) "did
you mean"; ``golive run`` then exits 2 having restored nothing (staging never created,
production unchanged). A ``backup.generate`` that no longer matches the demo's data is
an error naming both values, at load time against an existing backup and at run time
against production.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from common.errors import ConfigError, Problem
from harness.cli import main
from harness.config import load_profile
from harness.pipeline import PipelineError, prepare
from harness.record import Outcome, RunRecord, new_run_id, now

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS, SEED = 20, 5


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Production (20 accounts, seed 5) and its demo backup, generated once."""
    from demo.backup import backup
    from demo.generate import generate

    root = tmp_path_factory.mktemp("made")
    generate(f"sqlite:///{root / 'production.db'}", ACCOUNTS, SEED)
    manifest = backup(f"sqlite:///{root / 'production.db'}", root / "backups")
    assert manifest.path is not None
    manifest.path.rename(root / "backups" / "pre-bill-run.manifest.json")
    return root


PROFILE: dict[str, Any] = {
    "name": "references",
    "target": {"kind": "demo", "release": "1.1"},
    "environments": {"production": {"dsn": "sqlite:///var/production.db", "read_only": True},
                     "staging": {"dsn": "sqlite:///var/staging.db", "staging": True}},
    "backup": {"path": "var/backups/pre-bill-run.manifest.json",
               "generate": {"accounts": ACCOUNTS, "seed": SEED}},
    "sanitize": {"enabled": True, "rules": "sanitize/rules/demo.yaml"},
    "bill_run": {"date": "2026-11-01"},
    "checklists": {"dir": "checklists"},
    "features": {"dir": "features"},
    # the demo's diverse accounts take production's values: the demo's population queries
    "population": yaml.safe_load((ROOT / "golive.yaml").read_text())["population"],
}


@pytest.fixture
def project(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working demo project: profile, checklists, features, rules, production, backup."""
    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "demo-home"))
    monkeypatch.setenv("GOLIVE_SANITIZE_SALT", "references-salt")
    monkeypatch.chdir(tmp_path)  # messages name files relative to the working directory
    for folder in ("checklists", "features"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "sanitize" / "rules").mkdir(parents=True)
    shutil.copy(ROOT / "sanitize" / "rules" / "demo.yaml", tmp_path / "sanitize" / "rules")
    (tmp_path / "var").mkdir()
    shutil.copy(made / "production.db", tmp_path / "var" / "production.db")
    shutil.copytree(made / "backups", tmp_path / "var" / "backups")
    write(tmp_path, PROFILE)
    return tmp_path


def write(root: Path, data: dict[str, Any], **edits: Any) -> Path:
    """The profile with ``edits`` (``section__key=value``; None deletes the key)."""
    data = yaml.safe_load(yaml.safe_dump(data))
    for dotted, value in edits.items():
        *parents, leaf = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` holding ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def problem_at(path: Path, key: str) -> Problem:
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    found = [p for p in caught.value.problems if p.key == key]
    assert found, [p.format() for p in caught.value.problems]
    return found[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused_before_anything_moved(project: Path, *args: str) -> str:
    """``golive run`` exits 2 with the loader's message; staging was never created and
    production is unchanged."""
    before = digest(project / "var" / "production.db")
    result = CliRunner().invoke(main, ["run", "--profile", str(project / "golive.yaml"), *args])
    assert result.exit_code == 2, result.output
    assert "nothing was run" in result.output and "Traceback" not in result.output
    assert not (project / "var" / "staging.db").exists()
    assert digest(project / "var" / "production.db") == before
    assert not (project / "reports").exists()  # not even a run record
    return result.output


# -- one typo each ---------------------------------------------------------------------------


def test_a_typo_in_the_rules_path_says_which_file_was_meant(project: Path) -> None:
    path = write(project, PROFILE, sanitize__rules="sanitize/rules/demo.yml")
    problem = problem_at(path, "sanitize.rules")
    assert problem.line == line_of(path, "rules: sanitize/rules/demo.yml")
    assert problem.message == "sanitize/rules/demo.yml: no such rule file"
    assert problem.suggestion == "sanitize/rules/demo.yaml"
    assert "did you mean 'sanitize/rules/demo.yaml'?" in refused_before_anything_moved(project)


def test_a_typo_inside_the_rule_file_is_found_at_load_with_its_own_line(project: Path) -> None:
    rules = project / "sanitize" / "rules" / "demo.yaml"
    rules.write_text(rules.read_text().replace("email: {fake: email}", "email: {fak: email}",
                                               1))
    with pytest.raises(ConfigError) as caught:
        load_profile(project / "golive.yaml")
    [problem] = caught.value.problems
    assert problem.file == "sanitize/rules/demo.yaml"
    assert problem.line == line_of(rules, "{fak: email}") and problem.suggestion == "fake"
    refused_before_anything_moved(project)


def test_a_missing_vendor_script(project: Path) -> None:
    (project / "vendor").mkdir()
    (project / "vendor" / "scrub.sql").write_text("UPDATE contacts SET email = NULL;\n")
    path = write(project, PROFILE, sanitize__scripts=["vendor/scrub.sql", "vendor/scrb2.sql"])
    problem = problem_at(path, "sanitize.scripts[1]")
    assert problem.line == line_of(path, "vendor/scrb2.sql")
    assert problem.message == "vendor/scrb2.sql: no such script"
    assert problem.suggestion == "vendor/scrub.sql"
    refused_before_anything_moved(project)


@pytest.mark.parametrize(("key", "typo", "meant", "what"), [
    ("checklists", "checklist", "checklists", "checklist folder"),
    ("features", "feature", "features", "features folder"),
])
def test_a_missing_folder(project: Path, key: str, typo: str, meant: str, what: str) -> None:
    path = write(project, PROFILE, **{f"{key}__dir": typo})
    problem = problem_at(path, f"{key}.dir")
    assert problem.line == line_of(path, f"dir: {typo}")
    assert problem.message == f"{typo}: no such {what}" and problem.suggestion == meant
    refused_before_anything_moved(project)


def test_a_missing_backup_without_generate(project: Path) -> None:
    path = write(project, PROFILE, backup__path="var/backups/pre.manifest.json",
                 backup__generate=None)
    problem = problem_at(path, "backup.path")
    assert problem.line == line_of(path, "path: var/backups/pre.manifest.json")
    assert problem.message.startswith("var/backups/pre.manifest.json: no such backup: the "
                                      "pre-bill-run backup of production must exist")
    refused_before_anything_moved(project)


def test_an_unknown_demo_release(project: Path) -> None:
    path = write(project, PROFILE, target__release="1.1-pool-not-share")
    problem = problem_at(path, "target.release")
    assert problem.line == line_of(path, "release: 1.1-pool-not-share")
    assert problem.message.startswith("'1.1-pool-not-share' is not a demo release (one of 1.0, "
                                      "1.1, 1.1-yearly-one-month")
    assert problem.suggestion == "1.1-pool-not-shared"
    refused_before_anything_moved(project)


def test_an_unknown_release_on_the_command_line(project: Path) -> None:
    output = refused_before_anything_moved(project, "--release", "1.2")
    assert "command line: target.release: '1.2' is not a demo release" in output


def test_the_demo_release_defaults_to_the_demos_newest(project: Path) -> None:
    from demo.releases import DEFAULT_RELEASE
    from harness.targets.loader import open_target

    profile = load_profile(write(project, PROFILE, target__release=None))
    assert profile.target.release is None  # the profile does not pick one …
    target = open_target(profile, "staging")
    assert target.release == DEFAULT_RELEASE  # … the demo does, in one place
    assert open_target(profile, "production").release == "1.0"


def test_a_missing_browser_is_not_a_load_time_problem(project: Path) -> None:
    """Only a run whose selected scenarios use the portals needs one: the preflight says
    so after collection (exit 3; tests/data/hostile/environment/chromium-missing*.yaml)."""
    load_profile(write(project, PROFILE, portals__chromium="/usr/bin/chromum"))


def test_only_a_target_that_makes_backups_may_generate_one(project: Path) -> None:
    path = write(project, PROFILE, target={"kind": "python", "adapter": "platform.x:Adapter"})
    problem = problem_at(path, "backup.generate")
    assert problem.message.startswith("target.kind python cannot generate a backup")


def test_every_problem_at_once(project: Path) -> None:
    path = write(project, PROFILE, sanitize__rules="sanitize/rules/demo.yml",
                 features__dir="feature", target__release="9")
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert {p.key for p in caught.value.problems} == {"sanitize.rules", "features.dir",
                                                      "target.release"}


def test_commands_that_only_read_reports_do_not_need_the_references(project: Path) -> None:
    write(project, PROFILE, features__dir="feature")
    result = CliRunner().invoke(main, ["checklist", "--profile", str(project / "golive.yaml")])
    assert result.exit_code == 0, result.output


# -- backup.generate against the demo's data ----------------------------------------------------


def test_generate_that_no_longer_matches_the_backup_names_both_values(project: Path) -> None:
    path = write(project, PROFILE, backup__generate={"accounts": 10000, "seed": SEED})
    problem = problem_at(path, "backup.generate.accounts")
    assert problem.line == line_of(path, "accounts: 10000")
    assert problem.message.startswith(
        f"asks for 10000 accounts, but the backup {project}/var/backups/"
        f"pre-bill-run.manifest.json already holds {ACCOUNTS}; set backup.generate.accounts: "
        f"{ACCOUNTS}")
    path = write(project, PROFILE, backup__generate={"accounts": ACCOUNTS, "seed": 42})
    assert problem_at(path, "backup.generate.seed").message.startswith(
        f"asks for seed 42, but the backup {project}/var/backups/pre-bill-run.manifest.json "
        f"was generated with seed {SEED}")
    refused_before_anything_moved(project)


def test_generate_that_no_longer_matches_production_stops_the_backup_stage(project: Path
                                                                           ) -> None:
    """No backup yet, production already holds 20 accounts: golive used to back them up
    silently although the profile asks for 10000."""
    shutil.rmtree(project / "var" / "backups")
    before = digest(project / "var" / "production.db")
    profile = load_profile(write(project, PROFILE,
                                 backup__generate={"accounts": 10000, "seed": SEED}))
    record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="golive.yaml",
                       target="demo")
    with pytest.raises(PipelineError) as caught:
        prepare(profile, record)
    assert caught.value.exit_code == 2 and caught.value.stage == "backup"
    error = str(record.stages[0].error)
    line = line_of(project / "golive.yaml", "accounts: 10000")
    assert f"golive.yaml:{line}: backup.generate.accounts: asks for 10000 accounts, but " \
           f"production (sqlite:///{project}/var/production.db) already holds {ACCOUNTS}" in error
    assert [s.outcome for s in record.stages][:2] == [Outcome.FAILED, Outcome.NOT_RUN]
    assert not (project / "var" / "backups").exists()  # nothing backed up
    assert not (project / "var" / "staging.db").exists()
    assert digest(project / "var" / "production.db") == before


@pytest.mark.parametrize("spelling", ["sqlite:///file:var/production.db?uri=true",
                                      "sqlite:///file:./var/production.db"])
def test_production_named_by_a_file_uri_is_never_generated_over(project: Path,
                                                                spelling: str) -> None:
    """The demo generates production only while it holds no demo data. It used to look
    for a file literally named 'file:var/…', find none, and regenerate the real one."""
    import sqlite3

    shutil.rmtree(project / "var" / "backups")
    with sqlite3.connect(project / "var" / "production.db") as conn:
        conn.execute("UPDATE accounts SET name = 'Only In Production' WHERE id = 1")
    before = digest(project / "var" / "production.db")
    profile = load_profile(write(project, PROFILE, environments__production__dsn=spelling))
    record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="golive.yaml",
                       target="demo")

    # production is found (not mistaken for empty and generated over): it already ran this
    # bill run after its backup was taken, so a backup of it now is refused, not made
    with pytest.raises(PipelineError, match="already ran its scheduled bill run of 2026-11-01"):
        prepare(profile, record)
    backup = record.stages[0]
    assert backup.outcome is Outcome.FAILED and "generated" not in backup.evidence
    assert digest(project / "var" / "production.db") == before
    assert not (project / "file:var").exists()
