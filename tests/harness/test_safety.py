"""The safety guard: golive writes only to the profile's staging database, never production.

The profile loader already refuses such profiles; these tests build profile
objects by hand to prove the guard holds on its own at the moment of writing,
and that a refused operation wrote nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from common.dsn import Dsn
from common.errors import SafetyError
from harness.config import Profile
from harness.safety import assert_staging, redact, safe_dsn
from harness.targets.demo import DemoTarget
from tests.harness.target_profiles import by_hand, demo_profile, unmarked


def profile(staging: str, production: str, marked: bool = True) -> Profile:
    return by_hand(staging, production, marked)


def test_the_staging_database_is_allowed(tmp_path: Path) -> None:
    assert_staging(profile(f"sqlite:///{tmp_path}/s.db", f"sqlite:///{tmp_path}/p.db"),
                   f"sqlite:///{tmp_path}/./s.db")


def test_refuses_a_staging_database_not_marked_staging(tmp_path: Path) -> None:
    with pytest.raises(SafetyError, match="not marked 'staging: true'"):
        assert_staging(profile(f"sqlite:///{tmp_path}/s.db", f"sqlite:///{tmp_path}/p.db",
                               marked=False), f"sqlite:///{tmp_path}/s.db")


def test_refuses_any_other_database(tmp_path: Path) -> None:
    p = profile(f"sqlite:///{tmp_path}/s.db", f"sqlite:///{tmp_path}/p.db")
    with pytest.raises(SafetyError, match="not the profile's staging database"):
        assert_staging(p, f"sqlite:///{tmp_path}/p.db")
    with pytest.raises(SafetyError, match="not the profile's staging database"):
        assert_staging(p, f"sqlite:///{tmp_path}/other.db")


@pytest.mark.parametrize(
    ("staging", "production"),
    [
        ("postgresql://qa:pw@localhost/billing", "postgresql+psycopg://ro@127.0.0.1:5432/billing"),
        ("postgresql://qa@/billing?host=/run/postgresql", "postgresql://ro@localhost/billing"),
        ("postgresql://qa@DB.example.com/billing", "postgres://ro@db.example.com:5432/billing"),
    ],
)
def test_refuses_staging_that_is_production_under_another_spelling(
    staging: str, production: str
) -> None:
    with pytest.raises(SafetyError, match="is the production database"):
        assert_staging(profile(staging, production), staging)


def test_sqlite_files_compare_by_resolved_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "var")
    assert Dsn("sqlite:///var/x.db").key() == Dsn(f"sqlite:///{tmp_path}/link/x.db").key()
    assert Dsn("var/x.db").key() == Dsn(f"sqlite:///{tmp_path}/var/x.db").key()
    with pytest.raises(SafetyError, match="is the production database"):
        assert_staging(profile("sqlite:///var/x.db", f"sqlite:///{tmp_path}/link/x.db"),
                       "sqlite:///var/x.db")


def test_messages_never_show_a_password() -> None:
    secret = "hunter2-Secret"
    staging = f"postgresql://qa:{secret}@db1.example.com/billing"
    production = f"postgresql://ro:{secret}@db1.example.com/billing"
    for wrong in (production, f"postgresql://x:{secret}@elsewhere/db"):
        with pytest.raises(SafetyError) as caught:
            assert_staging(profile(staging, production), wrong)
        assert secret not in str(caught.value)
        assert "***" in str(caught.value)
    assert secret not in safe_dsn(staging)
    assert redact(f"connection to {staging} failed: password {secret} rejected",
                  [staging]).count(secret) == 0


# --- a refused operation writes nothing --------------------------------------------------


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real demo backup of a small generated production database."""
    from demo.backup import backup as demo_backup
    from demo.generate import generate

    root = tmp_path_factory.mktemp("prod")
    url = f"sqlite:///{root / 'production.db'}"
    generate(url, 20, 3)
    manifest = demo_backup(url, root / "backups")
    assert manifest.path is not None
    return manifest.path


def _same_database(profile: Profile, staging_dsn: str) -> Profile:
    """``profile`` with staging pointed at ``staging_dsn``: a profile the loader refuses when
    that is production, built to prove the guard at the moment of writing holds alone."""
    envs = profile.environments
    dsn = Dsn(staging_dsn)
    staging = envs.staging.model_copy(update={"dsn": dsn})
    return profile.model_copy(
        update={"environments": envs.model_copy(update={"staging": staging})})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unmarked_staging_is_not_restored_billed_or_redirected(
    tmp_path: Path, backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "home"))
    staging = tmp_path / "staging.db"
    p = unmarked(demo_profile(tmp_path, f"sqlite:///{staging}",
                              production=f"sqlite:///{tmp_path}/p.db"))
    target = DemoTarget(p, "staging")
    with pytest.raises(SafetyError):
        target.restore(backup)
    assert not staging.exists()  # not even created

    staging.write_bytes((backup.parent / backup.name.replace(".manifest.json", ".sqlite"))
                        .read_bytes())
    before = digest(staging)
    with pytest.raises(SafetyError):
        target.run_bill_run(dt.date(2026, 11, 1))
    with pytest.raises(SafetyError):
        target.outbound.redirect({"mail": "smtp://127.0.0.1:2525"})
    with pytest.raises(SafetyError):
        target.billing_service("start")
    assert target.billing_service("status") == "stopped"
    target.close()
    assert digest(staging) == before


def test_production_is_never_restored_over(tmp_path: Path, backup: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "home"))
    production = tmp_path / "production.db"
    production.write_bytes((backup.parent / backup.name.replace(".manifest.json", ".sqlite"))
                           .read_bytes())
    with sqlite3.connect(production) as conn:
        conn.execute("UPDATE accounts SET name = 'Only In Production' WHERE id = 1")
    before = digest(production)
    # staging and production are one file, spelled two ways
    p = _same_database(demo_profile(tmp_path, f"sqlite:///{tmp_path}/staging.db",
                                    production=f"sqlite:///{production}"),
                       f"sqlite:///{tmp_path}/./production.db")
    for environment in ("staging", "production"):
        target = DemoTarget(p, environment)
        with pytest.raises(SafetyError):
            target.restore(backup)
        target.close()
    assert digest(production) == before
