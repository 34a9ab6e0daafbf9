"""The run record's sections that stages fill in as a run goes: what sanitizing did and
the scan found, what the outbound sinks caught, what preflight checked, the report's title.

Each is typed so the gate, the report and shard merge read named fields, not string
keys. ``from_dict`` reads ``run.json`` (and what an older golive kept under
``extras``): a value of the wrong kind reads as absent, so a damaged record gives the
gate no evidence rather than a pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CAPTURE_KINDS", "OutboundSection", "PreflightSection", "Replayed",
           "ReportSection", "SanitizeSection", "StagingState", "TableRows"]

# what the sinks capture, one list each (mail: the SMTP sink, http: the HTTP sink,
# payment: the payment sandbox)
CAPTURE_KINDS = ("mail", "http", "payment")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _strings(value: object) -> list[str] | None:
    """A list of sentences; anything but a list is no evidence (None)."""
    return [str(v) for v in value] if isinstance(value, list) else None


def _rows(value: object) -> list[dict[str, Any]] | None:
    """Captured items (mails, calls): a list of objects, or None when not a list."""
    return [dict(v) for v in value if isinstance(v, Mapping)] if isinstance(value, list) \
        else None


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    """A count or a time; what is not a number reads as 0."""
    try:
        return kind(value) if value is not None else kind(0)
    except (TypeError, ValueError, OverflowError):
        return kind(0)


@dataclass
class TableRows:
    """Rows sanitizing changed in one table."""

    table: str
    rows: int


@dataclass
class StagingState:
    """Staging after a preparation that stopped with raw production data in it."""

    state: str  # emptied | not emptied
    said: str  # the sentence the stage's error and the notes carry


@dataclass
class SanitizeSection:
    """What sanitizing did and what the scan of staging found (counts, never values).

    ``residue`` None means no scan evidence: the gate never passes it."""

    enabled: bool  # False: sanitizing disabled by the profile (staging only scanned)
    mode: str | None = None  # rules | vendor-sql (None: not sanitized)
    rules: str | None = None  # the rule file
    scripts: list[str] = field(default_factory=list)  # vendor .sql scripts
    rules_applied: int = 0
    tables: list[TableRows] = field(default_factory=list)
    seconds: float = 0.0
    originals_sampled: dict[str, int] | None = None  # sanitize.originals counts
    scan: dict[str, Any] | None = None  # sanitize.report.ScanResult.to_dict()
    residue: list[str] | None = None  # what the scan still found or could not read
    unscanned: str | None = None  # why staging was not scanned (scan-only, not a database)
    attested: str | None = None  # sanitize.attested: who removed the data golive cannot scan
    staging: StagingState | None = None  # set when preparation stopped before it was clean
    reused_from: str | None = None  # a reuse run: when the reused preparation scanned it

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SanitizeSection:
        staging = data.get("staging")
        scan = data.get("scan")
        sampled = data.get("originals_sampled")
        return cls(
            enabled=data.get("enabled") is not False,
            mode=_text(data.get("mode")),
            rules=_text(data.get("rules")),
            scripts=_strings(data.get("scripts")) or [],
            rules_applied=_number(data.get("rules_applied"), int),
            tables=[TableRows(str(t.get("table", "")), _number(t.get("rows"), int))
                    for t in _rows(data.get("tables")) or []],
            seconds=_number(data.get("seconds"), float),
            originals_sampled=dict(sampled) if isinstance(sampled, Mapping) else None,
            scan=dict(scan) if isinstance(scan, Mapping) else None,
            residue=_strings(data.get("residue")),
            unscanned=_text(data.get("unscanned")),
            attested=_text(data.get("attested")),
            staging=(StagingState(str(staging.get("state", "")), str(staging.get("said", "")))
                     if isinstance(staging, Mapping) else None),
            reused_from=_text(data.get("reused_from")),
        )


@dataclass
class Replayed:
    """A reuse run: the preparation whose captures were put back as this run's evidence,
    and how many of each."""

    prepared_at: str | None
    run_id: str | None
    mail: int = 0
    http: int = 0
    payment: int = 0


@dataclass
class OutboundSection:
    """Where lock-down pointed staging's outbound channels, what the sinks caught, and what
    escaped; the shape of each part is documented in `harness.outbound`.

    A capture list (``mail``, ``http``, ``payment``) is None when its sink never ran in
    this run, and ``escaped`` None when nothing was checked: neither is evidence."""

    sinks: dict[str, str] = field(default_factory=dict)  # smtp | http | payment → URL
    redirected: dict[str, dict[str, str]] = field(default_factory=dict)  # endpoint → from, to
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # how each was moved
    escaped: list[str] | None = None  # one sentence per escape; non-empty: NO-GO
    escapes: list[dict[str, str]] = field(default_factory=list)  # Escape.to_dict() of each
    mail: list[dict[str, Any]] | None = None
    http: list[dict[str, Any]] | None = None
    payment: list[dict[str, Any]] | None = None
    expected: dict[str, Any] | None = None  # Expected.to_dict(): what the bill run sent
    invoices: list[dict[str, Any]] | None = None  # whom each invoice should have gone to
    replayed: Replayed | None = None

    def captured(self, kind: str) -> list[dict[str, Any]] | None:
        """The ``kind`` capture list (one of `CAPTURE_KINDS`)."""
        return {"mail": self.mail, "http": self.http, "payment": self.payment}[kind]

    def capture(self, kind: str, rows: list[dict[str, Any]]) -> None:
        if kind == "mail":
            self.mail = rows
        elif kind == "http":
            self.http = rows
        elif kind == "payment":
            self.payment = rows
        else:
            raise ValueError(f"no capture list named {kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def present(self) -> dict[str, Any]:
        """Only what lock-down recorded: the ``golive.outbound`` fixture's view, where a
        missing key tells a step that its sink did not run."""
        return {k: v for k, v in self.to_dict().items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutboundSection:
        replayed = data.get("replayed")
        expected = data.get("expected")
        return cls(
            sinks={str(k): str(v) for k, v in _mapping(data.get("sinks")).items()},
            redirected={str(k): {str(a): str(b) for a, b in v.items()}
                        for k, v in _mapping(data.get("redirected")).items()
                        if isinstance(v, Mapping)},
            channels={str(k): dict(v) for k, v in _mapping(data.get("channels")).items()
                      if isinstance(v, Mapping)},
            escaped=_strings(data.get("escaped")),
            escapes=[{str(k): str(v) for k, v in e.items()}
                     for e in _rows(data.get("escapes")) or []],
            mail=_rows(data.get("mail")),
            http=_rows(data.get("http")),
            payment=_rows(data.get("payment")),
            expected=dict(expected) if isinstance(expected, Mapping) else None,
            invoices=_rows(data.get("invoices")),
            replayed=(Replayed(_text(replayed.get("prepared_at")), _text(replayed.get("run_id")),
                               **{k: _number(replayed.get(k), int) for k in CAPTURE_KINDS})
                      if isinstance(replayed, Mapping) else None),
        )


@dataclass
class PreflightSection:
    """What preflight checked before anything was touched: room, the salt, the browser."""

    reports: str | None = None  # the reports folder, writable
    reports_free_mib: int | None = None
    staging_free_mib: int | None = None  # a SQLite staging database's folder
    sanitize_salt: str | None = None  # where the salt comes from: "profile" or a variable
    needs: list[str] = field(default_factory=list)  # what the selected scenarios need
    browser: str | None = None  # Chromium's version and path, when a scenario needs it

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def updated(self, evidence: Mapping[str, Any]) -> PreflightSection:
        """This section with ``evidence`` (what a `harness.preflight` check returned)."""
        return PreflightSection.from_dict({**self.to_dict(), **evidence})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreflightSection:
        def count(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else _number(value, int)

        return cls(reports=_text(data.get("reports")),
                   reports_free_mib=count("reports_free_mib"),
                   staging_free_mib=count("staging_free_mib"),
                   sanitize_salt=_text(data.get("sanitize_salt")),
                   needs=_strings(data.get("needs")) or [],
                   browser=_text(data.get("browser")))


@dataclass
class ReportSection:
    """How the reports were written, so a re-render from run.json alone matches."""

    title: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportSection | None:
        title = data.get("title")
        return cls(title) if isinstance(title, str) else None
