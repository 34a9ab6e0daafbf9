"""Re-render a signed-off run, and what a signature binds.

After every act the record is rebuilt (`apply.apply_ledger`), every report is
written from it (`harness.reports.write_reports`), the signature section of
``signoff.html`` is filled in, and a ``render`` entry records the SHA-256 of
every file golive wrote, so `verify` can tell any later change.

A signature binds the run as it was shown when signing: the digest of
``run.json``, of ``signoff.html`` *without its signature section* (between the
``golive:signatures`` markers: a signature cannot contain its own digest, and
a second signature must not make the first one stale), of every evidence file,
and the chain head (the signature entry's ``prev``). It is **stale** when any
of those digests differs now, or when an act was recorded after it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from harness.record import RunRecord, now
from harness.reports import FILES, write_reports
from harness.signoff.apply import ACTS, apply_ledger
from harness.signoff.ledger import (
    SIGNOFF_DIR,
    Entry,
    Ledger,
    RunChanged,
    ledger_path,
    locked,
    sha256_file,
)

__all__ = [
    "SIG_BEGIN",
    "SIG_END",
    "SignatureView",
    "current_subject",
    "render_run",
    "report_view_digest",
    "signature_views",
]

SIG_BEGIN = "<!-- golive:signatures -->"
SIG_END = "<!-- /golive:signatures -->"
REPORT = "signoff.html"
RUN_JSON = "run.json"


def _region(html: str) -> tuple[int, int] | None:
    start = html.find(SIG_BEGIN)
    end = html.find(SIG_END, start + len(SIG_BEGIN)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return start + len(SIG_BEGIN), end


def report_view_digest(path: Path) -> str:
    """SHA-256 of the report without the content of its signature section."""
    html = path.read_bytes().decode("utf-8", errors="surrogateescape")
    found = _region(html)
    if found is not None:
        html = html[:found[0]] + html[found[1]:]
    return hashlib.sha256(html.encode("utf-8", errors="surrogateescape")).hexdigest()


def splice(html: str, region: str) -> str:
    found = _region(html)
    if found is None:
        raise ValueError("the report has no signature section (golive:signatures markers)")
    return html[:found[0]] + region + html[found[1]:]


def evidence_of(entries: list[Entry]) -> list[str]:
    """Every evidence file the ledger kept (its path in the run folder), in order."""
    return [str(f.get("stored")) for e in entries if e.kind == "attach"
            for f in e.get("files") or []]


def current_subject(run_dir: Path, entries: list[Entry]) -> dict[str, str]:
    """What a signature made now would bind: digest per artefact ("missing" when gone)."""
    def digest(path: Path, report: bool = False) -> str:
        if not path.is_file():
            return "missing"
        return report_view_digest(path) if report else sha256_file(path)

    subject = {RUN_JSON: digest(run_dir / RUN_JSON),
               REPORT: digest(run_dir / REPORT, report=True)}
    for stored in evidence_of(entries):
        subject[stored] = digest(run_dir / stored)
    return subject


@dataclass(frozen=True)
class SignatureView:
    seq: int
    role: str
    name: str
    decision: str  # approve | reject
    comment: str | None
    at: str
    state: str  # valid | stale
    why: list[str] = field(default_factory=list)


def signature_views(entries: list[Entry], subject: dict[str, str]) -> list[SignatureView]:
    """Every signature of the ledger, valid or stale against ``subject``."""
    views = []
    for index, entry in enumerate(entries):
        if entry.kind != "signature":
            continue
        signed: dict[str, str] = dict(entry.get("signed") or {})
        why = [f"{name} changed since it was signed" for name in sorted(signed)
               if subject.get(name, "missing") != signed[name]]
        why += [f"{name} was added since it was signed" for name in sorted(subject)
                if name not in signed]
        why += [f"{e.kind} #{e.seq} was recorded after it ({e.get('at')}, by {e.get('by')})"
                for e in entries[index + 1:] if e.kind in ACTS]
        views.append(SignatureView(
            seq=entry.seq, role=str(entry.get("role")), name=str(entry.get("by")),
            decision=str(entry.get("decision")), comment=entry.get("comment"),
            at=str(entry.get("at")), state="stale" if why else "valid", why=why))
    return views


def missing_roles(views: list[SignatureView], required: list[str]) -> list[str]:
    """Required roles without a valid approval (a later valid rejection also counts)."""
    missing = []
    for role in required:
        valid = [v for v in views if v.role == role and v.state == "valid"]
        if not valid or valid[-1].decision != "approve":
            missing.append(role)
    return missing


_ENV = jinja2.Environment(loader=jinja2.PackageLoader("harness.signoff", "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)


def signatures_html(views: list[SignatureView], required: list[str]) -> str:
    template = _ENV.get_template("signatures.html.j2")
    return template.render(views=views, required=required,
                           missing=missing_roles(views, required))


def _title(record: RunRecord) -> str:
    return record.report.title if record.report is not None else "Release sign-off"


def intact(run_dir: Path, ledger: Ledger) -> list[str]:
    """What changed since golive last rendered the run (empty when nothing did)."""
    renders = [e for e in ledger.entries if e.kind == "render"]
    if not renders:
        return []
    last = renders[-1]
    recorded: dict[str, str] = dict(last.get("files") or {})
    changed = [f"{name} changed since golive wrote it (ledger entry #{last.seq})"
               for name, digest in sorted(recorded.items())
               if not (run_dir / name).is_file() or sha256_file(run_dir / name) != digest]
    later = [e for e in ledger.entries if e.seq > last.seq]
    changed += [f"entry #{e.seq} ({e.kind}) was never rendered into the reports" for e in later]
    return changed + _evidence(run_dir, ledger)


def _evidence(run_dir: Path, ledger: Ledger) -> list[str]:
    changed: list[str] = []
    known: set[str] = set()
    for entry in ledger.entries:
        if entry.kind != "attach":
            continue
        for f in entry.get("files") or []:
            stored = str(f.get("stored"))
            known.add(stored)
            path = run_dir / stored
            if not path.is_file():
                changed.append(f"{stored} ({f.get('file')}, attached in entry #{entry.seq}) "
                               "is missing")
            elif sha256_file(path) != f.get("sha256"):
                changed.append(f"{stored} ({f.get('file')}, attached in entry #{entry.seq}) "
                               "changed since it was attached")
    folder = run_dir / SIGNOFF_DIR / "evidence"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            stored = f"{SIGNOFF_DIR}/evidence/{path.name}"
            if stored not in known:
                changed.append(f"{stored} is not in the ledger: added behind golive's back")
    return changed


def file_digests(run_dir: Path) -> dict[str, str]:
    return {name: sha256_file(run_dir / name) for name in FILES if (run_dir / name).is_file()}


def render_run(run_dir: Path, ledger: Ledger, today: Any, reason: str) -> dict[str, Path]:
    """Apply the ledger, write every report, fill in the signatures, record the digests."""
    record = RunRecord.load(run_dir / RUN_JSON)
    apply_ledger(record, ledger.entries, today)
    paths = write_reports(record, run_dir, _title(record))
    report = run_dir / REPORT
    views = signature_views(ledger.entries, current_subject(run_dir, ledger.entries))
    required = record.signoff.rules.required_roles if record.signoff.rules else []
    html = splice(report.read_text(encoding="utf-8"), signatures_html(views, required))
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(report)
    ledger.append("render", at=now().isoformat(), by="golive", role="golive", reason=reason,
                  files=file_digests(run_dir))
    (run_dir / SIGNOFF_DIR).mkdir(exist_ok=True)
    return paths


def rerender(run_dir: Path, today: Any) -> dict[str, Path]:
    """``golive report`` on a run with a ledger: re-render with the ledger applied, but
    never over files changed behind golive's back (they are evidence of what happened)."""
    with locked(run_dir):
        ledger = Ledger.open(run_dir)
        changed = intact(run_dir, ledger)
        if changed:
            raise RunChanged(f"{run_dir}: {'; '.join(changed)}. golive will not re-render "
                               "over them; `golive verify` lists what changed")
        return render_run(run_dir, ledger, today, "golive report")


def has_ledger(run_dir: Path) -> bool:
    return ledger_path(run_dir).is_file()
