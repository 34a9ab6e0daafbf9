"""Report writers: every output of a run, derived from its record alone.

``write_reports`` is what the pytest plugin calls at the end of a run and
``load_and_render`` what ``golive report`` calls; both write the same files
from a ``RunRecord``, so a report re-rendered from ``run.json`` is the report
the run wrote.

    run.json           the record (the source of everything else)
    signoff.html       the self-contained sign-off page (summary, then the detail)
    junit.xml          for CI (each scenario's Gherkin steps in its system-out)
    cucumber.json      for Cucumber reporters and Xray
    defects.csv/.xlsx  one row per failure
    traceability.csv/.xlsx  every checklist item with every scenario that verifies it
    accounts.csv       every account check
    differences.csv    every difference of the population against production (when compared)
    screenshots/, attachments/  evidence of the steps, named by SHA-256
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson

from common.errors import GoliveError
from harness.record import SCHEMA_VERSION, RunRecord
from harness.reports.cucumber import cucumber_json
from harness.reports.defects import render_defects
from harness.reports.differences import write_differences
from harness.reports.html import render_html
from harness.reports.junit import render_junit
from harness.reports.latest import foreign_latest, update_latest
from harness.reports.tables import (
    ACCOUNT_COLUMNS,
    DEFECT_COLUMNS,
    TRACE_COLUMNS,
    account_rows,
    csv_text,
    defect_rows,
    trace_rows,
)
from harness.reports.xlsx import xlsx_bytes
from harness.sections import ReportSection
from harness.signoff.history import compare_with_previous

__all__ = [
    "DEFAULT_TITLE",
    "ReportError",
    "copy_evidence",
    "load_and_render",
    "load_record",
    "render_html",
    "write_reports",
]

DEFAULT_TITLE = "Release sign-off"
FILES = ("run.json", "signoff.html", "junit.xml", "cucumber.json", "defects.csv",
         "traceability.csv", "accounts.csv", "traceability.xlsx", "defects.xlsx")
EVIDENCE_DIRS = ("screenshots", "attachments")  # files the record names by digest


class ReportError(GoliveError):
    """``run.json`` is missing or is not a run record golive can render."""

    exit_code = 2
    headline = "cannot render the report"


def _write(path: Path, text: str | bytes) -> Path:
    """Atomically; a failed write (a full disk) leaves no ``.tmp`` behind."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text, encoding="utf-8", newline="")  # exactly these bytes
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def copy_evidence(source: Path, out_dir: Path) -> None:
    """The step evidence of a run folder into another (a re-render elsewhere, a merge):
    files named by digest, so an existing one is the same file."""
    for folder in EVIDENCE_DIRS:
        if not (source / folder).is_dir() or source.resolve() == out_dir.resolve():
            continue
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
        for path in (source / folder).iterdir():
            target = out_dir / folder / path.name
            if path.is_file() and not target.exists():
                shutil.copyfile(path, target)


def write_reports(
    record: RunRecord,
    out_dir: Path,
    title: str = DEFAULT_TITLE,
    latest_link: Path | None = None,
) -> dict[str, Path]:
    """Write every report of ``record`` into ``out_dir``; return name → path.

    The title is kept in ``record.report.title`` so a re-render
    from run.json alone reproduces the page. ``latest_link`` (e.g.
    ``reports/latest``) is pointed at ``out_dir`` when given and golive's own
    (see `harness.reports.latest`); when it is not, a note in the record says so.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    record.report = ReportSection(title)
    record.history = compare_with_previous(record, out_dir.parent)
    foreign = foreign_latest(latest_link) if latest_link is not None else None
    if foreign is not None and foreign not in record.notes:
        record.notes.append(foreign)
    record.save(out_dir / "run.json")
    record = record.redacted()  # no credential reaches a report, whatever text carried it
    paths = {
        "run.json": out_dir / "run.json",
        "signoff.html": _write(out_dir / "signoff.html", render_html(record, title, out_dir)),
        "junit.xml": _write(out_dir / "junit.xml", render_junit(record)),
        "cucumber.json": _write(
            out_dir / "cucumber.json",
            orjson.dumps(cucumber_json(record, out_dir), option=orjson.OPT_INDENT_2) + b"\n",
        ),
        "defects.csv": _write(out_dir / "defects.csv", render_defects(record)),
        "traceability.csv": _write(out_dir / "traceability.csv",
                                   csv_text(TRACE_COLUMNS, trace_rows(record))),
        "accounts.csv": _write(out_dir / "accounts.csv",
                               csv_text(ACCOUNT_COLUMNS, account_rows(record))),
        "traceability.xlsx": _write(out_dir / "traceability.xlsx",
                                    xlsx_bytes("traceability", TRACE_COLUMNS,
                                               trace_rows(record))),
        "defects.xlsx": _write(out_dir / "defects.xlsx",
                               xlsx_bytes("defects", DEFECT_COLUMNS, defect_rows(record))),
    }
    differences = write_differences(record, out_dir)
    if differences is not None:
        paths["differences.csv"] = differences
    if latest_link is not None and foreign is None:
        linked = update_latest(latest_link, out_dir)
        if linked is not None:
            paths["latest"] = linked
    return paths


def load_record(run_json: Path) -> RunRecord:
    """``run.json`` as a record, or a `ReportError` saying what is wrong with the file."""
    return _load(run_json)


def _load(run_json: Path) -> RunRecord:
    try:
        data = json.loads(run_json.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(f"{run_json}: no such file (expected a run's run.json)") from exc
    except OSError as exc:
        raise ReportError(f"{run_json}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ReportError(f"{run_json}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise ReportError(f"{run_json}: not UTF-8 text: {exc.reason}") from exc
    if not isinstance(data, dict):
        raise ReportError(f"{run_json}: not a run record (expected a JSON object)")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ReportError(
            f"{run_json}: run record schema {version!r}, this golive reads {SCHEMA_VERSION}"
        )
    try:
        return RunRecord.from_dict(data)
    except KeyError as exc:
        raise ReportError(f"{run_json}: not a run record: missing key {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ReportError(f"{run_json}: not a run record: {exc}") from exc


def load_and_render(
    run_json: Path, out_dir: Path | None = None, title: str | None = None
) -> dict[str, Path]:
    """Re-render every report from ``run.json`` alone (``golive report``).

    ``out_dir`` defaults to the folder holding run.json; the title defaults to
    the one the run was written with.
    """
    record = _load(run_json)
    if out_dir is not None:
        copy_evidence(run_json.parent, out_dir)
    stored = record.report.title if record.report is not None else None
    chosen = title or stored or DEFAULT_TITLE
    return write_reports(record, out_dir or run_json.parent, chosen)
