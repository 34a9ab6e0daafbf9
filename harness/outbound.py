"""The escape check: did anything leave staging for a real customer, card or switch?

Pure functions over three witnesses — the target's outbound endpoints, the
addresses of the sinks golive runs, and what those sinks captured — so the
lock-down stage, the report and the tests share one definition of "escaped".

Two moments are checked. *Before* the bill run every endpoint must point at a
sink (host and port, not merely "some local port"). *After* it, what the sinks
received must add up to what the run should have sent, channel by channel, as
the profile says (``lockdown.channels.<name>.sends``: one mail per invoice, a
query's count) or the platform reports (provisioning requests recorded as sent,
payment attempts). A shortfall means the platform sent it elsewhere; a channel
nobody can count is not compared, and a platform that sends nothing is fine.

``record.outbound`` (an `harness.sections.OutboundSection`, written by
`harness.stages.lockdown`; read by the gate, the report, shard merge and — as a
dict of the parts recorded — the ``golive.outbound`` fixture) has these parts::

    {
      "sinks":      {"smtp": "smtp://127.0.0.1:P", "http": "http://127.0.0.1:P",
                     "payment": "http://127.0.0.1:P"},
      "redirected": {endpoint name: {"from": url, "to": url}},   # passwords hidden
      "mail":    [{"mail_from", "recipients" (masked), "recipient_digests", "subject",
                   "size", "authenticated", "received_at"}],
      "http":    [{"method", "path", "body", "received_at"}],     # provisioning sink
      "payment": [{"method", "path", "status", "outcome", "amount", "currency", ...}],
      "escaped": [str],   # one sentence per escape; non-empty → gate NO-GO
      "escapes": [{"kind", "name", "url", "reason", "when"}],   # the same, structured
      "channels": {name: {"method": target|sql|file|env|blocked, "to": sink url,
                          "sends": what the profile says, ...}},
      "expected": {"bill_run": id, "invoices": n, "mail": n, "provisioning": n,
                   "payments": n, "http": n, "per_invoice": bool, "blocked": [name]},
      "invoices": [{"invoice", "account", "contact" (masked), "contact_digest"}],
                  # per invoice of the bill run, whom it should go to, taken right after
                  # the bill run (targets with ``invoice_mails`` only)
      "replayed": {"prepared_at", "run_id", "mail": n, "http": n, "payment": n},
                  # a reuse run: the preparation's captures put back as its evidence
    }

A recipient is kept masked (``b***@example.com``) plus a SHA-256 digest of the
lower-cased address, so a step can confirm the right contact was mailed
without the run record holding the address.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.sections import OutboundSection
from harness.targets.views import OutboundEndpoint

__all__ = ["DEFAULT_PORTS", "Escape", "Expected", "address", "body_excerpt", "digest",
           "mask_address", "public_url", "shortfalls", "sink_addresses", "unredirected"]

DEFAULT_PORTS = {"smtp": 25, "smtps": 465, "http": 80, "https": 443}
_SAME_HOST = {"localhost": "127.0.0.1", "::1": "127.0.0.1"}
_SECRET_KEYS = re.compile(r"(key|secret|token|passw|credential|auth|card|cvv|cvc|routing|"
                          r"iban|merchant)", re.IGNORECASE)
_DIGITS = re.compile(r"\d(?:[ -]?\d){11,18}")  # 12–19 digits: a card or bank number


@dataclass(frozen=True)
class Escape:
    """One way traffic left (or could leave) staging, password-free."""

    kind: str  # mail | provisioning | payment
    name: str  # the endpoint's name, or what was sent
    url: str  # where it points (password hidden), "" when unknown
    reason: str
    when: str = "before the bill run"  # or "after the bill run"

    @property
    def text(self) -> str:
        where = f" → {self.url}" if self.url else ""
        return f"{self.kind} {self.name}{where}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Expected:
    """What the platform says a bill run sent (or tried to send), per channel; None: the
    profile does not say and the platform cannot report it, so it is not compared."""

    bill_run: int | str | None
    invoices: int  # invoices of the run
    provisioning: int | None  # provisioning requests recorded as sent
    payments: int | None  # payment attempts through a gateway
    mail: int | None = None  # mail messages
    http: int | None = None  # other HTTP calls
    per_invoice: bool = False  # mail is one message per invoice (the profile says so)
    blocked: tuple[str, ...] = ()  # channels not redirected to a sink: blocked by a rule

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["blocked"] = list(self.blocked)
        return found


def public_url(url: str) -> str:
    """``url`` with any user and password removed: safe for records and reports."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def address(url: str) -> str:
    """``host:port`` of ``url`` (default port per scheme; localhost as 127.0.0.1)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = _SAME_HOST.get(host, host)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)}"


def sink_addresses(sinks: Mapping[str, str] | Iterable[str]) -> set[str]:
    """The ``host:port`` of every sink golive runs (``record.outbound.sinks``)."""
    urls = sinks.values() if isinstance(sinks, Mapping) else sinks
    return {address(u) for u in urls if u}


def unredirected(endpoints: Sequence[OutboundEndpoint], sinks: set[str]) -> list[Escape]:
    """Endpoints that point anywhere but one of golive's sinks."""
    return [Escape(e.kind, e.name, public_url(e.url),
                   f"points at {address(e.url)}, which is not a golive sink")
            for e in endpoints if address(e.url) not in sinks]


