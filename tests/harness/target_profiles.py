"""Profiles for target tests, loaded through `load_profile` like golive loads them."""

from __future__ import annotations

from pathlib import Path

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
