"""What a sanitize run and a scan tell the run record and the report: counts, never values.

Plain dataclasses with ``to_dict()`` so the report writers and ``run.json`` get
JSON-ready data without importing the sanitizer's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Excluded", "Finding", "SanitizeResult", "ScanResult", "Tally", "Unreadable"]


@dataclass
class SanitizeResult:
    """One sanitize run: which rules ran, how many rows each table had changed, how long."""

    rules_applied: int
    rows_changed: dict[str, int] = field(default_factory=dict)  # table -> rows updated/deleted
    seconds: float = 0.0
    source: str = ""  # the rule file or vendor script(s) that ran
    hash_method: str = ""  # how keyed hashes were computed ("hmac-sha256", "md5")
    truncated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules_applied": self.rules_applied,
            "rows_changed": dict(self.rows_changed),
            "seconds": self.seconds,
            "source": self.source,
            "hash_method": self.hash_method,
            "truncated": list(self.truncated),
            "skipped": list(self.skipped),
        }


@dataclass(frozen=True)
class Finding:
    """``count`` values of ``table.column`` that ``detector`` flagged (the values are not kept)."""

    table: str
    column: str
    detector: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "column": self.column, "detector": self.detector,
                "count": self.count}


@dataclass(frozen=True)
class Unreadable:
    """A table (``column`` None) or column the scan could not read, and why: the scan
    proves nothing about it, so the result is incomplete."""

    table: str
    column: str | None
    reason: str

    def label(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class Tally:
    """``count`` values of ``table.column`` under ``what``: an allow rule that covered them,
    or ``binary`` (bytes that are not text, so not scanned)."""

    table: str
    column: str
    what: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "column": self.column, "what": self.what,
                "count": self.count}


@dataclass(frozen=True)
class Excluded:
    """An exclusion of the scan settings, its reason, and the tables/columns it matched."""

    pattern: str
    reason: str
    matched: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "reason": self.reason, "matched": list(self.matched)}


@dataclass
class ScanResult:
    """What the scanner read and found; ``clean`` only when it read everything and found
    nothing.

    ``verdict``: ``residue`` when anything was found, else ``incomplete`` when
    something could not be read (a scan that could not read a table proves
    nothing about it), else ``clean``. ``skipped`` lists what holds no data of
    its own (plain views, unpopulated materialised views) with the reason.
    """

    findings: list[Finding] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    binary: list[Tally] = field(default_factory=list)
    allowed: list[Tally] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    settings: dict[str, list[str]] = field(default_factory=dict)
    schemas: list[str] = field(default_factory=list)
    tables: int = 0
    columns: int = 0
    values: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.unreadable

    @property
    def clean(self) -> bool:
        return self.complete and not self.findings

    @property
    def verdict(self) -> str:
        if self.findings:
            return "residue"
        return "clean" if self.complete else "incomplete"

    def by_detector(self) -> dict[str, int]:
        """Total flagged values per detector (the report's summary line)."""
        totals: dict[str, int] = {}
        for finding in self.findings:
            totals[finding.detector] = totals.get(finding.detector, 0) + finding.count
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "complete": self.complete,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "by_detector": self.by_detector(),
            "unreadable": [u.to_dict() for u in self.unreadable],
            "binary": [b.to_dict() for b in self.binary],
            "allowed": [a.to_dict() for a in self.allowed],
            "excluded": [e.to_dict() for e in self.excluded],
            "skipped": [{"object": name, "reason": why} for name, why in self.skipped],
            "settings": {k: list(v) for k, v in self.settings.items()},
            "schemas": list(self.schemas),
            "tables": self.tables,
            "columns": self.columns,
            "values": self.values,
            "seconds": self.seconds,
        }