_WHAT = {"mail": "mail message(s)", "payment": "payment attempt(s)",
         "provisioning": "provisioning request(s)", "http": "HTTP call(s)"}


def shortfalls(expected: Expected, section: OutboundSection) -> list[Escape]:
    """What the platform says it sent that the sinks never received (a count nobody can
    give, None, is not checked; a platform that sends nothing has no shortfall). On a
    channel blocked by a rule nothing reaches a sink, so anything sent there is one."""
    run = f"bill run #{expected.bill_run}" if expected.bill_run is not None else "the bill run"
    found: list[Escape] = []
    blocked = set(expected.blocked)
    counts = {"mail": expected.mail, "payment": expected.payments,
              "provisioning": expected.provisioning, "http": expected.http}
    for channel in (c for c in counts if c in blocked):
        if counts[channel]:
            found.append(Escape(
                channel, f"{channel} channel", "",
                f"the platform reports {counts[channel]} {_WHAT[channel]} in {run}, but "
                f"{channel} is not redirected to a golive sink (blocked by a rule): golive "
                "cannot confirm they were stopped", "after the bill run"))
    sent = {c: (n or 0) if c not in blocked else 0 for c, n in counts.items()}
    got = len(section.mail or [])
    if "mail" not in blocked and expected.mail is not None and got < expected.mail:
        if expected.per_invoice:
            found.append(Escape(
                "mail", "invoice emails", "",
                f"{expected.mail - got} invoice email(s) of {run} never reached the SMTP "
                f"sink ({expected.invoices} invoices, {got} captured): the platform sent them "
                "elsewhere", "after the bill run"))
        else:
            found.append(Escape(
                "mail", "mail messages", "",
                f"{expected.mail - got} mail message(s) of {run} never reached the SMTP sink "
                f"({expected.mail} sent, {got} captured): the platform sent them elsewhere",
                "after the bill run"))
    got = len(section.http or [])
    sinks = section.sinks
    shared = bool(sinks) and sinks.get("payment") == sinks.get("http")  # no payment sandbox
    want = sent["provisioning"] + sent["http"] + (sent["payment"] if shared else 0)
    if got < want:
        what = "provisioning request(s)" if not sent["http"] else "HTTP request(s)"
        found.append(Escape(
            "provisioning" if not sent["http"] else "http", what.replace("(s)", "s"), "",
            f"{want - got} {what} of {run} recorded as sent never reached the HTTP sink "
            f"({want} sent, {got} captured): the platform sent them elsewhere",
            "after the bill run"))
    got = len(section.payment or [])
    if not shared and "payment" not in blocked and expected.payments is not None \
            and got < expected.payments:
        found.append(Escape(
            "payment", "payment attempts", "",
            f"{expected.payments - got} payment attempt(s) of {run} never reached the "
            f"payment sandbox ({got} captured): the platform charged through another "
            "gateway", "after the bill run"))
    return found


def mask_address(address_text: str) -> str:
    """bob@example.com → b***@example.com: the report shows that mail went, not to whom."""
    local, at, domain = str(address_text).partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def digest(address_text: str) -> str:
    """A stable digest of an e-mail address (lower-cased), to match without keeping it."""
    return hashlib.sha256(str(address_text).strip().lower().encode()).hexdigest()[:24]


def body_excerpt(body: Any, limit: int = 120) -> str:
    """A short, safe excerpt of a captured request body: secrets and long digit runs
    (card and bank numbers) replaced by ***."""
    text = _redacted(body)
    text = _DIGITS.sub("***", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _redacted(body: Any) -> str:
    if isinstance(body, Mapping):
        inner = ", ".join(
            f"{k}: {'***' if _SECRET_KEYS.search(str(k)) else _redacted(v)}"
            for k, v in body.items())
        return "{" + inner + "}"
    if isinstance(body, list | tuple):
        return "[" + ", ".join(_redacted(v) for v in body) + "]"
    return "" if body is None else str(body)
