"""Fixtures for stopping golive: the shared 20-account production, projects, a lock folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock

from harness.config import load_profile
from harness.targets.loader import open_target
from tests.stopping.project import make_project


@pytest.fixture(scope="session")
def stop_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session folder whose shared/ holds production (20 accounts) and its backup."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # shared by this session's workers
        root = root.parent
    base = root / "golive-stopping"
    base.mkdir(exist_ok=True)
    with FileLock(str(base / "prepare.lock")):
        manifest = base / "shared" / "backups" / "pre-bill-run.manifest.json"
        if not manifest.exists():
            project = make_project(base / "bootstrap", base / "shared")
            profile = load_profile(project / "golive.yaml")
            target = open_target(profile)
            try:
                assert target.backup is not None  # the demo makes its own backup
                target.backup.locate(manifest, profile.backup.generate, profile.bill_run.date)
            finally:
                target.close()
    return base


@pytest.fixture
def lock_dir(tmp_path: Path) -> Path:
    return tmp_path / "locks"


@pytest.fixture
def project(stop_base: Path, tmp_path: Path) -> Path:
    """A fresh project on the shared production, with its own staging database."""
    return make_project(tmp_path / "project", stop_base / "shared")
