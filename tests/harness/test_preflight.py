"""Preflight: what a run needs from the machine is checked before anything is written.

The read-only and full reports folders (tmpfs mounts, or permissions for a
non-root user) and a missing Chromium through `golive run` are hostile cases
in tests/data/hostile/environment/; here each check on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.errors import EnvironmentProblem
from harness import preflight
from harness.config import load_profile
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
    (tmp_path / "checklists").mkdir()
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
