"""The ``golive`` command: `run`, `report` and `checklist` over the same library as the plugin.

``golive run`` is the pytest run with the profile: it starts pytest in a
subprocess (so the progress shown here is the real run's, and a crash of the
run cannot take the command down with it), follows the plugin's progress
events, and exits with the run's status. Exit codes everywhere: 0 GO / clean,
1 NO-GO / findings, 2 usage or configuration error, 3 environment error.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table
from sqlalchemy.exc import ArgumentError

from common.dsn import Dsn
from common.errors import ConfigError, GoliveError, Problem
from common.redaction import redact, register
from harness.checklists import Checklists, load_checklists
from harness.config import DEFAULT_PROFILE, Profile, load_profile
from harness.gate import effective_verdict
from harness.record import Coverage, RunRecord, Verdict, new_run_id
from harness.reports import load_and_render
from harness.reports.text import plain
from harness.safety import assert_distinct, assert_staging, reveal, safe_dsn
from sanitize.api import run_vendor_scripts as sanitize_scripts
from sanitize.api import sanitize as sanitize_database
from sanitize.api import scan as scan_database
from sanitize.api import take_original_sample
from sanitize.report import ScanResult
from sanitize.scanconfig import ScanSettings, load_scan_settings

EXIT_GO, EXIT_NO_GO, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3
_OUTCOME_STYLE = {"passed": "green", "reused": "green", "failed": "red", "error": "red",
                  "undefined": "red", "skipped": "yellow", "not_run": "yellow",
                  "interrupted": "yellow"}

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _fail(exc: GoliveError) -> NoReturn:
    err.print(f"[bold red]golive: {exc.headline}[/]: {exc.message}", markup=True)
    sys.exit(exc.exit_code)


def _load(profile: Path, release: str | None = None, references: bool = True) -> Profile:
    """The profile; ``references`` off only for commands that merely read reports."""
    overrides = {"target.release": release} if release else None
    try:
        return load_profile(profile, overrides, references=references)
    except GoliveError as exc:
        _fail(exc)


def _checklists(profile: Profile) -> Checklists:
    try:
        return load_checklists(Path(profile.checklists.dir))
    except GoliveError as exc:
        _fail(exc)


profile_option = click.option(
    "--profile",
    "profile_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_PROFILE,
    show_default=True,
    help="the golive profile",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Release verification before go-live: run, report, checklist."""


# -- golive run -------------------------------------------------------------------
def _pytest_command(profile: Profile, profile_path: Path, release: str | None, reuse: bool,
                    workers: int | None, run_id: str, events: Path,
                    extra: Sequence[str]) -> list[str]:
    """pytest with golive's options, then the user's arguments exactly as given.

    The plugin (a ``pytest11`` entry point) collects the profile's features
    folder unless those arguments name paths; pytest's cache goes to golive's
    state folder, never into the user's features or profile folder."""
    cmd = [sys.executable, "-m", "pytest", f"--golive-profile={profile_path}",
           f"--golive-run-id={run_id}", f"--golive-events={events}", "-q", "--no-header",
           "-o", f"cache_dir={profile.state_dir / 'pytest-cache'}"]
    if release:
        cmd += ["--golive-release", release]
    if reuse:
        cmd.append("--golive-reuse")
    if workers:
        cmd += ["-n", str(workers)]
    return cmd + list(extra)


def _show(event: dict[str, Any], status: Status | None = None) -> None:
    kind = event.get("event")
    if kind == "message":
        text = str(event.get("text"))
        if status is not None:
            status.update(text)
        if not text.startswith("["):  # "[3/7] restore …" is progress, anything else a note
            out.print(f"  [dim]{text}[/]", markup=True, soft_wrap=True)
    elif kind == "stage":
        outcome = str(event.get("outcome") or "")
        style = _OUTCOME_STYLE.get(outcome, "cyan")
        extra = f" — {event['error']}" if event.get("error") else ""
        out.print(f"  stage    [{style}]{outcome or '…':<11}[/] {event.get('name')}{extra}")
    elif kind == "scenario":
        outcome = str(event.get("outcome"))
        style = _OUTCOME_STYLE.get(outcome, "white")
        out.print(f"  scenario [{style}]{outcome:<11}[/] {event.get('feature')}: "
                  f"{event.get('name')}", soft_wrap=True)
        if event.get("error") and outcome != "passed":
            out.print(f"           [dim]{event['error']}[/]", soft_wrap=True)


