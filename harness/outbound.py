"""The escape check: did anything leave staging for a real customer, card or switch?

Pure functions over three witnesses — the target's outbound endpoints, the
addresses of the sinks golive runs, and what those sinks captured — so the
lock-down stage, the report and the tests share one definition of "escaped".

Two moments are checked. *Before* the bill run every endpoint must point at a
sink (host and port, not merely "some local port"). *After* it, what the sinks
received must add up to what the platform says the bill run sent: one email
per invoice, one provisioning call per request recorded as sent, one gateway
call per payment attempt. A shortfall means the platform sent it elsewhere.

``record.extras["outbound"]`` (written by `harness.stages.lockdown`; read by
the gate, the report and the ``golive.outbound`` fixture) has this shape::

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
      "expected": {"bill_run": id, "invoices": n, "provisioning": n, "payments": n},
      "invoices": [{"invoice", "account", "contact" (masked), "contact_digest"}],
                  # per invoice of the bill run, whom it should go to, taken right after
                  # the bill run (targets with ``invoice_mails`` only)
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
    """What the platform says a bill run sent (or tried to send)."""

    bill_run: int | str | None
    invoices: int  # invoices of the run: each is emailed
    provisioning: int | None  # provisioning requests recorded as sent (None: cannot say)
    payments: int | None  # payment attempts through a gateway (None: cannot say)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    """The ``host:port`` of every sink golive runs (``extras["outbound"]["sinks"]``)."""
    urls = sinks.values() if isinstance(sinks, Mapping) else sinks
    return {address(u) for u in urls if u}


def unredirected(endpoints: Sequence[OutboundEndpoint], sinks: set[str]) -> list[Escape]:
    """Endpoints that point anywhere but one of golive's sinks."""
    return [Escape(e.kind, e.name, public_url(e.url),
                   f"points at {address(e.url)}, which is not a golive sink")
            for e in endpoints if address(e.url) not in sinks]


def shortfalls(expected: Expected, section: Mapping[str, Any]) -> list[Escape]:
    """What the platform says it sent that the sinks never received (a count the target
    cannot give, None, is not checked)."""
    run = f"bill run #{expected.bill_run}" if expected.bill_run is not None else "the bill run"
    found: list[Escape] = []
    got = len(section.get("mail") or [])
    if got < expected.invoices:
        found.append(Escape(
            "mail", "invoice emails", "",
            f"{expected.invoices - got} invoice email(s) of {run} never reached the SMTP "
            f"sink ({expected.invoices} invoices, {got} captured): the platform sent them "
            "elsewhere", "after the bill run"))
    got = len(section.get("http") or [])
    sinks = section.get("sinks") or {}
    shared = bool(sinks) and sinks.get("payment") == sinks.get("http")  # no payment sandbox
    want = (expected.provisioning or 0) + ((expected.payments or 0) if shared else 0)
    if got < want:
        found.append(Escape(
            "provisioning", "provisioning requests", "",
            f"{want - got} provisioning request(s) of {run} recorded as sent never reached the "
            f"HTTP sink ({want} sent, {got} captured): the platform sent them elsewhere",
            "after the bill run"))
    got = len(section.get("payment") or [])
    if not shared and expected.payments is not None and got < expected.payments:
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
