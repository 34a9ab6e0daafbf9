"""The lock-down stage and the after-bill-run escape check, on a fake target."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.outbound import address
from harness.record import Outcome, RunRecord
from harness.stages import lockdown
from harness.stages.context import StageContext
from harness.stages.data import StageFailed
from harness.targets.base import (
    BillRunView,
    InvoiceMailView,
    OutboundEndpoint,
    PaymentView,
    ProvisioningView,
)


class FakeTarget:
    """Outbound endpoints in a dict; ``stuck`` names one redirect_outbound ignores, as a
    platform with a hard-coded host would."""

    name = "fake"

    def __init__(self, stuck: str | None = None, sent: int = 0) -> None:
        self.urls = {
            "mail": "smtp://admin:pw@smtp.mail.isp.example:587",
            "provisioning:tv": "http://prov.isp.example/tv",
            "payment:card:cardpay": "https://gateway.cardpay.example/charge",
        }
        self.stuck = stuck
        self.sent = sent

    def outbound(self) -> list[OutboundEndpoint]:
        return [OutboundEndpoint(name.partition(":")[0], name, url)
                for name, url in self.urls.items()]

    def redirect_outbound(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        done = {}
        for name, new in mapping.items():
            done[name] = {"from": self.urls[name], "to": new}
            if name != self.stuck:
                self.urls[name] = new
        return done

    def provisioning_requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]:
        return [ProvisioningView("A1", "activate", "tv", "sent", self.urls["provisioning:tv"])
                for _ in range(self.sent)]

    def payments(self, ref: str | None = None, bill_run_id: int | None = None
                 ) -> list[PaymentView]:
        return []

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView]:
        return [InvoiceMailView("INV-0", "A1", "Person0@example.com", None, bill_run_id),
                InvoiceMailView("INV-1", "A2", None, None, bill_run_id)]


@pytest.fixture
def make_ctx(tmp_path: Path) -> Iterator[Any]:
    made: list[StageContext] = []
    # lock-down writes to staging, so it first asks whether staging is production
    environments = SimpleNamespace(
        staging=SimpleNamespace(dsn=f"sqlite:///{tmp_path}/staging.db", staging=True),
        production=SimpleNamespace(dsn=f"sqlite:///{tmp_path}/production.db", read_only=True))

    def make(target: FakeTarget) -> StageContext:
        record = RunRecord(run_id="r", started_at="2026-11-01T00:00:00", profile="p",
                           target="fake")
        profile = SimpleNamespace(lockdown=SimpleNamespace(enabled=True),
                                  environments=environments)
        ctx = StageContext(profile=profile, record=record, target=target)  # type: ignore[arg-type]
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        lockdown.stop(ctx)


def _bill_run(invoices: int) -> BillRunView:
    return BillRunView(id=7, run_date=dt.date(2026, 11, 1), status="done",
                       started_at=dt.datetime(2026, 11, 1, 2), finished_at=None,
                       accounts_billed=invoices, invoices=invoices, errors=0, total=Decimal(0))


def test_lockdown_points_everything_at_the_sinks(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget())
    outcome, evidence = lockdown.lockdown(ctx)
    assert outcome is Outcome.PASSED
    section = ctx.record.extras["outbound"]
    assert section["escaped"] == [] and section["escapes"] == []
    sinks = {address(u) for u in section["sinks"].values()}
    assert {address(u) for u in ctx.target.urls.values()} <= sinks
    assert evidence["redirected"]["mail"]["from"] == "smtp://smtp.mail.isp.example:587"
    assert "pw" not in str(evidence)


def test_an_endpoint_left_unredirected_fails_lockdown(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget(stuck="provisioning:tv"))
    with pytest.raises(StageFailed) as failed:
        lockdown.lockdown(ctx)
    assert "provisioning:tv → http://prov.isp.example/tv" in str(failed.value)
    section = ctx.record.extras["outbound"]
    assert section["escapes"] == [{
        "kind": "provisioning", "name": "provisioning:tv", "url": "http://prov.isp.example/tv",
        "reason": "points at prov.isp.example:80, which is not a golive sink",
        "when": "before the bill run"}]
    assert section["escaped"] == [
        "provisioning provisioning:tv → http://prov.isp.example/tv: points at "
        "prov.isp.example:80, which is not a golive sink"]
    assert failed.value.evidence["escaped"] == section["escaped"]


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
    _send(ctx.record.extras["outbound"]["sinks"]["smtp"], 2)
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.PASSED, evidence
    section = ctx.record.extras["outbound"]
    assert evidence["captured"]["mail"] == 2 and section["escaped"] == []
    assert section["mail"][0]["recipients"] == ["P***@example.com"]
    assert "Person0@example.com" not in str(ctx.record.to_json())
    assert section["expected"] == {"bill_run": 7, "invoices": 2, "provisioning": 0,
                                   "payments": 0}
    # whom each invoice should reach, taken now: masked and digested, matching the capture
    assert section["invoices"][0]["contact"] == "P***@example.com"
    assert section["invoices"][0]["contact_digest"] == section["mail"][0]["recipient_digests"][0]
    assert section["invoices"][1]["contact_digest"] is None


def test_mail_that_never_reached_the_sink_is_an_escape(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget(sent=1))
    lockdown.lockdown(ctx)
    ctx.bill_run = _bill_run(invoices=3)
    _send(ctx.record.extras["outbound"]["sinks"]["smtp"], 1)
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.FAILED
    escaped = ctx.record.extras["outbound"]["escaped"]
    assert escaped[0].startswith("mail invoice emails: 2 invoice email(s) of bill run #7 never "
                                 "reached the SMTP sink")
    assert escaped[1].startswith("provisioning provisioning requests: 1 provisioning request")
    assert evidence["escaped"] == escaped


def test_outbound_check_is_skipped_without_lockdown(make_ctx: Any) -> None:
    ctx = make_ctx(FakeTarget())
    outcome, evidence = lockdown.outbound_check(ctx)
    assert outcome is Outcome.SKIPPED and "nothing sent can be confirmed" in evidence["reason"]
