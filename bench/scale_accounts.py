"""The accounts leg of ``bench scale``: the whole demo pipeline at N accounts.

Per size a folder ``bench/var/scale/accounts-N`` holds a copy of the project's
profile pointed at its own production, backup, staging and reports. Production
(release 1.0, seed 42, its own bill run) and its pre-bill-run backup are made
once and kept; every measured run starts from an empty reports folder, so the
baseline is captured, staging restored, sanitized, locked down, billed on 1.1
by the platform's billing service, compared and verified by every feature,
exactly as a first ``golive run`` does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench import scale_measure as measure

ROOT = measure.ROOT
GOLIVE = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())"]


@dataclass
class AccountsRun:
    accounts: int
    made_production: float | None  # seconds, when production was made for this run
    wall: float
    exit_code: int
    record: dict[str, Any]
    cpu: dict[str, float]  # by process kind
    split: measure.Split | None
    load_before: str
    load_after: str
    problems: list[str] = field(default_factory=list)

    @property
    def stages(self) -> dict[str, float]:
        return {s["name"]: float(s.get("duration") or 0.0) for s in self.record.get("stages", [])}


def write_profile(folder: Path, accounts: int) -> Path:
    profile = yaml.safe_load((ROOT / "golive.yaml").read_text(encoding="utf-8"))
    profile["environments"]["production"]["dsn"] = f"sqlite:///{folder / 'production.db'}"
    profile["environments"]["staging"]["dsn"] = f"sqlite:///{folder / 'staging.db'}"
    profile["backup"]["path"] = str(folder / "backups" / "pre-bill-run.manifest.json")
    profile["backup"]["generate"] = {"accounts": accounts, "seed": 42}
    profile["checklists"]["dir"] = str(ROOT / "checklists")
    profile["features"]["dir"] = str(ROOT / "features")
    profile["sanitize"]["rules"] = str(ROOT / "sanitize" / "rules" / "demo.yaml")
    profile["report"]["dir"] = str(folder / "reports")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "golive.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return path


def ensure_production(profile_path: Path) -> float | None:
    """Make production and its backup when missing (the platform's generator and its own
    bill run on 1.0, through the demo target's backup locator); seconds taken, or None
    when they were there."""
    from harness.config import load_profile
    from harness.targets.demo.backup import DemoBackup

    profile = load_profile(profile_path)
    backup = profile.backup.path
    if backup.exists():
        return None
    folder = profile_path.parent
    for stale in ("production.db", "staging.db", "backups", "reports"):
        target = folder / stale
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    started = time.perf_counter()
    DemoBackup(profile).locate(backup, profile.backup.generate, profile.bill_run.date)
    return time.perf_counter() - started


def run(folder: Path, accounts: int, workers: int, py_spy: Path | None) -> AccountsRun:
    profile = write_profile(folder, accounts)
    made = ensure_production(profile)
    shutil.rmtree(folder / "reports", ignore_errors=True)  # a first run: baseline included
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("GOLIVE_SANITIZE_SALT", "demo-only-salt-not-secret")
    before = measure.load()
    log = folder / "golive-run.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.Popen([*GOLIVE, "run", "--profile", str(profile), "-n", str(workers)],
                                 cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        cpu = measure.ProcessCpu(child.pid).start()
        sampler = None
        if py_spy is not None:
            sampler = measure.Sampler(py_spy, child.pid, folder / "samples.txt")
        code = child.wait()
        wall = time.perf_counter() - started
        cpu.stop()
    problems: list[str] = []
    split = None
    if sampler is not None:
        try:
            sampler.wait()
            split = measure.split_samples(sampler.out, cpu.procs)
        except measure.SamplerUnavailable as exc:
            problems.append(f"no samples: {exc}")
    record = _record(folder, problems)
    problems += _incomplete(record, code)
    return AccountsRun(accounts, made, wall, code, record, cpu.by_kind(), split, before,
                       measure.load(), problems)


def _record(folder: Path, problems: list[str]) -> dict[str, Any]:
    path = folder / "reports" / "latest" / "run.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"no run record: {exc}")
        return {}
    return data if isinstance(data, dict) else {}


def _incomplete(record: dict[str, Any], code: int) -> list[str]:
    """Figures of a run that did not do the whole job measure something else: FAILED."""
    found = []
    if record.get("status") != "complete":
        found.append(f"the run is {record.get('status')!r}, not complete")
    bad = [s["name"] for s in record.get("stages", []) if s.get("outcome") != "passed"]
    if bad:
        found.append(f"stages not passed: {', '.join(bad)}")
    unrun = [s["name"] for s in record.get("scenarios", []) if s.get("outcome") != "passed"]
    if unrun:
        found.append(f"{len(unrun)} scenario(s) not passed, e.g. {unrun[0]}")
    if record.get("verdict") != "GO" or code != 0:
        found.append(f"verdict {record.get('verdict')!r}, exit code {code} (expected GO, 0)")
    return found


def features_wall(record: dict[str, Any], wall: float) -> float:
    """The run's wall time outside the stages: start, collection, features, finish."""
    stages = sum(float(s.get("duration") or 0.0) for s in record.get("stages", []))
    return max(wall - stages, 0.0)
