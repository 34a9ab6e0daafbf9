"""``--reuse`` can reach GO: staging prepared once, then verified by a run that reuses it.

A reuse run bills nothing, so its sinks receive nothing from the bill run; what
the sinks received during the preparation is kept with the reuse marker and
replayed as the reuse run's evidence (marked as such), so the lock-down and
provisioning items are verified on real captures instead of failing for want
of traffic.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import golive, write_profile

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _record(profile: Path) -> dict[str, Any]:
    return dict(json.loads((profile.parent / "reports" / "latest" / "run.json").read_text()))


def test_a_reuse_run_of_prepared_staging_reaches_go(e2e_base: Path) -> None:
    profile = write_profile(e2e_base, "reuse")
    prepared = golive("run", "--profile", str(profile), "--", "-k", "no-such-scenario")
    preparation = _record(profile)
    assert preparation["status"] == "complete", prepared.stdout + prepared.stderr
    assert all(s["outcome"] in ("passed", "skipped")
               for s in preparation["stages"]), preparation["stages"]

    done = golive("run", "--profile", str(profile), "--reuse")
    output = done.stdout + done.stderr
    record = _record(profile)
    assert record["verdict"] == "GO", output
    assert done.returncode == 0, output
    assert record["reused"] is True
    stages = {s["name"]: s["outcome"] for s in record["stages"]}
    assert stages.pop("lockdown") == "passed"  # this run's own sinks
    assert set(stages.values()) == {"reused"}, stages
    outbound = record["outbound"]
    replayed = outbound["replayed"]
    assert replayed["run_id"] == preparation["run_id"]
    assert replayed["mail"] > 0 and replayed["http"] > 0, replayed
    assert len(outbound["mail"]) >= replayed["mail"]
    assert outbound["escaped"] == []
    assert any("replayed as this run's evidence" in n for n in record["notes"])
    html = (profile.parent / "reports" / "latest" / "signoff.html").read_text()
    assert 'id="replayed"' in html and str(preparation["run_id"]) in html
    staging = profile.parent / "staging.db"
    with sqlite3.connect(staging) as conn:  # billed once, by the preparation
        assert conn.execute("SELECT count(*) FROM bill_runs").fetchone()[0] == 1
