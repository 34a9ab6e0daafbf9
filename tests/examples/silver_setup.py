"""django-silver's two releases installed by the platform's own setup script, once per machine.

Test modules on different xdist workers may ask at the same moment; a file lock makes the
second wait for the first instead of building the same virtualenvs twice at once.
"""

from __future__ import annotations

import fcntl
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "examples" / "silver" / "platform"
VAR = ROOT / "examples" / "silver" / "var"


def _registry_reachable(tmp: Path) -> tuple[bool, str]:
    probe = subprocess.run(
        ["python3", "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--dest", str(tmp),
         "django-silver==0.11.1"], capture_output=True, text=True, timeout=300, check=False)
    last = probe.stderr.strip().splitlines()[-1:]
    return probe.returncode == 0, last[0] if last else f"exit code {probe.returncode}"


def install(tmp: Path) -> None:
    """Run ``setup`` (idempotent: about a second when both releases are in place); skip only
    when the registry is unreachable, fail when setup fails although it answers."""
    VAR.mkdir(parents=True, exist_ok=True)
    with (VAR / ".setup.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run([str(PLATFORM / "setup")], capture_output=True, text=True,
                              timeout=1200, check=False)
    if done.returncode != 0:
        reachable, why = _registry_reachable(tmp)
        if not reachable:
            pytest.skip(f"the pip registry is unreachable, cannot install django-silver: {why}")
        pytest.fail(f"setup failed although the registry answers:\n{done.stdout}\n{done.stderr}")
