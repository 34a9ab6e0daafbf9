"""Two things any SQL profile of a real platform needs: queries kept in the platform's own
.sql files (``{file: …}``), and settings compared with production by pattern
(``must_match_production: ["plan *"]``). Real SQLite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from common.errors import ConfigError
from harness.config import Profile, load_profile
from harness.record import RunRecord
from harness.stages import billing
from harness.stages.context import StageContext
from harness.stages.data import StageFailed
from harness.targets.loader import open_target
from tests.furnish import furnish
from tests.harness.test_watermark import DATA, SCHEMA


def _profile(root: Path, must_match: list[str], settings_query: object) -> Profile:
    production = root / "production.db"
    engine = sa.create_engine(f"sqlite:///{production}")
    with engine.begin() as conn:
        for statement in [*SCHEMA.split(";"), "INSERT INTO config VALUES ('plan A', '9.99')",
                          "INSERT INTO config VALUES ('plan B', '5.00')"]:
            if statement.strip():
                conn.execute(sa.text(statement))
    engine.dispose()
    shutil.copy(production, root / "staging.db")
    data = yaml.safe_load((DATA / "no_runs_profile.yaml").read_text())
    data["target"]["queries"]["billing_settings"] = settings_query
    data["bill_run"]["must_match_production"] = must_match
    furnish(root, data["backup"]["path"])
    path = root / "golive.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_profile(path, env={"PYTHON": sys.executable, "HERE": str(DATA),
                                   "PRODUCTION_DSN": f"sqlite:///{production}",
                                   "STAGING_DSN": f"sqlite:///{root / 'staging.db'}"})


def _diff(profile: Profile) -> dict[str, object]:
    target = open_target(profile)
    try:
        ctx = StageContext(profile=profile, target=target, record=RunRecord(
            run_id="r", started_at="2026-11-01T00:00:00", profile="p", target="sql"))
        return billing.config_diff(ctx)[1]
    finally:
        target.close()


def test_a_query_from_the_platforms_sql_file(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "settings.sql").write_text(
        "-- the platform's own settings query\nSELECT k AS key, v AS value FROM config\n")
    profile = _profile(tmp_path, ["currency"], {"file": "sql/settings.sql"})
    assert _diff(profile)["drift"] == []
    (tmp_path / "x").mkdir()
    with pytest.raises(ConfigError) as info:
        _profile(tmp_path / "x", [], {"file": "sql/none.sql"})
    assert "target.queries.billing_settings.file: cannot read" in str(info.value)
    assert "none.sql" in str(info.value)


def test_settings_compared_by_pattern(tmp_path: Path) -> None:
    query = "SELECT k AS key, v AS value FROM config"
    profile = _profile(tmp_path, ["plan *", "currency"], query)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'staging.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE config SET v = '10.99' WHERE k = 'plan A'"))
    engine.dispose()
    with pytest.raises(StageFailed, match=r"plan A: staging '10.99', production '9.99'") as info:
        _diff(profile)
    assert set(info.value.evidence["compared"]) == {"plan A", "plan B", "currency"}
    (tmp_path / "n").mkdir()
    nothing = _profile(tmp_path / "n", ["bundle *"], query)
    with pytest.raises(StageFailed, match=r"bundle \* matches no setting"):
        _diff(nothing)


def test_paths_up_the_tree_are_normalised(tmp_path: Path) -> None:
    """A profile beside its platform (``../var/reports``): no ".." left for tools that
    compare paths (pytest refuses a cache folder that seems to escape itself)."""
    (tmp_path / "golive").mkdir()
    profile = _profile(tmp_path / "golive", [], "SELECT k AS key, v AS value FROM config")
    moved = load_profile(profile.path, overrides={"report.dir": "../var/reports"},
                         env={"PYTHON": sys.executable, "HERE": str(DATA),
                              "PRODUCTION_DSN": "sqlite:///p.db", "STAGING_DSN": "sqlite:///s.db"})
    assert moved.report.dir == tmp_path / "var" / "reports"
    assert ".." not in moved.state_dir.parts
