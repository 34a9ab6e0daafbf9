"""GO on the good release; NO-GO with the right reasons on every regressed release."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import RunOutcome

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_release_1_1_is_go(run_release: Callable[..., RunOutcome]) -> None:
    run = run_release("1.1")
    assert run.verdict == "GO", run.output
    assert run.exit_code == 0, run.output
    assert run.record["status"] == "complete"
    assert run.failed_items() == set()
    assert run.failed_accounts() == set()
    assert all(s["outcome"] == "passed" for s in run.record["scenarios"])
    assert (run.run_dir / "signoff.html").exists()
    assert (run.run_dir / "junit.xml").exists()
    # every account billed as production billed it on 1.0 (the baseline), not only the
    # checklist's: the whole population compared, nothing beyond tolerance
    population = run.record["population"]
    assert population["beyond"] == 0 and population["baseline"]["release"] == "1.0"
    assert {d["dataset"]: d["staging_rows"] for d in population["datasets"]}["accounts"] == 300
    assert (run.run_dir / "differences.csv").exists()
    assert "GO" in run.output.splitlines()[-1] or "GO" in run.output
    # the diverse accounts take production's values; ACC-EOM31's next bill date is a
    # hand-written override, recorded and shown as such
    sources = {(a.get("label"), a["check"]): a.get("expected_from") for a in run.record["accounts"]}
    assert sources[("ACC-BOB", "next bill date DOMAIN-Y")] == "production"
    assert sources[("ACC-EOM31", "next bill date NET-500")] == "checklist"
    assert sources[("ACC-EOM31", "balance")] == "production"
    html = (run.run_dir / "signoff.html").read_text(encoding="utf-8")
    assert "hand-written" in html


# release → (checklist items that must fail, accounts that must mismatch)
REGRESSIONS: dict[str, tuple[set[str], set[str]]] = {
    "1.1-yearly-one-month": ({"CF-BILL-02"}, {"ACC-BOB", "ACC-YEARLY-DUE"}),
    "1.1-pool-not-shared": ({"CF-BILL-02"}, {"ACC-JANE", "A000002"}),
    "1.1-discount-twice": ({"CF-PRICE-01"}, {"ACC-DISC-PCT", "ACC-DISC-FIXED"}),
    "1.1-billday31-errors": ({"CF-LOG-01"}, set()),
    "1.1-echeck-broken": ({"CF-PAY-01"}, set()),
    "1.1-support-no-ticket-edit": ({"CF-PERM-01", "CF-TICKET-01"}, set()),
    "1.1-portal-stale-balance": ({"CF-PORTALDATA-01"}, set()),
    "1.1-mail-hardcoded-host": ({"CF-LOG-01"}, set()),
}


# releases whose fault changes what is billed (balances, charges, next bill dates)
POPULATION_DIFFERS = {"1.1-yearly-one-month", "1.1-pool-not-shared", "1.1-discount-twice",
                      "1.1-echeck-broken"}


@pytest.mark.parametrize("release", sorted(REGRESSIONS))
def test_regressed_release_is_no_go_for_the_right_reason(
    run_release: Callable[..., RunOutcome], release: str
) -> None:
    items, accounts = REGRESSIONS[release]
    run = run_release(release)
    assert run.verdict == "NO-GO", run.output
    assert run.exit_code == 1, run.output
    assert items <= run.failed_items(), (release, run.failed_items())
    assert accounts <= run.failed_accounts(), (release, run.failed_accounts())
    # the verdict line names the failing items
    for item in items:
        assert item in run.output, run.output[-2000:]
    # a fault in what is billed shows in the whole population against production's
    billed_differently = release in POPULATION_DIFFERS
    assert ("population matches production" in run.failed_gate_rules()) is billed_differently
    if billed_differently:
        assert "population matches production:" in run.output
    if release == "1.1-yearly-one-month":  # production's value beside staging's
        bob = next(a for a in run.record["accounts"]
                   if a.get("label") == "ACC-BOB" and a["check"] == "next bill date DOMAIN-Y")
        assert (bob["expected"], bob["actual"], bob["expected_from"], bob["ok"]) == (
            "2027-11-01", "2026-12-01", "production", False)
        html = (run.run_dir / "signoff.html").read_text(encoding="utf-8")
        assert "<td>next bill date DOMAIN-Y</td><td>2027-11-01</td>" in html
