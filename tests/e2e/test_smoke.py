"""End-to-end: `golive smoke` after go-live, on a demo production that went live on 1.1.

The real command, real portals on production (read-only) and a real Chromium. The
production database must not change by one byte, even when a writing scenario is
forced into the selection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from tests.e2e.conftest import golive, write_profile

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profile whose production went live on 1.1 (upgraded, billed on 1.1)."""
    from demo.billing import run_bill_run
    from demo.db import make_engine
    from demo.generate import generate
    from demo.releases import get_release
    from demo.upgrade import upgrade

    base = tmp_path_factory.mktemp("smoke")
    production = base / "production.db"
    generate(f"sqlite:///{production}", 60, 42, as_of=dt.date(2026, 10, 31))
    engine = make_engine(f"sqlite:///{production}")
    upgrade(engine, get_release("1.1"))
    run_bill_run(engine, dt.date(2026, 11, 1), get_release("1.1"))
    engine.dispose()
    return write_profile(base, "live", environments__production__dsn=f"sqlite:///{production}")


def test_smoke_runs_the_readonly_scenarios_against_production(live: Path) -> None:
    production = live.parent.parent / "production.db"
    before = digest(production)
    # the event log is the next test's: this go-live really logged errors
    done = golive("smoke", "--profile", str(live), "--", "-k", "not event")
    output = done.stdout + done.stderr
    record = json.loads((live.parent / "reports" / "latest" / "run.json").read_text())
    assert done.returncode == 0, output
    assert record["mode"] == "smoke" and record["verdict"] == "GO"
    assert record["release"] == "1.1"
    assert {s["outcome"] for s in record["stages"]} == {"skipped"}
    names = {s["name"] for s in record["scenarios"]}
    assert "Only admin and billing staff are offered the credit adjustment" in names
    assert all("readonly" in s["tags"] for s in record["scenarios"])
    assert all(s["outcome"] == "passed" for s in record["scenarios"])
    page = (live.parent / "reports" / "latest" / "signoff.html").read_text()
    assert "post-go-live smoke" in page
    assert digest(production) == before


def test_a_writing_scenario_forced_into_the_smoke_never_runs(live: Path) -> None:
    production = live.parent.parent / "production.db"
    before = digest(production)
    done = golive("smoke", "--profile", str(live), "--", "-m", "readonly or not readonly",
                  "-k", "credit")
    record = json.loads((live.parent / "reports" / "latest" / "run.json").read_text())
    assert done.returncode == 1, done.stdout + done.stderr
    posting = next(s for s in record["scenarios"] if s["name"].startswith("Billing staff post"))
    assert posting["outcome"] != "passed"
    assert "never run against production" in (posting["error"] or "")
    assert record["verdict"] == "NO-GO"
    assert digest(production) == before


def test_smoke_finds_what_went_wrong_in_production(live: Path) -> None:
    """The simulated go-live bill run could not reach production's mail and provisioning
    hosts (there are none here): the smoke's event-log check says so, NO-GO."""
    done = golive("smoke", "--profile", str(live))
    output = done.stdout + done.stderr
    record = json.loads((live.parent / "reports" / "latest" / "run.json").read_text())
    assert done.returncode == 1, output
    assert record["verdict"] == "NO-GO"
    assert "CF-LOG-01" in output and "Name or service not known" in output
    assert record["history"]["previous_run"] is not None  # compared with the smoke before