def _follow(proc: subprocess.Popen[bytes], events: Path) -> dict[str, Any] | None:
    """Show events while pytest runs; return the verdict event, if any."""
    offset, verdict = 0, None
    with out.status("starting pytest …") as status:
        while True:
            done = proc.poll() is not None
            offset, found = _read_events(events, offset, status)
            verdict = found or verdict
            if done:
                return verdict
            time.sleep(0.2)


def _read_events(events: Path, offset: int, status: Status) -> tuple[int, dict[str, Any] | None]:
    verdict = None
    if not events.is_file():
        return offset, None
    with events.open(encoding="utf-8") as stream:
        stream.seek(offset)
        for line in iter(stream.readline, ""):
            if not line.endswith("\n"):
                break  # half-written line: read it next time
            offset += len(line.encode("utf-8"))
            event = json.loads(line)
            if event.get("event") == "verdict":
                verdict = event
            else:
                _show(event, status)
    return offset, verdict


@main.command(context_settings={"ignore_unknown_options": True})
@profile_option
@click.option("--release", help="verify this release of the target (overrides target.release)")
@click.option("--reuse", is_flag=True, help="reuse an already prepared staging database")
@click.option("-n", "workers", type=click.IntRange(min=1), help="run scenarios on N processes")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(profile_path: Path, release: str | None, reuse: bool, workers: int | None,
        pytest_args: tuple[str, ...]) -> None:
    """Prepare staging, run the features, gate and write the sign-off report.

    Arguments after `--` go to pytest unchanged.
    """
    profile = _load(profile_path, release)
    _checklists(profile)  # a checklist error is a usage error before anything starts
    run_id = new_run_id()
    with tempfile.TemporaryDirectory(prefix="golive-") as tmp:
        events = Path(tmp) / "events.jsonl"
        log = Path(tmp) / "pytest.log"
        cmd = _pytest_command(profile, profile_path, release, reuse, workers, run_id, events,
                              pytest_args)
        target = f"{profile.target.kind} {getattr(profile.target, 'release', '') or ''}".strip()
        out.print(f"[bold]golive run[/] {run_id} — {profile.name} — target {target}",
                  soft_wrap=True)
        with log.open("wb") as sink:
            proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
            try:
                verdict = _follow(proc, events)
            except KeyboardInterrupt:
                proc.wait()
                verdict = _follow(proc, events)
        code = proc.returncode
        said = redact(log.read_text(encoding="utf-8", errors="replace"))
        if verdict is None or code not in (0, 1):
            err.print(said.rstrip(), markup=False)
        run_dir = Path(profile.report.dir) / run_id
        if run_dir.is_dir():  # keep pytest's own output with the run, credentials hidden
            (run_dir / "pytest.log").write_text(said, encoding="utf-8")
    if verdict is not None:
        style = "bold green" if code == EXIT_GO else "bold red"
        out.print(f"[{style}]{verdict['line']}[/]", markup=True, soft_wrap=True)
    sys.exit(_exit_of_pytest(code))


def _exit_of_pytest(code: int) -> int:
    """pytest's status as golive's: 0/1 as they are, usage and collection errors 2."""
    if code in (EXIT_GO, EXIT_NO_GO):
        return code
    if code == 5:  # nothing collected: nothing was verified
        return EXIT_NO_GO
    return EXIT_USAGE if code in (2, 4) else EXIT_ENVIRONMENT


