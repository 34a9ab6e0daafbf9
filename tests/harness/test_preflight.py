"""Preflight: what a run needs from the machine is checked before anything is written.

The read-only and full reports folders (tmpfs mounts, or permissions for a
non-root user) and a missing Chromium through `golive run` are hostile cases
in tests/data/hostile/environment/; here each check on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.errors import EnvironmentProblem, GoliveError
from harness import preflight
from harness.config import load_profile
from tests.furnish import furnish
from tests.harness.plugin_project import CHECKLIST, PROFILE


def test_the_run_folder_is_made_and_measured_and_no_probe_stays(tmp_path: Path) -> None:
    run_dir = tmp_path / "reports" / "run-1"
    evidence = preflight.reports(run_dir)
    assert run_dir.is_dir() and list(run_dir.iterdir()) == []
    assert evidence["reports_free_mib"] > 0


def test_a_file_where_the_reports_folder_belongs_is_an_environment_problem(
        tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("mine")
    with pytest.raises(EnvironmentProblem, match="is a file, not a folder") as info:
        preflight.reports(tmp_path / "reports" / "run-1")
    assert info.value.exit_code == 3
    assert (tmp_path / "reports").read_text() == "mine"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions; see the "
                    "read-only tmpfs hostile case")
def test_a_read_only_reports_folder_is_an_environment_problem(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir(mode=0o555)
    with pytest.raises(EnvironmentProblem, match="cannot write in the run folder"):
        preflight.reports(reports / "run-1")


def _profile(tmp_path: Path, chromium: str | None) -> Path:
    text = PROFILE
    if chromium is not None:
        text += f"portals:\n  chromium: {chromium}\n"
    (tmp_path / "golive.yaml").write_text(text)
    furnish(tmp_path, "backup.db")
    (tmp_path / "checklists" / "critical.yaml").write_text(CHECKLIST)
    return tmp_path / "golive.yaml"


def test_no_browser_is_looked_for_when_no_scenario_needs_one(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, "/nonexistent"))
    evidence = preflight.machine(profile, set())
    assert evidence["needs"] == [] and "browser" not in evidence
    assert profile.state_dir.is_dir()


@pytest.mark.parametrize(("chromium", "message"), [
    ("/nonexistent", "Chromium not found at /nonexistent"),
    ("/bin/true", "Chromium at /bin/true did not start"),
])
def test_a_missing_or_broken_browser_is_named_with_its_fix(
        tmp_path: Path, chromium: str, message: str) -> None:
    profile = load_profile(_profile(tmp_path, chromium))
    with pytest.raises(EnvironmentProblem, match=message) as info:
        preflight.machine(profile, {"browser"})
    assert info.value.exit_code == 3
    if chromium == "/nonexistent":
        assert "apt-get install chromium" in info.value.message


@pytest.mark.browser
def test_a_working_browser_is_started_once_and_named(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, None))
    evidence = preflight.machine(profile, {"browser"})
    assert evidence["browser"].startswith("Chromium ")


# -- the sanitize salt ----------------------------------------------------------------------
def _sanitizing_profile(tmp_path: Path, salt_line: str) -> Path:
    path = _profile(tmp_path, None)
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nsalt_env: HOSTILE_TEST_SALT\n"
                     "tables: {import_batches: {action: truncate}}\n")
    path.write_text(path.read_text() + f"sanitize:\n  enabled: true\n  rules: {rules}\n"
                    + salt_line)
    return path


def test_a_missing_salt_is_found_before_the_first_stage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOSTILE_TEST_SALT", raising=False)
    profile = load_profile(_sanitizing_profile(tmp_path, ""))
    with pytest.raises(GoliveError, match=r"HOSTILE_TEST_SALT .* is not set") as info:
        preflight.machine(profile, set())
    assert info.value.exit_code == 2
    monkeypatch.setenv("HOSTILE_TEST_SALT", "long-enough-salt")
    assert preflight.machine(profile, set())["sanitize_salt"] == "HOSTILE_TEST_SALT"


def test_the_profile_salt_is_used_and_never_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOSTILE_TEST_SALT", raising=False)
    monkeypatch.setenv("MY_SECRET_SALT", "s3cret-salt-value")
    profile = load_profile(_sanitizing_profile(tmp_path, "  salt: ${MY_SECRET_SALT}\n"))
    assert profile.sanitize.secret() == "s3cret-salt-value"
    assert "s3cret" not in repr(profile) and "s3cret" not in str(profile.sanitize)
    assert preflight.machine(profile, set())["sanitize_salt"] == "profile"
    other = tmp_path / "other"
    other.mkdir()
    short = load_profile(_sanitizing_profile(other, "  salt: short\n"))
    with pytest.raises(GoliveError, match="shorter than 8"):
        preflight.machine(short, set())
