"""golive loads wherever the features are: a user's folder with a profile, checklists and
.feature files only — no conftest.py, no test module — run by plain pytest or `golive run`
in a real subprocess (the plugin arrives through its pytest11 entry point)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.record import Outcome, RunRecord
from tests.harness.plugin_project import (
    CHECKLIST,
    FAKE_STEPS,
    FAKE_TARGET,
    PASSING,
    PROFILE,
)

GOLIVE = Path(sys.executable).with_name("golive")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project outside golive's checkout, as a new user writes it."""
    root = tmp_path / "acme-billing"
    (root / "checklists").mkdir(parents=True)
    (root / "features").mkdir()
    (root / "golive.yaml").write_text(PROFILE, encoding="utf-8")
    (root / "backup.db").touch()  # backup.path: the loader checks it exists
    (root / "checklists" / "critical.yaml").write_text(CHECKLIST, encoding="utf-8")
    (root / "features" / "billing.feature").write_text(PASSING, encoding="utf-8")
    (root / "fake_target.py").write_text(FAKE_TARGET, encoding="utf-8")
    (root / "fake_steps.py").write_text(FAKE_STEPS, encoding="utf-8")
    return root


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def only_run(project: Path) -> RunRecord:
    runs = [p for p in (project / "reports").iterdir() if p.is_dir() and not p.is_symlink()
            and not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return RunRecord.load(runs[0] / "run.json")


def test_plain_pytest_collects_a_features_folder_with_nothing_else(
        project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    done = run([sys.executable, "-m", "pytest", str(project / "features"),
                f"--golive-profile={project / 'golive.yaml'}", "--golive-no-prepare",
                "-p", "no:cacheprovider"], elsewhere)
    assert done.returncode == 1, done.stdout + done.stderr  # not prepared: never GO
    assert "2 passed" in done.stdout
    record = only_run(project)
    assert [s.outcome for s in record.scenarios] == [Outcome.PASSED, Outcome.PASSED]
    assert {s.feature for s in record.scenarios} == {"features/billing.feature"}
    assert not list(project.rglob("conftest.py")) and not list(project.rglob("test_*.py"))


def test_golive_run_passes_pytest_arguments_verbatim(project: Path, tmp_path: Path) -> None:
    done = run([str(GOLIVE), "run", "--profile", str(project / "golive.yaml"), "--",
                "-p", "no:cacheprovider", "--golive-no-prepare"], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    record = only_run(project)
    # "no:cacheprovider" was an option's value, not a path: only the user's features ran
    assert [s.name for s in record.scenarios] == ["A payment is taken", "Bob is billed right"]


def test_golive_state_stays_out_of_the_users_folders(project: Path) -> None:
    done = run([str(GOLIVE), "run", "--profile", "golive.yaml", "--",
                "--golive-no-prepare"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert not (project / ".pytest_cache").exists()
    assert not (project / "features" / ".pytest_cache").exists()
    assert not (project / ".cache").exists()
    assert (project / "reports" / ".state" / "pytest-cache").is_dir()


def test_paths_given_to_pytest_select_what_runs(project: Path) -> None:
    (project / "features" / "other.feature").write_text(
        PASSING.replace("Feature: Billing", "Feature: Other"), encoding="utf-8")
    done = run([str(GOLIVE), "run", "--profile", "golive.yaml", "--",
                "features/other.feature", "--golive-no-prepare"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert {s.feature for s in only_run(project).scenarios} == {"features/other.feature"}


def test_a_users_own_test_module_does_not_run_scenarios_twice(project: Path) -> None:
    (project / "features" / "test_features.py").write_text(
        "from pytest_bdd import scenarios\n\nscenarios('.')\n", encoding="utf-8")
    done = run([sys.executable, "-m", "pytest", "--golive-profile=golive.yaml",
                "--golive-no-prepare", "-p", "no:cacheprovider"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(only_run(project).scenarios) == 2


def test_a_step_module_that_cannot_be_imported_is_a_configuration_error(project: Path) -> None:
    text = (project / "golive.yaml").read_text().replace("steps: [fake_steps]",
                                                         "steps: [no_such_steps]")
    (project / "golive.yaml").write_text(text)
    done = run([str(GOLIVE), "run", "--profile", "golive.yaml"], project)
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "features.steps: cannot load step module 'no_such_steps'" in said
    assert "Traceback" not in said
