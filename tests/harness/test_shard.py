"""Sharding: `--golive-shard K/N` runs a stable share of the scenarios, and merging the
shards' run folders gives the run an unsharded run gives — or refuses, saying why."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import cli
from harness.checklists import load_checklists
from harness.config import load_profile
from harness.merge import MergeError, merge_shards
from harness.record import Outcome, RunRecord, StageResult, Verdict
from harness.reports.verdict import verdict_line
from harness.sections import OutboundSection, ReportSection, SanitizeSection
from harness.shard import ShardError, owner, parse_shard
from tests.harness.plugin_project import PASSING, stub_pipeline, write_project

pytest_plugins = ["pytester"]

TODAY = dt.date(2026, 11, 3)
MORE = """\
Feature: More billing
  @CF-PAY-01
  Scenario: A refund is refused
    Given the bill run has finished
    Then it fails

  @CF-BILL-01
  Scenario Outline: <who> is billed
    Given the bill run has finished
    Then account <who> has balance <amount>

    Examples:
      | who  | amount |
      | BOB  | 10.00  |
      | JANE | 3.50   |
      | JANE | 9.99   |

  @CF-DOCS-01
  Scenario: The notes were read
    Given the bill run has finished
    Then it passes
"""


def test_parse_shard_accepts_k_of_n_and_explains_anything_else() -> None:
    assert dataclasses.astuple(parse_shard("2/3")) == (2, 3)
    assert dataclasses.astuple(parse_shard(" 1 / 1 ")) == (1, 1)
    for bad, why in (("3/2", "K must be between 1 and N"), ("0/2", "K must be"),
                     ("1/0", "N must be"), ("two/3", "expected K/N"), ("1/2/3", "expected")):
        with pytest.raises(ShardError, match=why):
            parse_shard(bad)


def test_every_scenario_has_exactly_one_stable_shard() -> None:
    ids = [f"features/f{i}.feature::test_s{i}[{i % 5}]" for i in range(1000)]
    for total in (1, 2, 3, 7):
        owners = [owner(n, total) for n in ids]
        assert set(owners) == set(range(1, total + 1))
        assert owners == [owner(n, total) for n in ids]  # the same on every machine
        assert min(owners.count(k) for k in range(1, total + 1)) > 1000 / total * 0.8


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    stub_pipeline(monkeypatch, pytester.path / "calls.txt")
    return write_project(pytester, {"billing.feature": PASSING, "more.feature": MORE})


def run(pytester: pytest.Pytester, run_id: str, *args: str) -> RunRecord:
    result = pytester.runpytest("--golive-profile", "golive.yaml", "features",
                                f"--golive-run-id={run_id}", *args)
    assert result.ret in (0, 1), result.stdout.str()
    return RunRecord.load(pytester.path / "reports" / run_id / "run.json")


def merged(root: Path, records: list[RunRecord]) -> RunRecord:
    profile = load_profile(root / "golive.yaml")
    return merge_shards(records, profile, load_checklists(profile.checklists.dir), TODAY)


def outcomes(record: RunRecord) -> dict[str, Outcome]:
    return {s.nodeid: s.outcome for s in record.scenarios}


def test_a_merge_of_shards_equals_the_unsharded_run(pytester: pytest.Pytester,
                                                    project: Path) -> None:
    full = run(pytester, "full")
    one = run(pytester, "shard-1", "--golive-shard=1/2")
    two = run(pytester, "shard-2", "--golive-shard=2/2", "-n", "2")
    assert len(full.scenarios) == 7
    for shard in (one, two):  # a shard lists every scenario, runs its own share
        assert shard.shard is not None and outcomes(shard).keys() == outcomes(full).keys()
        mine = {n for n in outcomes(full) if owner(n, 2) == shard.shard.index}
        assert all((o is Outcome.NOT_RUN) == (n not in mine)
                   for n, o in outcomes(shard).items())
        assert shard.verdict is Verdict.NO_GO
        assert any(g.name == "all shards merged" and not g.passed for g in shard.gate)
    together = merged(project, [two, one])
    assert outcomes(together) == outcomes(full)
    assert full.verdict is Verdict.NO_GO and together.verdict is full.verdict
    assert [(c.item_id, c.coverage) for c in together.checklist] == \
        [(c.item_id, c.coverage) for c in full.checklist]
    assert sorted((a.account, a.actual, a.ok) for a in together.accounts) == \
        sorted((a.account, a.actual, a.ok) for a in full.accounts)
    assert sorted(f.title for f in together.failures) == sorted(f.title for f in full.failures)
    rules = {g.name: (g.passed, g.waived) for g in together.gate}
    assert rules.pop("all shards merged") == (True, False)
    assert rules == {g.name: (g.passed, g.waived) for g in full.gate}
    assert [(r.index, r.run_id) for r in together.merged_from] == [(1, "shard-1"),
                                                                   (2, "shard-2")]
    assert together.signoff.acts == 0 and together.signoff.base is None  # nobody signed it


def test_a_missing_shard_leaves_its_share_not_run(pytester: pytest.Pytester,
                                                  project: Path) -> None:
    one = run(pytester, "shard-1", "--golive-shard=1/3")
    alone = merged(project, [one])
    theirs = [s for s in alone.scenarios if owner(s.nodeid, 3) != 1]
    assert theirs and all(s.outcome is Outcome.NOT_RUN for s in theirs)
    assert all("was not merged" in (s.error or "") for s in theirs)
    rule = next(g for g in alone.gate if g.name == "all shards merged")
    assert not rule.passed and "shard(s) 2, 3 of 3 missing" in rule.detail
    assert alone.verdict is Verdict.NO_GO


def test_a_shard_alone_is_never_a_verdict(pytester: pytest.Pytester, project: Path) -> None:
    one = run(pytester, "shard-1", "--golive-shard=1/2")
    line = verdict_line(one, None)
    assert line.startswith("golive: NO-GO — shard 1/2: only this shard's share was verified")
    assert "not verified" not in line  # the other shard's items are not missing


def shard_record(index: int, total: int = 2, **changes: object) -> RunRecord:
    record = RunRecord(run_id=f"s{index}", started_at="2026-11-03T10:00:00+00:00",
                       profile="golive.yaml", target="demo", release="1.1",
                       bill_run_date="2026-11-01")
    record.shard = parse_shard(f"{index}/{total}")
    record.stages = [StageResult("backup", Outcome.PASSED, evidence={"sha256": "a" * 64})]
    for key, value in changes.items():
        setattr(record, key, value)
    return record


def test_a_merge_keeps_every_shards_residue_and_escapes(pytester: pytest.Pytester,
                                                      project: Path) -> None:
    def shard(index: int, residue: list[str] | None, escaped: list[str]) -> RunRecord:
        return shard_record(index, sanitize=SanitizeSection(enabled=True, mode="rules",
                                                            residue=residue),
                            outbound=OutboundSection(sinks={"smtp": f"smtp://127.0.0.1:{index}"},
                                                     escaped=escaped),
                            report=ReportSection(f"title of shard {index}"))

    together = merged(project, [shard(2, ["notes.body: email × 1"], ["mail m: away"]),
                                shard(1, [], [])])
    assert together.sanitize == SanitizeSection(enabled=True, mode="rules",
                                                residue=["shard 2: notes.body: email × 1"])
    assert together.outbound is not None
    assert together.outbound.escaped == ["shard 2: mail m: away"]
    assert together.outbound.sinks == {"smtp": "smtp://127.0.0.1:1"}  # shard 1's captures
    assert together.report == ReportSection("title of shard 1")
    failing = {g.name: g.detail for g in together.gate if not g.passed}
    assert "shard 2: notes.body" in failing["sanitize scan clean"]
    assert "shard 2: mail m: away" in failing["nothing escaped the sinks"]
    # a shard without a scan, or without the outbound section, leaves no evidence at all
    unscanned = merged(project, [shard(1, [], []), shard(2, None, [])])
    assert unscanned.sanitize is not None and unscanned.sanitize.residue is None
    no_outbound = merged(project, [shard(1, [], []), shard_record(2)])
    assert no_outbound.outbound is None and no_outbound.sanitize is None
    for record in (unscanned, no_outbound):
        assert next(g for g in record.gate if g.name == "sanitize scan clean").detail \
            .startswith("no evidence")


@pytest.mark.parametrize(("second", "why"), [
    (shard_record(2, release="1.1-pool-not-shared"), "the same release: 1.1 in run s1"),
    (shard_record(2, bill_run_date="2026-12-01"), "the same bill-run date"),
    (shard_record(2, stages=[StageResult("backup", Outcome.PASSED,
                                         evidence={"sha256": "b" * 64})]),
     "the same backup (sha256)"),
    (shard_record(1), "shard 1/2 is given twice"),
    (shard_record(2, total=3), "split the scenarios differently"),
    (shard_record(2, shard=None), "not a shard"),
])
def test_merging_runs_that_did_not_verify_the_same_thing_is_refused(
        pytester: pytest.Pytester, project: Path, second: RunRecord, why: str) -> None:
    with pytest.raises(MergeError, match=why.replace("(", r"\(").replace(")", r"\)")):
        merged(project, [shard_record(1), second])


def test_golive_report_merge_writes_one_run_and_exits_with_its_verdict(
        pytester: pytest.Pytester, project: Path) -> None:
    run(pytester, "shard-1", "--golive-shard=1/2")
    run(pytester, "shard-2", "--golive-shard=2/2")
    runner = CliRunner()
    result = runner.invoke(cli.main, ["report", "merge", "reports/shard-1", "reports/shard-2",
                                      "--out", "reports/merged"])
    assert result.exit_code == 1, result.output  # the run's own verdict: NO-GO
    assert "golive: NO-GO (run " in result.output
    merged_dir = project / "reports" / "merged"
    assert {p.name for p in merged_dir.iterdir()} >= {"run.json", "signoff.html",
                                                      "junit.xml", "cucumber.json"}
    assert os.readlink(project / "reports" / "latest") == "merged"
    record = RunRecord.load(merged_dir / "run.json")
    assert len(record.merged_from) == 2 and record.shard is None
    html = (merged_dir / "signoff.html").read_text()
    assert 'id="shard-list"' in html
    again = runner.invoke(cli.main, ["report", "merge", "reports/shard-1", "reports/shard-1"])
    assert again.exit_code == 2 and "given twice" in again.output
    assert runner.invoke(cli.main, ["report", "merge"]).exit_code == 2
    bad = runner.invoke(cli.main, ["run", "--shard", "3/2"])
    assert bad.exit_code == 2 and "K must be between 1 and N" in bad.output
