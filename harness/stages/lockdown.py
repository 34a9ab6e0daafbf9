"""Lock-down: every outbound channel of staging points at sinks golive runs and records.

Mail goes to the SMTP sink, provisioning and any other HTTP to the HTTP sink
(one path per endpoint), payment processors to the target's payment sandbox
when it has one (the demo's gateway), else to the HTTP sink. The target's
outbound capability moves the endpoints it knows; the profile says per channel
how to move the others (`harness.channels`: SQL, a config file, environment
variables, or "blocked by <rule>", a manual checklist item). Then the target's
endpoints are read back: one whose host and port is not a sink has escaped, and
lock-down fails before anything is billed. After the bill run, ``outbound_check``
compares what the sinks received with what the run should have sent (see
`harness.outbound`). Everything lands in ``record.outbound`` (an
`OutboundSection`, its parts documented in `harness.outbound`). A target without the outbound
capability and a profile naming no channel cannot be locked down: the stage is
SKIPPED, which the gate never passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from harness.channels import CHANNELS, channel_of
from harness.outbound import (
    Escape,
    Expected,
    digest,
    mask_address,
    public_url,
    shortfalls,
    sink_addresses,
    unredirected,
)
from harness.record import Outcome
from harness.sections import CAPTURE_KINDS, OutboundSection, Replayed
from harness.sinks import HttpSink, SmtpSink
from harness.stages import redirects
from harness.stages.context import StageContext
from harness.stages.data import StageFailed, identity
from harness.targets.base import Target
from harness.targets.views import BillRunView

__all__ = ["CAPTURES", "captures", "escaped", "lockdown", "outbound_check", "refresh",
           "replay", "stop"]


def _sinks(ctx: StageContext) -> dict[str, str]:
    return dict(ctx.record.outbound.sinks) if ctx.record.outbound is not None else {}


def escaped(target: Target, sinks: dict[str, str] | None = None) -> list[str]:
    """Endpoints of ``target`` that point anywhere but a golive sink (``sinks``: name →
    URL, as in ``record.outbound.sinks``; without it, anywhere but this machine)."""
    allowed = sink_addresses(sinks) if sinks else None
    found = []
    outbound = target.outbound  # none: the profile's channels were redirected another way
    for endpoint in outbound.endpoints() if outbound is not None else []:
        if allowed is not None:
            found += [e.text for e in unredirected([endpoint], allowed)]
        elif (urlsplit(endpoint.url).hostname or "") not in {"127.0.0.1", "localhost", "::1"}:
            found.append(f"{endpoint.name} → {public_url(endpoint.url)}")
    return found


def _mail(message: dict[str, Any]) -> dict[str, Any]:
    recipients = [str(r) for r in message.get("recipients") or []]
    return {**message, "mail_from": mask_address(str(message.get("mail_from", ""))),
            "recipients": [mask_address(r) for r in recipients],
            "recipient_digests": [digest(r) for r in recipients]}


def refresh(ctx: StageContext) -> OutboundSection:
    """Write what the sinks caught so far into ``record.outbound`` (after what a reuse
    run replays from the preparation, see `replay`)."""
    section = ctx.record.outbound or OutboundSection()
    replayed = ctx.replayed
    for sink in ctx.sinks:  # only what arrived since the last refresh is copied and masked
        kept = ctx.taken.setdefault(sink.kind, [])
        new = sink.captured(since=len(kept))
        kept += [_mail(m) for m in new] if isinstance(sink, SmtpSink) else new
        section.capture(sink.kind, replayed.get(sink.kind, []) + kept)
    if ctx.payment is not None:
        section.payment = replayed.get("payment", []) + ctx.payment.captured()
    ctx.record.outbound = section
    return section


def stop(ctx: StageContext, how: str = "stopped at the end of the run") -> None:
    """Record the captures one last time, then stop every sink (noting each in the ledger)."""
    if ctx.sinks or ctx.payment is not None:
        refresh(ctx)
    for sink in ctx.sinks:
        sink.stop()
        ctx.ledger.stop(_sink_name(sink), how)
    ctx.sinks.clear()
    if ctx.payment is not None:
        ctx.payment.stop()
        ctx.ledger.stop(f"payment sandbox {ctx.payment.url}", how)
        ctx.payment = None


def _sink_name(sink: Any) -> str:
    return f"{'SMTP' if isinstance(sink, SmtpSink) else 'HTTP'} sink {sink.url}"


# What a preparation keeps of the sinks' captures for a later reuse run (`replay`).
CAPTURES = ("mail", "http", "payment", "expected", "invoices")


def captures(ctx: StageContext) -> dict[str, Any]:
    """What the sinks received while staging was prepared (after ``outbound_check``)."""
    found = ctx.record.outbound.present() if ctx.record.outbound is not None else {}
    return {key: found[key] for key in CAPTURES if key in found}


def replay(ctx: StageContext, kept: dict[str, Any], prepared_at: str | None,
           run_id: str | None) -> OutboundSection:
    """A reuse run bills nothing, so its fresh sinks receive nothing from the bill run:
    what the sinks of the preparation received (kept with the reuse marker) is put back
    as this run's evidence, marked as replayed, and anything this run's sinks receive
    (payments taken by scenarios) is added after it."""
    ctx.replayed = {key: list(kept.get(key) or []) for key in ("mail", "http", "payment")}
    section = refresh(ctx)
    taken = OutboundSection.from_dict(kept)
    if taken.expected is not None:
        section.expected = taken.expected
    if taken.invoices is not None:
        section.invoices = taken.invoices
    section.replayed = Replayed(prepared_at, run_id, mail=len(ctx.replayed["mail"]),
                                http=len(ctx.replayed["http"]),
                                payment=len(ctx.replayed["payment"]))
    return section


def _record_escapes(ctx: StageContext, found: list[Escape]) -> OutboundSection:
    """Add ``found`` to the section's ``escaped`` (sentences) and ``escapes`` (structured)."""
    if ctx.record.outbound is None:
        ctx.record.outbound = OutboundSection()
    section = ctx.record.outbound
    texts = list(section.escaped or [])
    details = list(section.escapes)
    for escape in found:
        if escape.text not in texts:
            texts.append(escape.text)
            details.append(escape.to_dict())
    section.escaped, section.escapes = texts, details
    return section


