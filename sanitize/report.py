"""What a sanitize run and a scan tell the run record and the report: counts, never values.

Plain dataclasses with ``to_dict()`` so the report writers and ``run.json`` get
JSON-ready data without importing the sanitizer's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Finding", "SanitizeResult", "ScanResult"]


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


@dataclass
class ScanResult:
    """Residue found by the scanner; ``clean`` only when nothing was found."""

    findings: list[Finding] = field(default_factory=list)
    tables: int = 0
    columns: int = 0
    values: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings

    def by_detector(self) -> dict[str, int]:
        """Total flagged values per detector (the report's summary line)."""
        totals: dict[str, int] = {}
        for finding in self.findings:
            totals[finding.detector] = totals.get(finding.detector, 0) + finding.count
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "findings": [f.to_dict() for f in self.findings],
            "by_detector": self.by_detector(),
            "tables": self.tables,
            "columns": self.columns,
            "values": self.values,
            "seconds": self.seconds,
        }
