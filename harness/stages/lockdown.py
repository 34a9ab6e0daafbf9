"""Lock-down: every outbound channel of staging points at sinks golive runs and records.

Mail goes to the SMTP sink, provisioning to the HTTP sink (one path per
endpoint), payment processors to the target's payment sandbox when it has one
(the demo's gateway), else to the HTTP sink. Afterwards every endpoint must
point at 127.0.0.1; one that does not has escaped, and lock-down fails.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from harness.record import Outcome
from harness.sinks import HttpSink, SmtpSink
from harness.stages.context import StageContext
from harness.stages.data import StageFailed
from harness.targets.base import PaymentSandboxes, Target

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def escaped(target: Target) -> list[str]:
    """Endpoints of ``target`` that point anywhere but this machine."""
    return [f"{e.name} → {e.url}" for e in target.outbound()
            if (urlsplit(e.url).hostname or "") not in LOOPBACK]


def _mask(address: str) -> str:
    """bob@example.com → b***@example.com: the report shows that mail went, not to whom."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def refresh(ctx: StageContext) -> dict[str, Any]:
    """Write what the sinks caught so far into ``record.extras["outbound"]``."""
    section: dict[str, Any] = dict(ctx.record.extras.get("outbound") or {})
    for sink in ctx.sinks:
        if isinstance(sink, SmtpSink):
            section["mail"] = [{**m, "mail_from": _mask(str(m["mail_from"])),
                                "recipients": [_mask(r) for r in m["recipients"]]}
                               for m in sink.captured()]
        elif isinstance(sink, HttpSink):
            section["http"] = sink.captured()
    if ctx.payment is not None:
        section["payment"] = ctx.payment.captured()
    ctx.record.extras["outbound"] = section
    return section


def stop(ctx: StageContext) -> None:
    """Record the captures one last time, then stop every sink."""
    if ctx.sinks or ctx.payment is not None:
        refresh(ctx)
    for sink in ctx.sinks:
        sink.stop()
    ctx.sinks.clear()
    if ctx.payment is not None:
        ctx.payment.stop()
        ctx.payment = None


def lockdown(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    if not bool(getattr(getattr(ctx.profile, "lockdown", None), "enabled", True)):
        return Outcome.SKIPPED, {"enabled": False, "reason": "lockdown disabled in profile: "
                                 "outbound channels still point where production's do"}
    endpoints = ctx.target.outbound()
    smtp = SmtpSink().start()
    ctx.sinks.append(smtp)
    http = HttpSink().start()
    ctx.sinks.append(http)
    mapping: dict[str, str] = {}
    for endpoint in endpoints:
        if endpoint.kind == "mail":
            mapping[endpoint.name] = smtp.url
        elif endpoint.kind == "payment":
            if ctx.payment is None and isinstance(ctx.target, PaymentSandboxes):
                ctx.payment = ctx.target.start_payment_sandbox()
            base = ctx.payment.url if ctx.payment is not None else http.url
            mapping[endpoint.name] = base + urlsplit(endpoint.url).path
        else:  # provisioning and anything else that speaks HTTP
            mapping[endpoint.name] = f"{http.url}/{endpoint.name.replace(':', '/')}"
    ctx.redirected = ctx.target.redirect_outbound(mapping) if mapping else {}
    sinks = {"smtp": smtp.url, "http": http.url,
             "payment": ctx.payment.url if ctx.payment is not None else http.url}
    left = escaped(ctx.target)
    ctx.record.extras["outbound"] = {"sinks": sinks, "redirected": ctx.redirected,
                                     "escaped": left}
    evidence = {"redirected": ctx.redirected, "sinks": sinks, "escaped": left}
    if left:
        raise StageFailed(f"still pointing outside this machine: {', '.join(left)}", evidence)
    return Outcome.PASSED, evidence
