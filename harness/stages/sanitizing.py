"""The sanitize stage: scrub the restored staging copy, then prove it clean.

Order matters: a keyed-hash sample of the originals is taken *before* the
rules run, so the scan afterwards can tell that an original survived without
golive ever keeping a value. Vendor ``.sql`` scripts run as they are and are
followed by the same scan (with the profile's ``sanitize.scan`` settings). The
result goes to ``record.sanitize``; residue there — and anything the
scan could not read, which proves nothing — makes the gate say NO-GO (the
stage itself ran, so it passes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.dsn import Dsn
from common.errors import GoliveError
from harness.record import Outcome
from harness.safety import assert_staging, reveal, safe_dsn
from harness.sections import SanitizeSection, TableRows
from harness.stages.context import StageContext
from sanitize.api import run_vendor_scripts, sanitize, scan, take_original_sample
from sanitize.report import ScanResult
from sanitize.rules import load_rules


def run(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    section = ctx.profile.sanitize
    dsn = ctx.profile.environments.staging.dsn
    assert_staging(ctx.profile, dsn)
    url = reveal(dsn)
    rules = load_rules(Path(section.rules)) if section.rules else None
    scripts = [Path(p) for p in section.scripts]
    salt = section.secret()  # None: the rule file's salt_env variable
    originals = take_original_sample(url, rules, salt) if rules is not None else None

    tables: dict[str, int] = {}
    seconds = 0.0
    applied = 0
    if scripts:
        vendor = run_vendor_scripts(url, scripts)
        tables.update(vendor.rows_changed)
        seconds += vendor.seconds
        applied += vendor.rules_applied
    if rules is not None:
        result = sanitize(url, rules, salt)
        for table, rows in result.rows_changed.items():
            tables[table] = tables.get(table, 0) + rows
        seconds += result.seconds
        applied += result.rules_applied
    found = scan(url, section.scan, originals=originals)
    residue = _residue(found)
    ctx.record.sanitize = SanitizeSection(
        enabled=True,
        mode="vendor-sql" if scripts and rules is None else "rules",
        rules=str(section.rules) if section.rules else None,
        scripts=[str(p) for p in scripts],
        rules_applied=applied,
        tables=[TableRows(t, n) for t, n in sorted(tables.items())],
        seconds=round(seconds, 3),
        originals_sampled=originals.to_dict() if originals is not None else None,
        scan=found.to_dict(),
        residue=residue,
    )
    evidence = {
        "rules_applied": applied,
        "rows_changed": sum(tables.values()),
        "tables": len(tables),
        "seconds": round(seconds, 3),
        "scan": _verdict(found),
    }
    return Outcome.PASSED, evidence


def scan_only(ctx: StageContext) -> str:
    """Sanitizing disabled: scan staging as it is (reading only), record it like a
    sanitized copy's scan, and say what it found. Staging golive cannot read as a
    database (a platform behind an API) is recorded unscanned — never a pass: the gate
    then says nothing proves it holds no personal data."""
    section = ctx.profile.sanitize
    url = reveal(ctx.profile.environments.staging.dsn)
    try:
        backend = Dsn.of(url).backend
        if backend not in ("sqlite", "postgresql"):
            raise GoliveError(f"golive scans SQLite and PostgreSQL databases, and staging is "
                              f"{backend} ({safe_dsn(url)})")
        found = scan(url, section.scan)
    except (GoliveError, ValueError) as exc:
        message = exc.message if isinstance(exc, GoliveError) else str(exc)
        why = f"staging was not scanned: {' '.join(message.split())}"  # one line
        ctx.record.sanitize = SanitizeSection(enabled=False, unscanned=why,
                                              attested=section.attested)
        return why if section.attested is None else f"{why}; attested: {section.attested}"
    ctx.record.sanitize = SanitizeSection(enabled=False, scan=found.to_dict(),
                                          residue=_residue(found))
    return _verdict(found)


def _residue(found: ScanResult) -> list[str]:
    return [f"{f.table}.{f.column}: {f.detector} × {f.count}" for f in found.findings
            ] + [f"{u.label()}: not read ({u.reason})" for u in found.unreadable]


def _verdict(found: ScanResult) -> str:
    return found.verdict if found.clean else (
        f"{found.verdict}: {len(found.findings)} finding(s), {len(found.unreadable)} not read")
