"""End-to-end: the real `golive run` pipeline on the demo target, per release.

Production (the generated pre-bill-run database on release 1.0) and its backup
are made once per test session; every run restores its own staging copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOLIVE = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]


@dataclass
class RunOutcome:
    exit_code: int
    output: str
    record: dict[str, Any]
    run_dir: Path

    @property
    def verdict(self) -> str:
        return str(self.record["verdict"])

    def failed_items(self) -> set[str]:
        return {
            c["item_id"] for c in self.record["checklist"]
            if c["coverage"] not in ("verified", "manual_pass", "waived")
        }

    def failed_accounts(self) -> set[str]:
        return {name for a in self.record["accounts"] if not a["ok"]
                for name in (a["account"], a.get("label")) if name}

    def failed_gate_rules(self) -> set[str]:
        return {g["name"] for g in self.record["gate"] if not g["passed"]}


def write_profile(base: Path, name: str, **changes: Any) -> Path:
    """A copy of the project's golive.yaml with its own staging database and reports."""
    profile = yaml.safe_load((ROOT / "golive.yaml").read_text())
    shared = base / "shared"
    own = base / name
    own.mkdir(parents=True, exist_ok=True)
    profile["environments"]["production"]["dsn"] = f"sqlite:///{shared / 'production.db'}"
    profile["environments"]["staging"]["dsn"] = f"sqlite:///{own / 'staging.db'}"
    profile["backup"]["path"] = str(shared / "backups" / "pre-bill-run.manifest.json")
    profile["checklists"]["dir"] = str(ROOT / "checklists")
    profile["features"]["dir"] = str(ROOT / "features")
    profile["sanitize"]["rules"] = str(ROOT / "sanitize" / "rules" / "demo.yaml")
    profile["report"]["dir"] = str(own / "reports")
    for dotted, value in changes.items():
        node = profile
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = own / "golive.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return path


def golive(*args: str, cwd: Path = ROOT, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("GOLIVE_SANITIZE_SALT", "e2e-salt-for-tests")
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [*GOLIVE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def e2e_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session-wide folder whose shared/ holds production and its backup, made once."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # shared by this session's workers only
        root = root.parent
    base = root / "golive-e2e"
    base.mkdir(exist_ok=True)
    from filelock import FileLock

    with FileLock(str(base / "prepare.lock")):
        manifest = base / "shared" / "backups" / "pre-bill-run.manifest.json"
        if not manifest.exists():
            # A run with no scenarios selected still prepares production and the backup.
            profile = write_profile(base, "bootstrap")
            done = golive("run", "--profile", str(profile), "--", "-k", "no-such-scenario")
            assert manifest.exists(), done.stdout + done.stderr
    return base


@pytest.fixture(scope="session")
def run_release(e2e_base: Path) -> Callable[..., RunOutcome]:
    def run(release: str, *extra: str, **changes: Any) -> RunOutcome:
        profile = write_profile(e2e_base, f"release-{release}", **changes)
        done = golive("run", "--profile", str(profile), "--release", release, *extra)
        output = done.stdout + done.stderr
        latest = profile.parent / "reports" / "latest"
        assert (latest / "run.json").exists(), output
        record = json.loads((latest / "run.json").read_text())
        return RunOutcome(done.returncode, output, record, latest.resolve())

    return run
