"""Sign-off acts on a run: manual result, waiver, attached evidence, signature.

Each act is checked against the run first (a typo'd item id, a past expiry
date or an unreadable UAT file records nothing), then, under the run's lock:
the ledger's chain and the files of the last rendering must be intact (golive
does not add to, or sign, what was changed behind its back), the act is
appended, the record is rebuilt from its base and the ledger, and every report
is rendered again. The first act opens the ledger: it notes the digest of the
run's files as pytest left them and keeps the run's own result as the base.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common.errors import GoliveError
from common.yamlsource import suggest
from harness.config import Profile
from harness.gate import OK_COVERAGE
from harness.record import SCHEMA_VERSION, ChecklistStatus, RunRecord, now
from harness.signoff.apply import snapshot_base, waiver_refusal
from harness.signoff.history import compare_with_previous
from harness.signoff.ledger import SIGNOFF_DIR, Ledger, RunChanged, locked, sha256_file
from harness.signoff.model import SignoffRules
from harness.signoff.render import current_subject, file_digests, intact, render_run
from harness.signoff.uat import kind_of, read_uat

__all__ = [
    "ActResult",
    "SignoffUsage",
    "attach",
    "check",
    "find_run",
    "load_record",
    "rules_of",
    "sign",
    "waive",
]

EVIDENCE = "evidence"


class SignoffUsage(GoliveError):
    """The act does not fit the run (unknown run or item, bad date, not allowed)."""

    exit_code = 2
    headline = "nothing recorded"


@dataclass(frozen=True)
class ActResult:
    seq: int
    record: RunRecord
    run_dir: Path
    report: Path


def find_run(run: str, reports: Path) -> Path:
    """The run folder named by ``run``: a folder, its run.json, a run id under ``reports``,
    or ``latest``. An unknown run is an error with the closest run id."""
    for candidate in (Path(run), reports / run):
        if candidate.name == "run.json" and candidate.is_file():
            return candidate.parent.resolve()
        if (candidate / "run.json").is_file():
            return candidate.resolve()  # reports/latest → the run it points at
    ids = sorted(p.name for p in reports.glob("*") if (p / "run.json").is_file()
                 and p.name != "latest") if reports.is_dir() else []
    hint = suggest(run, ids, cutoff=0.5)
    where = f"no run {run!r} in {reports}"
    if hint:
        where += f" — did you mean {hint}?"
    elif ids:
        where += f" (runs there: {', '.join(ids[-5:])})"
    else:
        where += " (no run there yet)"
    raise SignoffUsage(where)


def load_record(run_dir: Path) -> RunRecord:
    run_json = run_dir / "run.json"
    try:
        data = json.loads(run_json.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError("not a run record this golive reads")
        return RunRecord.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SignoffUsage(f"{run_json}: cannot read the run record: {exc}") from None


def rules_of(profile: Profile) -> SignoffRules:
    gate = profile.gate
    return SignoffRules(
        blocking_severities=[s.value for s in gate.blocking_severities],
        account_tolerance=str(gate.account_tolerance),
        go_with_waivers_passes_ci=gate.go_with_waivers_passes_ci,
        waive_critical=gate.waivers.critical, waive_severe=gate.waivers.severe,
        required_roles=list(profile.signoff.required))


def _item(record: RunRecord, item_id: str) -> ChecklistStatus:
    for status in record.checklist:
        if status.item_id == item_id:
            return status
    ids = [c.item_id for c in record.checklist]
    hint = suggest(item_id, ids, cutoff=0.6)
    raise SignoffUsage(f"unknown checklist item {item_id!r} in run {record.run_id}"
                       + (f" — did you mean {hint}?" if hint else
                          f" (items: {', '.join(ids) or 'none'})"))


@contextmanager
def _session(run_dir: Path, profile: Profile, by: str) -> Iterator[tuple[Ledger, RunRecord]]:
    """The run's ledger and record under its lock; the ledger opened on first use."""
    with locked(run_dir):
        ledger = Ledger.open(run_dir)
        changed = intact(run_dir, ledger)
        if changed:
            raise RunChanged(f"{run_dir}: {'; '.join(changed)}. Nothing was recorded; "
                               "`golive verify` lists what changed")
        record = load_record(run_dir)
        if not ledger.entries:
            ledger.append("open", at=now().isoformat(), by=by, role="golive",
                          run=record.run_id, files=file_digests(run_dir))
            record.signoff.base = snapshot_base(record)
        record.signoff.rules = rules_of(profile)
        record.save(run_dir / "run.json")
        yield ledger, record


def _finish(run_dir: Path, ledger: Ledger, seq: int, today: dt.date, what: str) -> ActResult:
    paths = render_run(run_dir, ledger, today, f"after entry #{seq} ({what})")
    return ActResult(seq, load_record(run_dir), run_dir, paths["signoff.html"])


