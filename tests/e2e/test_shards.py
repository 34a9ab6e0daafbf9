"""Sharding on the demo: two shards, each on its own staging (as on two machines), merged
with `golive report merge`, equal an unsharded run — verdict, every scenario's outcome,
checklist coverage — and the merged report keeps the shards' evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import golive, write_profile

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RELEASE = "1.1-portal-stale-balance"  # NO-GO, with a failing portal step's screenshot


def run(base: Path, name: str, *extra: str) -> tuple[Path, dict[str, Any]]:
    profile = write_profile(base, name)
    done = golive("run", "--profile", str(profile), "--release", RELEASE, *extra)
    latest = profile.parent / "reports" / "latest"
    assert (latest / "run.json").exists(), done.stdout + done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    return latest.resolve(), json.loads((latest / "run.json").read_text())


def test_a_merge_of_shards_equals_the_unsharded_run(e2e_base: Path) -> None:
    _, full = run(e2e_base, "shards-full")
    one_dir, one = run(e2e_base, "shards-1", "--shard", "1/2", "-n", "2")
    two_dir, two = run(e2e_base, "shards-2", "--shard", "2/2", "-n", "2")
    assert one["shard"] == {"index": 1, "total": 2} and two["shard"]["index"] == 2
    out = e2e_base / "shards-merged"
    profile = e2e_base / "shards-full" / "golive.yaml"
    done = golive("report", "--profile", str(profile), "merge", str(one_dir), str(two_dir),
                  "--out", str(out))
    assert done.returncode == 1, done.stdout + done.stderr  # NO-GO, like the full run
    merged = json.loads((out / "run.json").read_text())

    assert merged["verdict"] == full["verdict"] == "NO-GO"
    assert {s["nodeid"]: s["outcome"] for s in merged["scenarios"]} == \
        {s["nodeid"]: s["outcome"] for s in full["scenarios"]}
    assert [(c["item_id"], c["coverage"]) for c in merged["checklist"]] == \
        [(c["item_id"], c["coverage"]) for c in full["checklist"]]
    assert {g["name"]: g["passed"] for g in merged["gate"]} == \
        {**{g["name"]: g["passed"] for g in full["gate"]}, "all shards merged": True}
    assert sorted(f["title"] for f in merged["failures"]) == \
        sorted(f["title"] for f in full["failures"])
    # both shards' share ran; each scenario's result came from the shard that owns it
    ran = {s["worker"].split()[1] for s in merged["scenarios"]}
    assert ran == {"1", "2"}
    # the failing portal step's screenshot travelled with its scenario
    shots = [a for s in merged["scenarios"] for st in s["steps"] for a in st["attachments"]
             if a["kind"] == "screenshot"]
    assert shots, "the failing portal step kept no screenshot"
    for shot in shots:
        assert (out / shot["path"]).is_file()
        assert f'<img src="{shot["path"]}"' in (out / "signoff.html").read_text()
