"""Profiles for target tests, loaded through `load_profile` like golive loads them."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from common.dsn import Dsn
from harness.config import Profile, load_profile

DEMO = """\
name: demo target test
target:
  kind: demo
  release: "{release}"
environments:
  production:
    dsn: "{production}"
    read_only: true
  staging:
    dsn: "{staging}"
    staging: true
backup:
  path: backups/pre-bill-run.manifest.json
bill_run:
  date: 2026-11-01
lockdown:
  channels:
    mail:
      sends:
        per_invoice: true
"""


def demo_profile(root: Path, staging: str, release: str = "1.1",
                 production: str | None = None) -> Profile:
    """A demo profile in ``root`` whose staging database is ``staging``."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "golive-demo.yaml"
    path.write_text(DEMO.format(release=release, staging=staging,
                                production=production or f"sqlite:///{root / 'prod.db'}"),
                    encoding="utf-8")
    # target tests need no backup, checklists or features: the references go unchecked
    return load_profile(path, env={}, references=False)


def unmarked(profile: Profile) -> Profile:
    """``profile`` with its staging database no longer marked ``staging: true``: a profile
    the loader refuses, built to prove the guard at the moment of writing holds alone."""
    envs = profile.environments
    staging = envs.staging.model_copy(update={"staging": False})
    return profile.model_copy(
        update={"environments": envs.model_copy(update={"staging": staging})})


_BY_HAND = tempfile.TemporaryDirectory(prefix="golive-by-hand-")


@functools.cache
def _base() -> Profile:
    root = Path(_BY_HAND.name)
    return demo_profile(root, f"sqlite:///{root / 'staging.db'}")


def by_hand(staging: str, production: str, marked: bool = True) -> Profile:
    """A real profile whose environments are ``staging`` and ``production`` exactly as
    written, built past the loader's own checks (one database twice, staging unmarked):
    the guards at the moment of writing must hold on their own."""
    base = _base()
    envs = base.environments
    return base.model_copy(update={"environments": envs.model_copy(update={
        "staging": envs.staging.model_copy(update={"dsn": Dsn(staging), "staging": marked}),
        "production": envs.production.model_copy(update={"dsn": Dsn(production)})})})