def check(run_dir: Path, profile: Profile, item_id: str, passed: bool, note: str | None,
          by: str, today: dt.date) -> ActResult:
    """Record a person's result for a manual item (``golive check``)."""
    status = _item(load_record(run_dir), item_id)
    if status.mode != "manual":
        raise SignoffUsage(f"{item_id} is automated: its scenarios verify it; golive check "
                           "records results of manual items only")
    with _session(run_dir, profile, by) as (ledger, _record):
        entry = ledger.append("manual", at=now().isoformat(), by=by, role="qa", item=item_id,
                              result="pass" if passed else "fail", note=note)
        return _finish(run_dir, ledger, entry.seq, today, "manual result")


def _url(defect: str) -> str:
    parts = urlsplit(defect)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SignoffUsage(f"--defect {defect!r} is not an http(s) URL of the defect that "
                           "tracks the failure")
    return defect


def waive(run_dir: Path, profile: Profile, item_id: str, reason: str, defect: str, by: str,
          expires: dt.date, today: dt.date) -> ActResult:
    """Waive a checklist item's failures until ``expires`` (``golive waive``)."""
    record = load_record(run_dir)
    status = _item(record, item_id)
    _url(defect)
    if expires < today:
        raise SignoffUsage(f"--expires {expires} is in the past: the waiver would never count")
    if not reason.strip():
        raise SignoffUsage("--reason is empty: say why the release may go with this failure")
    failures = [f for f in record.failures if item_id in f.checklist_ids]
    if status.coverage in OK_COVERAGE and not failures:
        raise SignoffUsage(f"{item_id} is {status.coverage.value} in run {record.run_id}: "
                           "nothing to waive")
    refusal = waiver_refusal(record, item_id, rules_of(profile))
    if refusal is not None:
        raise SignoffUsage(refusal)
    with _session(run_dir, profile, by) as (ledger, _record):
        entry = ledger.append("waiver", at=now().isoformat(), by=by, role="manager",
                              item=item_id, reason=reason, defect=defect,
                              expires=expires.isoformat())
        return _finish(run_dir, ledger, entry.seq, today, "waiver")


def attach(run_dir: Path, profile: Profile, files: Sequence[Path], by: str, role: str,
           note: str | None, today: dt.date) -> ActResult:
    """Keep files with the run; read UAT result files into the report (``golive attach``).
    Every file is read before anything is kept: one bad file keeps none."""
    read = [(path, kind_of(path), read_uat(path, str(path))) for path in files]
    with _session(run_dir, profile, by) as (ledger, _record):
        folder = run_dir / SIGNOFF_DIR / EVIDENCE
        folder.mkdir(parents=True, exist_ok=True)
        kept: list[dict[str, Any]] = []
        for path, kind, summary in read:
            digest = sha256_file(path)
            stored = f"{SIGNOFF_DIR}/{EVIDENCE}/{digest}{path.suffix.lower()}"
            if not (run_dir / stored).is_file():
                tmp = run_dir / (stored + ".tmp")
                shutil.copyfile(path, tmp)
                tmp.replace(run_dir / stored)
            kept.append({"file": path.name, "stored": stored, "sha256": digest,
                         "size": path.stat().st_size, "kind": kind,
                         "uat": summary.to_dict() if summary is not None else None})
        entry = ledger.append("attach", at=now().isoformat(), by=by, role=role, note=note,
                              files=kept)
        return _finish(run_dir, ledger, entry.seq, today, "evidence attached")


def sign(run_dir: Path, profile: Profile, role: str, name: str, decision: str,
         comment: str | None, today: dt.date) -> ActResult:
    """Sign the run as it is shown now (``golive signoff``)."""
    if not name.strip():
        raise SignoffUsage("--name is empty: a signature names who signed")
    new_rules = load_record(run_dir).signoff.rules != rules_of(profile)
    with _session(run_dir, profile, name) as (ledger, record):
        if new_rules or _outdated(run_dir, record, today):  # sign what today's rendering shows
            render_run(run_dir, ledger, today, "before a signature")
        entry = ledger.append("signature", at=now().isoformat(), by=name, role=role,
                              decision=decision, comment=comment,
                              signed=current_subject(run_dir, ledger.entries))
        return _finish(run_dir, ledger, entry.seq, today, f"{role} {decision}")


def _outdated(run_dir: Path, record: RunRecord, today: dt.date) -> bool:
    """Would rendering today change the record (a waiver expired, an earlier run changed)?"""
    expired = any(w.state == "active" and dt.date.fromisoformat(w.expires) < today
                  for w in record.signoff.waivers)
    return expired or compare_with_previous(record, run_dir.parent) != record.history
