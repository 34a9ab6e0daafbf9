"""``golive verify RUN``: is the run what golive wrote and the people signed?

Checks, each finding naming what changed:
1. the ledger's chain (every line's digest, every link, the numbering);
2. every file golive wrote (run.json, signoff.html, junit.xml, cucumber.json,
   defects.csv) against the digests of the last ``render`` entry;
3. every evidence file against the digest it was attached with (and its name),
   and no evidence file the ledger does not know;
4. the signatures: each valid or stale; every required role approved.
Exit 0 only when nothing changed and the sign-off is complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.errors import GoliveError
from harness.record import RunRecord
from harness.signoff.acts import load_record
from harness.signoff.ledger import Ledger, ledger_path, read_ledger
from harness.signoff.render import (
    SignatureView,
    current_subject,
    intact,
    missing_roles,
    signature_views,
)

__all__ = ["VerifyResult", "verify_run"]


@dataclass
class VerifyResult:
    run_id: str
    entries: int
    changed: list[str] = field(default_factory=list)  # tampering: what differs from the ledger
    signatures: list[SignatureView] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required roles without a valid approval

    @property
    def intact(self) -> bool:
        return not self.changed

    @property
    def ok(self) -> bool:
        return self.intact and not self.missing and self.entries > 0


def verify_run(run_dir: Path) -> VerifyResult:
    entries, problems = read_ledger(ledger_path(run_dir))
    result = VerifyResult(run_id=run_dir.name, entries=len(entries))
    result.changed += [str(p) for p in problems]
    record: RunRecord | None = None
    try:
        record = load_record(run_dir)
        result.run_id = record.run_id
    except GoliveError as exc:
        result.changed.append(f"run.json: {exc}")
    if not entries:
        result.changed.append("no sign-off ledger: nothing records what this run's files "
                              "should be (no act was recorded against it)")
        return result
    ledger = Ledger(run_dir, entries)
    result.changed += intact(run_dir, ledger)
    result.signatures = signature_views(entries, current_subject(run_dir, entries))
    rules = record.signoff.rules if record is not None else None
    result.required = list(rules.required_roles) if rules else []
    result.missing = missing_roles(result.signatures, result.required)
    return result