# -- golive report ----------------------------------------------------------------
def _reports_dir(profile_path: Path) -> Path:
    if profile_path.is_file():
        return Path(_load(profile_path, references=False).report.dir)
    return Path("reports")


def _run_json(run: str, profile_path: Path) -> Path:
    path = Path(run)
    if run == "latest" and not path.exists():
        path = _reports_dir(profile_path) / "latest"
    return path / "run.json" if path.is_dir() else path


@main.command()
@profile_option
@click.argument("run", default="latest")
def report(profile_path: Path, run: str) -> None:
    """Re-render every report of RUN (a run directory, its run.json, or `latest`)."""
    run_json = _run_json(run, profile_path)
    try:
        paths = load_and_render(run_json)
    except GoliveError as exc:
        _fail(exc)
    record = RunRecord.load(run_json)
    verdict = effective_verdict(record)
    for name, path in paths.items():
        out.print(f"  {name:<14} {path}")
    style = "bold green" if verdict is Verdict.GO else "bold red"
    out.print(f"[{style}]golive: {verdict.value}[/] (run {record.run_id}, "
              f"{record.status.value}); report: {paths.get('signoff.html')}")
    passes = verdict is Verdict.GO or (
        verdict is Verdict.GO_WITH_WAIVERS and record.exit_status == EXIT_GO)
    sys.exit(EXIT_GO if passes else EXIT_NO_GO)


# -- golive checklist -----------------------------------------------------------------
def _latest_coverage(profile: Profile) -> tuple[RunRecord | None, dict[str, str]]:
    run_json = Path(profile.report.dir) / "latest" / "run.json"
    if not run_json.is_file():
        return None, {}
    try:
        record = RunRecord.load(run_json)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err.print(f"golive: ignoring {run_json}: {exc}")
        return None, {}
    return record, {c.item_id: c.coverage.value for c in record.checklist}


@main.command()
@profile_option
def checklist(profile_path: Path) -> None:
    """List the checklist items and, when a run exists, their coverage in the latest run."""
    profile = _load(profile_path, references=False)
    checklists = _checklists(profile)
    record, coverage = _latest_coverage(profile)
    for notice in checklists.notices:
        out.print(f"[bold]Notice:[/] {notice}")
    title = f"coverage in run {record.run_id}" if record else "coverage (no run yet)"
    table = Table(title=f"{len(checklists.items)} checklist items — {title}")
    for column in ("id", "title", "critical", "severity", "owner", "mode", "coverage"):
        table.add_column(column, no_wrap=column != "title", overflow="fold")
    for item in checklists.items:
        state = coverage.get(item.id, Coverage.UNCOVERED.value) if record else "—"
        style = "green" if state in ("verified", "manual_pass") else (
            "dim" if state == "—" else "red")
        table.add_row(item.id, item.title, "yes" if item.critical else "no",
                      str(item.severity), item.owner, item.mode, f"[{style}]{state}[/]")
    out.print(table)
    for warning in checklists.warnings:
        err.print(f"warning: {warning.format()}", markup=False)
    sys.exit(EXIT_GO)


# -- golive scan / golive sanitize ---------------------------------------------------
def _scan_rows(title: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    if not rows:
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(plain(cell)) for cell in row))
    out.print(table)


