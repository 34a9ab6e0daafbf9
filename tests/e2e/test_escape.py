"""End to end: the release that mails invoices to a hard-coded host is caught escaping."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import RunOutcome

pytestmark = [pytest.mark.slow]


def test_hardcoded_mail_host_escapes_and_is_no_go(
        run_release: Callable[..., RunOutcome]) -> None:
    run = run_release("1.1-mail-hardcoded-host")
    assert run.verdict == "NO-GO", run.output
    assert run.exit_code == 1, run.output
    outbound = run.record["outbound"]
    escaped = outbound["escaped"]
    assert any("invoice email(s) of bill run #" in e and "never reached the SMTP sink" in e
               for e in escaped), escaped
    assert [d["kind"] for d in outbound["escapes"]] == ["mail"], outbound["escapes"]
    assert outbound["expected"]["invoices"] > 0
    assert (outbound.get("mail") or []) == []
    gate = {g["name"]: g for g in run.record["gate"]}
    assert not gate["nothing escaped the sinks"]["passed"]
    assert "never reached the SMTP sink" in gate["nothing escaped the sinks"]["detail"]
    stages = {s["name"]: s["outcome"] for s in run.record["stages"]}
    assert stages["outbound_check"] == "failed"
    # the scenarios still ran: the event log and the lock-down feature say it too
    failed = run.failed_items()
    assert {"CF-LOCK-01", "CF-LOG-01"} <= failed, failed
    # the verdict line names the escape
    assert "escaped" in run.output, run.output[-2000:]
    html = (run.run_dir / "signoff.html").read_text(encoding="utf-8")
    assert "ESCAPED:" in html and "never reached the SMTP sink" in html
