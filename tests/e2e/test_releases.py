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
    assert "GO" in run.output.splitlines()[-1] or "GO" in run.output


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
