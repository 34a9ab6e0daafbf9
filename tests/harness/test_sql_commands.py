"""The SQL target's commands: placeholders and ${VAR} in one pass (the escaping rule), the
profile's folder as working directory, and each command's exit code, duration and last lines
as stage evidence — a failing one named with its stderr's tail. Real processes, real SQLite."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from harness.config import Profile, load_profile
from harness.pipeline import PipelineError, prepare
from harness.record import Outcome, RunRecord, new_run_id, now
from harness.targets.base import TargetError
from harness.targets.command_line import parse
from harness.targets.loader import open_target
from harness.targets.sql import SqlTarget
from tests.furnish import furnish
from tests.harness.test_targets import DATA, build

PROBE = DATA / "argv_probe.py"


def _profile(root: Path, commands: dict[str, str], env: dict[str, str],
             staging: str | None = None) -> Profile:
    data = yaml.safe_load((DATA / "sql_profile.yaml").read_text())
    data["target"]["commands"] = commands
    data["backup"] = {"path": "backup/pre-bill-run.db"}
    root.mkdir(parents=True, exist_ok=True)
    furnish(root, data["backup"]["path"])
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_profile(path, env={"PYTHON": sys.executable, "PROBE": str(PROBE),
                                   "STAGING_DSN": staging or f"sqlite:///{root / 'staging.db'}",
                                   "PRODUCTION_DSN": f"sqlite:///{root / 'production.db'}",
                                   **env})


def _said(target: SqlTarget, key: str) -> dict[str, object]:
    done = target.commands.run(key, "test", date=dt.date(2026, 11, 1))
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_each_placeholder_fills_one_word_and_env_values_stay_literal(tmp_path: Path) -> None:
    root = tmp_path / "profile dir"
    profile = _profile(root, {"bill_run": (
        '${PYTHON} ${PROBE} {date} {database} "{profile_dir}/a b" {backup} {state_dir} '
        "${ODD} $${{HOME}} {{date}} $$5 pre-{date}-post {host}{port}{user}")},
        env={"ODD": "{date} ${HOME} {{x}}"})
    target = open_target(profile)
    assert isinstance(target, SqlTarget)
    try:
        said = _said(target, "bill_run")
    finally:
        target.close()
    assert said["argv"] == [
        "2026-11-01", str(root / "staging.db"), f"{root}/a b",
        str(root / "backup" / "pre-bill-run.db"), str(root / "reports" / ".state"),
        "{date} ${HOME} {{x}}",  # an environment value is never read for placeholders
        "${HOME}", "{date}", "$5", "pre-2026-11-01-post",
        "",  # SQLite has no host, port or user
    ]
    assert said["cwd"] == str(root)  # relative paths start in the profile's folder
    assert said["dsn"] == f"sqlite:///{root / 'staging.db'}"


def test_server_dsn_parts_are_placeholders_and_the_password_stays_in_the_environment(
        tmp_path: Path) -> None:
    staging = "postgresql://golive:s3cret@db.staging.example:6543/billing"
    profile = _profile(tmp_path, {"bill_run": "${PYTHON} ${PROBE} {database} {host} {port} {user}"},
                       env={}, staging=staging)
    target = open_target(profile)
    assert isinstance(target, SqlTarget)
    try:
        said = _said(target, "bill_run")
        evidence = target.take_evidence()["commands"]
    finally:
        target.close()
    assert said["argv"] == ["billing", "db.staging.example", "6543", "golive"]
    assert said["dsn"] == staging  # the whole DSN only in $GOLIVE_DSN
    assert "s3cret" not in json.dumps(evidence)
    assert evidence[0]["line"] == "${PYTHON} ${PROBE} {database} {host} {port} {user}"
    assert evidence[0]["values"] == {"database": "billing", "host": "db.staging.example",
                                     "port": "6543", "user": "golive"}


def test_the_escaping_rule_is_doubling() -> None:
    line, problems = parse("tool $$ $${{X}} {{ }} {{date}} $x", {"X": "never"})
    assert problems == [] and line is not None
    assert line.argv({}) == ["tool", "$", "${X}", "{", "}", "{date}", "$x"]
    assert parse("tool {date", {})[1] == [
        "a lone '{': write {{ for a literal {, or {name} for a placeholder"]
    assert "did you mean {backup}" in parse("tool {bakup}", {})[1][0]
    assert "environment variable NOPE is not set" in parse("tool ${NOPE}", {})[1][0]
    assert parse("tool ${NOPE:-fallback}", {})[0].argv({}) == ["tool", "fallback"]  # type: ignore[union-attr]


def _sqlite_backup(root: Path) -> None:
    production = root / "production.db"
    build(f"sqlite:///{production}")
    (root / "backup").mkdir(parents=True, exist_ok=True)
    shutil.copy(production, root / "backup" / "pre-bill-run.db")


def test_a_failing_command_is_named_with_its_stderr_tail_in_the_stage_evidence(
        tmp_path: Path) -> None:
    staging = "sqlite:///" + str(tmp_path / "staging.db")
    profile = _profile(tmp_path, {"bill_run": "${PYTHON} ${PROBE} --fail 3"}, env={},
                       staging=staging)
    _sqlite_backup(tmp_path)
    record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(), profile="t", target="sql")
    with pytest.raises(PipelineError) as info:
        prepare(profile, record)
    stage = {s.name: s for s in record.stages}["bill_run"]
    assert stage.outcome is Outcome.FAILED
    assert stage.error is not None
    assert "target.commands.bill_run failed with exit code 3" in stage.error
    assert "stderr line 20" in stage.error and "stderr line 1\n" not in stage.error
    ran = stage.evidence["commands"]
    assert [c["command"] for c in ran] == ["bill_run"]
    assert ran[0]["exit_code"] == 3 and ran[0]["seconds"] >= 0
    assert ran[0]["stderr_tail"][-1].startswith("cannot connect to")
    assert ran[0]["stderr_tail"][0] == "stderr line 10"  # the last 12 lines
    assert ran[0]["stdout_tail"] == ["some output on stdout"]
    assert "bill_run" in str(info.value)


def test_a_command_that_cannot_start_says_where_it_looked(tmp_path: Path) -> None:
    profile = _profile(tmp_path, {"bill_run": "./bin/no-such-tool {date}"}, env={})
    target = open_target(profile)
    try:
        with pytest.raises(TargetError, match=r"cannot start '.*/bin/no-such-tool'.*relative "
                                              r"paths start in"):
            target.run_bill_run(dt.date(2026, 11, 1))
        assert target.take_evidence()["commands"][0]["exit_code"] is None  # type: ignore[attr-defined]
    finally:
        target.close()
