"""The lock-down stage and the after-bill-run escape check, on a fake target whose
outbound, provisioning and payments capabilities are plain objects (or absent)."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from harness.config import Profile
from harness.outbound import address
from harness.record import Outcome, RunRecord
from harness.sections import OutboundSection
from harness.stages import lockdown
from harness.stages.context import StageContext
from harness.stages.data import StageFailed
from harness.targets.base import Target
from harness.targets.capabilities import PaymentSandbox
from harness.targets.views import (
    BillRunView,
    InvoiceMailView,
    OutboundEndpoint,
    PaymentView,
    ProvisioningView,
)
from tests.harness.target_profiles import demo_profile


class FakeOutbound:
    """Outbound endpoints in a dict; ``stuck`` names one redirect ignores, as a platform
    with a hard-coded host would."""

    def __init__(self, stuck: str | None = None) -> None:
        self.urls = {
            "mail": "smtp://admin:pw@smtp.mail.isp.example:587",
            "provisioning:tv": "http://prov.isp.example/tv",
            "payment:card:cardpay": "https://gateway.cardpay.example/charge",
        }
        self.stuck = stuck

    def endpoints(self) -> list[OutboundEndpoint]:
        return [OutboundEndpoint(name.partition(":")[0], name, url)
                for name, url in self.urls.items()]

    def redirect(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        done = {}
        for name, new in mapping.items():
            done[name] = {"from": self.urls[name], "to": new}
            if name != self.stuck:
                self.urls[name] = new
        return done

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView] | None:
        return [InvoiceMailView("INV-0", "A1", "Person0@example.com", None, bill_run_id),
                InvoiceMailView("INV-1", "A2", None, None, bill_run_id)]

    def start_payment_sandbox(self) -> PaymentSandbox | None:
        return None


class FakeProvisioning:
    def __init__(self, outbound: FakeOutbound, sent: int) -> None:
        self.outbound, self.sent = outbound, sent

    def requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]:
        url = self.outbound.urls["provisioning:tv"]
        return [ProvisioningView("A1", "activate", "tv", "sent", url) for _ in range(self.sent)]


class FakePayments:
    def processors(self) -> list[Any]:
        return []

    def payments(self, ref: str | None = None, bill_run_id: int | None = None
                 ) -> list[PaymentView]:
        return []


class FakeTarget:
    """The capabilities lock-down asks for; ``outbound=False``: a target without them."""

    name = "fake"

    def __init__(self, stuck: str | None = None, sent: int = 0, outbound: bool = True) -> None:
        self.outbound = FakeOutbound(stuck) if outbound else None
        self.provisioning = FakeProvisioning(self.outbound, sent) if self.outbound else None
        self.payments = FakePayments() if outbound else None

    @property
    def urls(self) -> dict[str, str]:
        assert self.outbound is not None
        return self.outbound.urls


@pytest.fixture
def make_ctx(tmp_path: Path) -> Iterator[Any]:
    made: list[StageContext] = []
    profile = demo_profile(tmp_path, f"sqlite:///{tmp_path / 'staging.db'}")

    def make(target: FakeTarget) -> StageContext:
        record = RunRecord(run_id="r", started_at="2026-11-01T00:00:00", profile="p",
                           target="fake")
        # only what lock-down uses of a Target: outbound, provisioning, payments
        ctx = StageContext(profile=profile, record=record, target=cast(Target, target))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        lockdown.stop(ctx)


def _without_channels(profile: Profile) -> Profile:
    lockdown_section = profile.lockdown.model_copy(update={"channels": {}})
    return profile.model_copy(update={"lockdown": lockdown_section})


def _bill_run(invoices: int) -> BillRunView:
    return BillRunView(id=7, run_date=dt.date(2026, 11, 1), status="done",
                       started_at=dt.datetime(2026, 11, 1, 2), finished_at=None,
                       accounts_billed=invoices, invoices=invoices, errors=0, total=Decimal(0))


def _outbound(ctx: Any) -> OutboundSection:
    section = ctx.record.outbound
    assert isinstance(section, OutboundSection)
    return section


def test_lockdown_points_everything_at_the_sinks(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget())
    outcome, evidence = lockdown.lockdown(ctx)
    assert outcome is Outcome.PASSED
    section = _outbound(ctx)
    assert section.escaped == [] and section.escapes == []
    sinks = {address(u) for u in section.sinks.values()}
    assert {address(u) for u in ctx.target.urls.values()} <= sinks
    assert evidence["redirected"]["mail"]["from"] == "smtp://smtp.mail.isp.example:587"
    assert "pw" not in str(evidence)


def test_an_endpoint_left_unredirected_fails_lockdown(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget(stuck="provisioning:tv"))
    with pytest.raises(StageFailed) as failed:
        lockdown.lockdown(ctx)
    assert "provisioning:tv → http://prov.isp.example/tv" in str(failed.value)
    section = _outbound(ctx)
    assert section.escapes == [{
        "kind": "provisioning", "name": "provisioning:tv", "url": "http://prov.isp.example/tv",
        "reason": "points at prov.isp.example:80, which is not a golive sink",
        "when": "before the bill run"}]
    assert section.escaped == [
        "provisioning provisioning:tv → http://prov.isp.example/tv: points at "
        "prov.isp.example:80, which is not a golive sink"]
    assert failed.value.evidence["escaped"] == section.escaped


def _send(url: str, count: int) -> None:
    parts = urlsplit(url)
    with smtplib.SMTP(parts.hostname or "", parts.port or 25, timeout=5) as smtp:
        for n in range(count):
            msg = EmailMessage()
            msg["From"], msg["To"] = "billing@isp.example", f"Person{n}@example.com"
            msg["Subject"] = f"Your invoice INV-{n}"
            msg.set_content("hello")
            smtp.send_message(msg)


def test_outbound_check_passes_when_the_sinks_got_everything(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget())
    lockdown.lockdown(ctx)
    ctx.bill_run = _bill_run(invoices=2)
    _send(_outbound(ctx).sinks["smtp"], 2)
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.PASSED, evidence
    section = _outbound(ctx)
    assert evidence["captured"]["mail"] == 2 and section.escaped == []
    assert section.mail[0]["recipients"] == ["P***@example.com"]
    assert "Person0@example.com" not in str(ctx.record.to_json())
    assert section.expected == {"bill_run": 7, "invoices": 2, "provisioning": 0,
                                   "payments": 0, "mail": 2, "http": None,
                                   "per_invoice": True, "blocked": []}
    # whom each invoice should reach, taken now: masked and digested, matching the capture
    assert section.invoices[0]["contact"] == "P***@example.com"
    assert section.invoices[0]["contact_digest"] == section.mail[0]["recipient_digests"][0]
    assert section.invoices[1]["contact_digest"] is None


def test_each_refresh_has_every_mail_so_far_each_masked_once(make_ctx: Any) -> None:
    """Refreshing copies and masks only what arrived since the last refresh (it ran over
    every capture again at each refresh), and still lists every mail, in order, after what
    a reuse run replays."""
    ctx = make_ctx(FakeTarget())
    lockdown.lockdown(ctx)
    ctx.replayed = {"mail": [{"subject": "replayed"}]}
    smtp = _outbound(ctx).sinks["smtp"]
    _send(smtp, 2)
    first = lockdown.refresh(ctx).mail
    _send(smtp, 3)
    second = lockdown.refresh(ctx).mail
    assert [m["subject"] for m in first] == ["replayed", "Your invoice INV-0",
                                             "Your invoice INV-1"]
    assert [m["subject"] for m in second] == ["replayed"] + [f"Your invoice INV-{n}"
                                                             for n in (0, 1, 0, 1, 2)]
    assert all(m["recipients"] == ["P***@example.com"] for m in second[1:])
    assert second[1] is first[1]  # taken once, not masked again
    assert lockdown.refresh(ctx).mail == second


def test_mail_that_never_reached_the_sink_is_an_escape(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget(sent=1))
    lockdown.lockdown(ctx)
    ctx.bill_run = _bill_run(invoices=3)
    _send(_outbound(ctx).sinks["smtp"], 1)
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.FAILED
    escaped = _outbound(ctx).escaped
    assert escaped[0].startswith("mail invoice emails: 2 invoice email(s) of bill run #7 never "
                                 "reached the SMTP sink")
    assert escaped[1].startswith("provisioning provisioning requests: 1 provisioning request")
    assert evidence["escaped"] == escaped


def test_outbound_check_is_skipped_without_lockdown(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget())
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.SKIPPED and "nothing sent can be confirmed" in evidence["reason"]


def test_a_target_without_outbound_is_not_locked_down_and_never_passes(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget(outbound=False))
    with pytest.raises(StageFailed, match=r"\(mail\): redirect: target, but the target has "
                                          "no outbound capability"):
        lockdown.lockdown(ctx)  # the profile says the target redirects mail: it cannot
    ctx.profile = _without_channels(ctx.profile)
    outcome, evidence = lockdown.lockdown(ctx)
    assert outcome is Outcome.SKIPPED  # the gate's "stages finished" rule never passes this
    assert "no outbound capability" in evidence["reason"]
    assert ctx.sinks == []
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.SKIPPED


def test_counts_a_target_cannot_give_are_unknown_not_zero(make_ctx: Any) -> None:
    target = FakeTarget()
    target.provisioning = target.payments = None  # type: ignore[assignment]
    ctx = make_ctx(target)
    lockdown.lockdown(ctx)
    ctx.bill_run = _bill_run(invoices=0)
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.PASSED, evidence
    assert evidence["expected"] == {"bill_run": 7, "invoices": 0, "provisioning": None,
                                    "payments": None, "mail": 0, "http": None,
                                    "per_invoice": True, "blocked": []}