def _show_scan(result: ScanResult, shown: str) -> None:
    """Counts per table, column and detector; what was not read, excluded or allowed, and
    why; never a value."""
    _scan_rows(f"residue in {shown}", ("table", "column", "detector", "values"),
               [(f.table, f.column, f.detector, f.count) for f in result.findings])
    _scan_rows("not read — the scan proves nothing about these", ("table", "column", "why"),
               [(u.table, u.column or "(every column)", u.reason) for u in result.unreadable])
    _scan_rows("excluded by the scan settings", ("excluded", "reason", "matched"),
               [(e.pattern, e.reason, ", ".join(e.matched) or "(nothing)")
                for e in result.excluded])
    _scan_rows("allowed by the scan settings", ("table", "column", "rule", "values"),
               [(a.table, a.column, a.what, a.count) for a in result.allowed])
    _scan_rows("binary values, not scanned", ("table", "column", "values"),
               [(b.table, b.column, b.count) for b in result.binary])
    facts = escape(f"{shown} — {result.tables} tables, {result.columns} columns, "
                   f"{result.values} values, schemas {', '.join(result.schemas)}; "
                   f"{len(result.skipped)} views skipped (they store nothing) "
                   f"({result.seconds}s)")
    if result.findings:
        totals = ", ".join(f"{d} {n}" for d, n in result.by_detector().items())
        out.print(f"[bold red]residue[/]: {escape(totals)} — {facts}")
    if not result.complete:
        out.print(f"[bold red]incomplete[/]: {len(result.unreadable)} table(s) or column(s) "
                  f"could not be read, so this scan proves nothing about them — {facts}")
    if result.clean:
        out.print(f"[bold green]clean[/]: {facts}, no residue")


@main.command()
@click.argument("dsn")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="scan settings (YAML, the shape of the profile's sanitize.scan): "
                   "allowlists, exclusions with their reasons, schemas")
@click.option("--schema", "schemas", multiple=True,
              help="scan only this schema (repeatable; default: every schema DSN can read)")
@click.option("--allow-domain", "allow_domains", multiple=True,
              help="an e-mail/host domain that is not residue (repeatable; replaces the "
                   "defaults example.com, example.org, example.net, invalid)")
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="a host or IP that is not residue (repeatable; default 127.0.0.1, localhost)")
def scan(dsn: str, config_path: Path | None, schemas: tuple[str, ...],
         allow_domains: tuple[str, ...], allow_hosts: tuple[str, ...]) -> None:
    """Scan everything DSN can read for PII residue: exit 0 clean, 1 residue or incomplete
    (something could not be read), 3 unreachable. Options replace the --config file's lists."""
    with contextlib.suppress(ArgumentError, ValueError):  # an unreadable DSN fails below
        register(*Dsn(dsn).secrets())
    try:
        settings = load_scan_settings(config_path) if config_path else ScanSettings()
        if schemas:
            settings = settings.model_copy(update={"schemas": list(schemas)})
        result = scan_database(dsn, settings, allow_domains=allow_domains or None,
                               allow_hosts=allow_hosts or None)
    except GoliveError as exc:
        _fail(exc)
    _show_scan(result, safe_dsn(dsn))
    sys.exit(EXIT_GO if result.clean else EXIT_NO_GO)


@main.command()
@profile_option
@click.option("--dsn", help="the database to sanitize (default: the profile's staging database; "
                            "anything else is refused)")
def sanitize(profile_path: Path, dsn: str | None) -> None:
    """Sanitize the profile's staging database with its rules, then scan it (exit 1 on residue)."""
    profile = _load(profile_path)
    target = dsn or reveal(profile.environments.staging.dsn)
    shown = safe_dsn(target)
    try:
        assert_staging(profile, target)
        assert_distinct(profile)  # the file system or the servers: staging is not production
        rules, scripts = profile.sanitize.rules, profile.sanitize.scripts
        if rules is None and not scripts:
            raise ConfigError([Problem(str(profile_path), None, "sanitize.rules",
                                       "no rules and no scripts: nothing to sanitize with")])
        sample = take_original_sample(target, rules) if rules is not None else None
        results = [sanitize_scripts(target, scripts)] if scripts else []
        if rules is not None:
            results.append(sanitize_database(target, rules))
        residue = scan_database(target, profile.sanitize.scan, originals=sample)
    except GoliveError as exc:
        _fail(exc)
    for result in results:
        rows = sum(result.rows_changed.values())
        out.print(f"sanitized {shown} with {result.source}: {result.rules_applied} rules, "
                  f"{rows} rows changed in {len(result.rows_changed)} tables "
                  f"({result.seconds}s)")
    _show_scan(residue, shown)
    sys.exit(EXIT_GO if residue.clean else EXIT_NO_GO)