def _sink_for(ctx: StageContext, kind: str, http: HttpSink, smtp: SmtpSink, path: str) -> str:
    """The sink a channel of ``kind`` is pointed at; ``path`` names the endpoint on HTTP."""
    if kind == "mail":
        return smtp.url
    if kind == "payment":
        outbound = ctx.target.outbound
        if ctx.payment is None and outbound is not None:
            ctx.payment = outbound.start_payment_sandbox()
            if ctx.payment is not None:
                ctx.ledger.start(f"payment sandbox {ctx.payment.url}")
        return (ctx.payment.url if ctx.payment is not None else http.url) + path
    return f"{http.url}{path}"


def lockdown(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    if not ctx.profile.lockdown.enabled:
        return Outcome.SKIPPED, {"enabled": False, "reason": "lockdown disabled in profile: "
                                 "outbound channels still point where production's do"}
    channels = ctx.profile.lockdown.channels
    outbound = ctx.target.outbound
    if outbound is None and not channels:
        return Outcome.SKIPPED, {"enabled": True, "reason": "the target has no outbound "
                                 "capability and the profile names no channel "
                                 "(lockdown.channels): golive can neither point its channels "
                                 "at sinks nor confirm that nothing escapes"}
    by_target = [n for n, c in channels.items() if c.method == "target"]
    if by_target and outbound is None:
        raise StageFailed(f"lockdown.channels ({', '.join(by_target)}): redirect: target, but "
                          "the target has no outbound capability: say how each is redirected "
                          "(sql, file, env) or which rule blocks it", {})
    checked = identity(ctx)  # redirecting writes to staging's configuration
    smtp = SmtpSink().start()
    ctx.sinks.append(smtp)
    ctx.ledger.start(_sink_name(smtp))
    http = HttpSink().start()
    ctx.sinks.append(http)
    ctx.ledger.start(_sink_name(http))
    endpoints = outbound.endpoints() if outbound is not None else []
    mapping: dict[str, str] = {}
    for endpoint in endpoints:
        kind = endpoint.kind if endpoint.kind in CHANNELS else "http"
        declared = channel_of(channels, kind)
        if declared is not None and declared.method != "target":
            continue  # the profile redirects this channel itself; read back below
        path = urlsplit(endpoint.url).path if kind == "payment" \
            else "/" + endpoint.name.replace(":", "/")
        mapping[endpoint.name] = _sink_for(ctx, kind, http, smtp, path)
    redirected = outbound.redirect(mapping) if mapping and outbound is not None else {}
    ctx.redirected = {name: {"from": public_url(str(r.get("from", ""))),
                             "to": public_url(str(r.get("to", "")))}
                      for name, r in redirected.items()}
    done: dict[str, Any] = {}
    for name, channel in channels.items():
        if channel.method == "target":
            names = sorted(e.name for e in endpoints
                           if (e.kind if e.kind in CHANNELS else "http") == name)
            if not names:
                raise StageFailed(f"lockdown.channels.{name}: redirect: target, but the target "
                                  f"lists no {name} endpoint; say how {name} is redirected "
                                  "(sql, file, env) or which rule blocks it", {})
            done[name] = {"method": "target", "to": None, "endpoints": names}
        else:
            done[name] = redirects.apply(ctx.profile, ctx.target, name, channel,
                                         _sink_for(ctx, name, http, smtp, f"/{name}"))
        done[name]["sends"] = channel.sends.describe() if channel.sends is not None else None
    sinks = {"smtp": smtp.url, "http": http.url,
             "payment": ctx.payment.url if ctx.payment is not None else http.url}
    ctx.record.outbound = OutboundSection(sinks=sinks, redirected=ctx.redirected,
                                          channels=done, escaped=[], escapes=[])
    found = unredirected(outbound.endpoints(), sink_addresses(sinks)) \
        if outbound is not None else []
    section = _record_escapes(ctx, found)
    evidence = {"redirected": ctx.redirected, "channels": done, "sinks": sinks,
                "escaped": section.escaped, "not_production": checked}
    if found:
        raise StageFailed("outbound still points outside golive's sinks: "
                          + "; ".join(e.text for e in found), evidence)
    return Outcome.PASSED, evidence


def _count(ctx: StageContext, name: str, run: BillRunView,
           reported: Callable[[], int | None]) -> int | None:
    """What the run should have sent on channel ``name``: the profile's ``sends``, else
    what the platform reports (``reported``), else None."""
    channel = channel_of(ctx.profile.lockdown.channels, name)
    if channel is not None and channel.sends is not None:
        return redirects.count(ctx.profile, channel.sends, int(run.invoices), run.id, name)
    return reported()


def expected(ctx: StageContext) -> Expected:
    """What the bill run should have sent, per channel (None: nobody can say)."""
    run = ctx.bill_run
    if run is None:
        raise StageFailed("no bill run to check the sinks against", {})
    target = ctx.target

    def provisioning() -> int | None:
        if target.provisioning is None:
            return None
        return len([r for r in target.provisioning.requests(bill_run_id=run.id)
                    if r.status == "sent"])

    def payments() -> int | None:
        if target.payments is None:
            return None
        return len(target.payments.payments(bill_run_id=run.id))

    channels = ctx.profile.lockdown.channels
    mail = channel_of(channels, "mail")
    return Expected(
        bill_run=run.id, invoices=int(run.invoices),
        provisioning=_count(ctx, "provisioning", run, provisioning),
        payments=_count(ctx, "payment", run, payments),
        mail=_count(ctx, "mail", run, lambda: None),
        http=_count(ctx, "http", run, lambda: None),
        per_invoice=bool(mail is not None and mail.sends is not None and mail.sends.per_invoice),
        blocked=tuple(n for n, c in channels.items() if c.blocked_by is not None))


def outbound_check(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    """After the bill run: endpoints still at the sinks, and the sinks got all that was sent.
    An escape is recorded and the stage FAILED, but preparation goes on (see below)."""
    if not ctx.sinks:
        return Outcome.SKIPPED, {"reason": "lock-down did not run: nothing was captured, so "
                                 "nothing sent can be confirmed"}
    outbound = ctx.target.outbound
    want = expected(ctx)
    section = refresh(ctx)
    found = unredirected(outbound.endpoints(), sink_addresses(_sinks(ctx))) \
        if outbound is not None else []
    found = [Escape(e.kind, e.name, e.url, e.reason, "after the bill run") for e in found]
    found += shortfalls(want, section)
    section = _record_escapes(ctx, found)
    section.expected = want.to_dict()
    mails = outbound.invoice_mails(ctx.bill_run.id) \
        if ctx.bill_run is not None and outbound is not None else None
    if mails is not None:
        # whom each invoice should have gone to, as staging had it right after the bill
        # run (scenarios may change contacts later); masked and digested, never the address
        section.invoices = [
            {"invoice": m.invoice, "account": m.account,
             "contact": mask_address(m.contact) if m.contact else None,
             "contact_digest": digest(m.contact) if m.contact else None}
            for m in mails]
    evidence = {"expected": want.to_dict(),
                "captured": {kind: len(section.captured(kind) or []) for kind in CAPTURE_KINDS},
                "escaped": [e.text for e in found]}
    # FAILED without stopping: staging is billed and the scenarios still run (the event
    # log tells the same story), while the stage and "nothing escaped" rules say NO-GO.
    return (Outcome.FAILED if found else Outcome.PASSED), evidence
