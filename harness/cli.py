"""The ``golive`` command: `run`, `report` and `checklist` over the same library as the plugin.

``golive run`` is the pytest run with the profile: it starts pytest in a
subprocess (so the progress shown here is the real run's, and a crash of the
run cannot take the command down with it), follows the plugin's progress
events, and exits with the run's status. Exit codes everywhere: 0 GO / clean,
1 NO-GO / findings, 2 usage or configuration error, 3 environment error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.status import Status
from sqlalchemy.exc import ArgumentError

from common.dsn import Dsn
from common.errors import ConfigError, GoliveError, Problem
from common.redaction import redact, register
from harness import applicability, checklist_show, unfinished
from harness.browser import chromium_path
from harness.channels import lockdown_items
from harness.checklists import Checklists, load_checklists
from harness.cli_accounts import accounts
from harness.cli_population import baseline, compare
from harness.config import DEFAULT_PROFILE, SIGNOFF_ROLES, Profile, load_profile
from harness.gate import effective_verdict
from harness.merge import merge_shards
from harness.provenance import COMMAND_ENV
from harness.record import Coverage, RunRecord, RunStatus, Verdict, new_run_id
from harness.reports import ReportError, copy_evidence, load_and_render, load_record, write_reports
from harness.reports.pdf import render_pdf
from harness.reports.text import plain
from harness.reports.verdict import verdict_line
from harness.safety import assert_distinct, assert_staging, reveal, safe_dsn
from harness.scaffold.init import KINDS, Kind, scaffold
from harness.scaffold.todo import to_fill_in
from harness.shard import ShardError, parse_shard
from harness.signoff import acts as signoff_acts
from harness.signoff import history as signoff_history
from harness.signoff import render as signoff_render
from harness.signoff import show as signoff_show
from harness.signoff.verify import verify_run
from harness.smoke import READONLY_TAG
from harness.supervise import Supervised
from harness.terminal import err, inert, line, out, styled
from harness.termtable import fit_table
from harness.unfinished import Settled
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



def _fail(exc: GoliveError) -> NoReturn:
    err.print(line((f"golive: {exc.headline}", "bold red"), ": ", exc.message), soft_wrap=True)
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
        implied = lockdown_items(profile.lockdown.channels, profile.path)
        return load_checklists(Path(profile.checklists.dir), implied,
                               production=profile.population is not None)
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


main.add_command(baseline)  # golive baseline capture|show (harness/cli_population.py)
main.add_command(compare)  # golive compare
main.add_command(accounts)  # golive accounts pick (harness/cli_accounts.py)


# -- golive run -------------------------------------------------------------------
def _shard_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        shard = parse_shard(value)
    except ShardError as exc:
        raise click.BadParameter(exc.message) from None
    return f"{shard.index}/{shard.total}"


def _pytest_command(profile: Profile, profile_path: Path, release: str | None, reuse: bool,
                    workers: int | None, run_id: str, events: Path,
                    extra: Sequence[str], shard: str | None = None) -> list[str]:
    """pytest with golive's options, then the user's arguments exactly as given.

    The plugin (a ``pytest11`` entry point) collects the profile's features
    folder unless those arguments name paths; pytest's cache goes to golive's
    state folder, never into the user's features or profile folder. ``-P``: the
    current folder is not put on ``sys.path`` (as with the ``pytest`` command),
    so a project folder named like a golive package (``sanitize/`` for its
    rules, ``steps/``) cannot shadow golive's own."""
    cmd = [sys.executable, "-P", "-m", "pytest", f"--golive-profile={profile_path}",
           f"--golive-run-id={run_id}", f"--golive-events={events}",
           f"--golive-parent={os.getpid()}", "-q", "--no-header",
           "-o", f"cache_dir={profile.state_dir / 'pytest-cache'}"]
    if release:
        cmd += ["--golive-release", release]
    if reuse:
        cmd.append("--golive-reuse")
    if workers:
        cmd += ["-n", str(workers)]
    if shard:
        cmd.append(f"--golive-shard={shard}")
    return cmd + list(extra)


def _show(event: dict[str, Any], status: Status | None = None) -> None:
    """One progress event; every text in it is the user's or the target's: never markup."""
    kind = event.get("event")
    if kind == "message":
        text = str(event.get("text"))
        if status is not None:
            status.update(styled(text))
        if not text.startswith("["):  # "[3/7] restore …" is progress, anything else a note
            out.print(line("  ", (text, "dim")), soft_wrap=True)
    elif kind == "stage":
        outcome = str(event.get("outcome") or "")
        style = _OUTCOME_STYLE.get(outcome, "cyan")
        extra = f" — {event['error']}" if event.get("error") else ""
        out.print(line("  stage    ", (f"{outcome or '…':<11}", style), " ",
                       event.get("name"), extra), soft_wrap=True)
    elif kind == "scenario":
        outcome = str(event.get("outcome"))
        style = _OUTCOME_STYLE.get(outcome, "white")
        out.print(line("  scenario ", (f"{outcome:<11}", style), " ", event.get("feature"),
                       ": ", event.get("name")), soft_wrap=True)
        if event.get("error") and outcome != "passed":
            out.print(line("           ", (event["error"], "dim")), soft_wrap=True)


def _follow(child: Supervised, events: Path) -> tuple[dict[str, Any] | None, str | None]:
    """Show events while pytest runs; return the verdict event and any error event."""
    offset, verdict, error = 0, None, None
    announced = False
    with out.status("starting pytest …") as status:
        while True:
            done = child.poll() is not None
            offset, found, failed = _read_events(events, offset, status)
            verdict, error = found or verdict, failed or error
            if child.stopping and not announced:
                announced = True
                out.print(line((f"golive: received {child.received[0].name}", "bold yellow"),
                               f": stopping the run (pytest has {child.grace:g} s to finish; a "
                               "second signal stops it at once)"), soft_wrap=True)
            if done:
                return verdict, error
            time.sleep(0.2)


def _read_events(events: Path, offset: int, status: Status
                 ) -> tuple[int, dict[str, Any] | None, str | None]:
    verdict, error = None, None
    if not events.is_file():
        return offset, None, None
    with events.open(encoding="utf-8") as stream:
        stream.seek(offset)
        for line in iter(stream.readline, ""):
            if not line.endswith("\n"):
                break  # half-written line: read it next time
            offset += len(line.encode("utf-8"))
            event = json.loads(line)
            if event.get("event") == "verdict":
                verdict = event
            elif event.get("event") == "error":
                error = str(event.get("text"))
            else:
                _show(event, status)
    return offset, verdict, error


@main.command(context_settings={"ignore_unknown_options": True})
@profile_option
@click.option("--release", help="verify this release of the target (overrides target.release)")
@click.option("--reuse", is_flag=True, help="reuse an already prepared staging database")
@click.option("-n", "workers", type=click.IntRange(min=1), help="run scenarios on N processes")
@click.option("--shard", callback=_shard_option, metavar="K/N",
              help="run shard K of N (each machine its own staging; every scenario runs in "
                   "exactly one shard): merge the run folders with `golive report merge`")
@click.option("--stop-grace", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="on SIGINT/SIGTERM/SIGHUP, seconds pytest gets to stop what it started and "
                   "write its interrupted record before it is killed")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(profile_path: Path, release: str | None, reuse: bool, workers: int | None,
        shard: str | None, stop_grace: float, pytest_args: tuple[str, ...]) -> None:
    """Prepare staging, run the features, gate and write the sign-off report.

    Arguments after `--` go to pytest unchanged. A signal stops the run: NO-GO in every
    output, nothing left running, exit 128 + the signal's number.
    """
    # what `golive init` left to fill in, said first: a fresh scaffold's backup does not exist
    # yet, and the full load below stops on that (exit 2, file and line)
    _show_to_fill_in(_load(profile_path, release, references=False))
    profile = _load(profile_path, release)
    checklists = _checklists(profile)  # a checklist error is a usage error before anything
    run_id = new_run_id()
    run_dir = Path(profile.report.dir) / run_id
    with tempfile.TemporaryDirectory(prefix="golive-") as tmp:
        events = Path(tmp) / "events.jsonl"
        log = Path(tmp) / "pytest.log"
        cmd = _pytest_command(profile, profile_path, release, reuse, workers, run_id, events,
                              pytest_args, shard)
        os.environ[COMMAND_ENV] = " ".join(shlex.quote(a) for a in ["golive", *sys.argv[1:]])
        target = f"{profile.target.kind} {getattr(profile.target, 'release', '') or ''}".strip()
        out.print(line(("golive run", "bold"), f" {run_id} — ", profile.name, " — target ",
                       target), soft_wrap=True)
        with Supervised(cmd, log, stop_grace) as child:
            verdict, error = _follow(child, events)
            settled = _settle(profile, checklists, run_id, run_dir, child)
        code = child.returncode
        if error is not None:
            err.print(styled(redact(error)), soft_wrap=True)
        elif not child.received and (verdict is None or code not in (0, 1)
                                     or verdict.get("collection_errors")):
            # no verdict line, or one that cannot say why: pytest's own output does
            err.print(styled(redact(log.read_text(encoding="utf-8", errors="replace")).rstrip()))
        if run_dir.is_dir():  # keep pytest's own output with the run, credentials hidden
            try:
                (run_dir / "pytest.log").write_text(
                    redact(log.read_text(encoding="utf-8", errors="replace")), encoding="utf-8")
            except OSError as exc:  # a full or read-only disk: the run has said so already
                err.print(line("golive: pytest's output was not kept in ", run_dir, ": ",
                               exc.strerror or exc), soft_wrap=True)
    _show_end(settled, verdict, code, run_dir)
    if child.received:  # stopped: the shell's convention, whatever the record says
        sys.exit(128 + int(child.received[0]))
    sys.exit(_exit_of_pytest(code if code is not None else -1))


def _settle(profile: Profile, checklists: Checklists, run_id: str, run_dir: Path,
            child: Supervised) -> Settled:
    """Finish what pytest could not (see harness.unfinished); ``why`` names the stop."""
    code = child.returncode
    why: str | None = None
    status = RunStatus.INTERRUPTED
    if child.received:
        names = ", ".join(dict.fromkeys(s.name for s in child.received))
        why = f"stopped by {names}"
        if child.killed:
            why += f"; pytest (pid {child.pid}) was killed"
    elif code is not None and code < 0:
        why = f"pytest (pid {child.pid}) was killed by {signal.Signals(-code).name}"
        status = RunStatus.CRASHED
    try:
        return unfinished.settle(profile, checklists, run_id, run_dir, why, status)
    except GoliveError as exc:
        err.print(line(f"golive: {exc.headline}: ", exc.message), soft_wrap=True)
        return Settled(None)
    except OSError as exc:  # a full or unwritable reports folder: the run has said so
        err.print(line(f"golive: could not close the run in {run_dir}: ",
                       exc.strerror or exc), soft_wrap=True)
        return Settled(None)


def _show_end(settled: Settled, verdict: dict[str, Any] | None, code: int | None,
              run_dir: Path) -> None:
    record = settled.record
    if record is not None and record.stopped:
        shown = "; ".join(f"{s.what} ({s.how})" if not s.ok else s.what for s in record.stopped)
        bad = any(not s.ok for s in record.stopped)
        out.print(styled(f"golive stopped what it started: {shown}",
                         "bold red" if bad else "dim"), soft_wrap=True)
    if settled.finished_here and record is not None:
        report = run_dir / "signoff.html"
        out.print(styled(verdict_line(record, _relative(report)), "bold red"), soft_wrap=True)
    elif verdict is not None:
        style = "bold green" if code == EXIT_GO else "bold red"
        out.print(styled(verdict["line"], style), soft_wrap=True)


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _exit_of_pytest(code: int) -> int:
    """pytest's status as golive's: 0/1 as they are, usage and collection errors 2."""
    if code in (EXIT_GO, EXIT_NO_GO, EXIT_ENVIRONMENT):
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
    if not path.exists():  # `latest` or a run id: under the profile's reports folder
        path = _reports_dir(profile_path) / run
    return path / "run.json" if path.is_dir() else path


def _chromium(profile_path: Path) -> Path:
    configured = _load(profile_path).portals.chromium if profile_path.is_file() else None
    try:
        return chromium_path(configured)
    except GoliveError as exc:
        _fail(exc)


def _print_pdf(paths: dict[str, Path], profile_path: Path) -> None:
    try:
        paths["signoff.pdf"] = render_pdf(paths["signoff.html"], _chromium(profile_path))
    except GoliveError as exc:
        _fail(exc)


def _show_report(paths: dict[str, Path], record: RunRecord) -> NoReturn:
    verdict = effective_verdict(record)
    for name, path in paths.items():
        out.print(line(f"  {name:<17} ", path), soft_wrap=True)
    style = "bold green" if verdict is Verdict.GO else "bold red"
    out.print(line((f"golive: {verdict.value}", style), " (run ", record.run_id, ", ",
                   record.status.value, "); report: ", paths.get("signoff.html")),
              soft_wrap=True)
    passes = verdict is Verdict.GO or (
        verdict is Verdict.GO_WITH_WAIVERS and record.exit_status == EXIT_GO)
    sys.exit(EXIT_GO if passes else EXIT_NO_GO)


@main.command(context_settings={"ignore_unknown_options": False})
@profile_option
@click.option("--pdf", is_flag=True,
              help="also print the page to signoff.pdf with headless Chromium")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="merge: the merged run's folder (default: a new run folder in the "
                   "profile's reports folder, which `latest` then shows)")
@click.argument("args", nargs=-1, metavar="[RUN | merge DIR...]")
def report(profile_path: Path, pdf: bool, out_dir: Path | None, args: tuple[str, ...]) -> None:
    """Re-render every report of RUN (a run directory, its run.json, or `latest`).

    `golive report merge DIR...` merges the run folders of the shards of one sharded
    run (`golive run --shard K/N`) into one run: one report, one verdict.
    """
    if args and args[0] == "merge":
        _merge(profile_path, [Path(a) for a in args[1:]], out_dir, pdf)
    if len(args) > 1:
        _fail(ReportError(f"one run at a time, got {len(args)}: {' '.join(args)} (to merge "
                          "shards: golive report merge DIR...)"))
    if out_dir is not None:
        _fail(ReportError("--out is for golive report merge"))
    run_json = _run_json(args[0] if args else "latest", profile_path)
    try:
        if signoff_render.has_ledger(run_json.parent):  # sign-off acts apply on re-render
            paths = signoff_render.rerender(run_json.parent.resolve(), dt.date.today())
        else:
            paths = load_and_render(run_json)
    except GoliveError as exc:
        _fail(exc)
    if pdf:
        _print_pdf(paths, profile_path)
    _show_report(paths, RunRecord.load(run_json))


def _merge(profile_path: Path, dirs: list[Path], out_dir: Path | None, pdf: bool) -> NoReturn:
    if not dirs:
        _fail(ReportError("golive report merge needs the run folders of the shards "
                          "(golive report merge DIR DIR...)"))
    profile = _load(profile_path)
    checklists = _checklists(profile)
    try:
        records = [load_record(d / "run.json" if d.is_dir() else d) for d in dirs]
        merged = merge_shards(records, profile, checklists, dt.date.today())
    except GoliveError as exc:
        _fail(exc)
    reports = Path(profile.report.dir)
    target = out_dir or reports / merged.run_id
    latest = reports / "latest" if target.resolve().parent == reports.resolve() else None
    try:
        for folder in dirs:
            copy_evidence(folder if folder.is_dir() else folder.parent, target)
        paths = write_reports(merged, target, profile.report.title, latest)
    except OSError as exc:
        _fail(ReportError(f"cannot write the merged run into {target}: "
                          f"{exc.strerror or exc}"))
    if pdf:
        _print_pdf(paths, profile_path)
    _show_report(paths, merged)


# -- golive checklist -----------------------------------------------------------------
def _latest_coverage(profile: Profile) -> tuple[RunRecord | None, dict[str, str]]:
    run_json = Path(profile.report.dir) / "latest" / "run.json"
    if not run_json.is_file():
        return None, {}
    try:
        record = RunRecord.load(run_json)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err.print(line("golive: ignoring ", run_json, ": ", exc))
        return None, {}
    return record, {c.item_id: c.coverage.value for c in record.checklist}


@main.command()
@profile_option
def checklist(profile_path: Path) -> None:
    """List the checklist items: whether this target can verify each one (and why not),
    and its coverage in the latest run."""
    profile = _load(profile_path, references=False)
    checklists = _checklists(profile)
    record, coverage = _latest_coverage(profile)
    try:
        present = applicability.target_capabilities(profile)
        plans = applicability.plan(checklists.items,
                                   applicability.collect_needs(profile, profile_path), present)
    except GoliveError as exc:
        _fail(exc)
    for notice in checklists.notices:
        out.print(line(("Notice:", "bold"), " ", notice), soft_wrap=True)
    shown = {i.id: coverage.get(i.id, Coverage.UNCOVERED.value) for i in checklists.items} \
        if record else {}
    checklist_show.render(out, plans, present, profile.target.kind, shown,
                          record.run_id if record else None)
    for warning in checklists.warnings:
        err.print(line("warning: ", warning.format()), soft_wrap=True)
    sys.exit(EXIT_GO)


# -- golive init ------------------------------------------------------------------------
def _show_to_fill_in(profile: Profile) -> None:
    left = to_fill_in(profile)
    if left:
        out.print(styled(f"still to fill in ({len(left)} placeholder(s) left by golive init):"))
        for text in left:
            out.print(styled(f"  {text}"), soft_wrap=True)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--target", "kind", type=click.Choice(KINDS), required=True,
              help="sql: the platform's database, no code; python: your own adapter class; "
                   "demo: golive's demo platform")
@click.option("--force", is_flag=True,
              help="add the files to a non-empty DIRECTORY (an existing file is kept)")
@click.option("--name", "title", help="the platform's name in the profile (default: DIRECTORY's)")
def init(directory: Path, kind: Kind, force: bool, title: str | None) -> None:
    """Scaffold a working golive project for a new platform in DIRECTORY."""
    try:
        done = scaffold(directory, kind, force, title)
    except GoliveError as exc:
        _fail(exc)
    for path in done.written:
        out.print(f"  wrote {path}", markup=False, soft_wrap=True)
    for path in done.kept:
        out.print(f"  kept  {path} (it exists; not overwritten)", markup=False, soft_wrap=True)
    if done.profile in done.kept:  # the folder's own profile: not ours to judge here
        out.print("  golive.yaml was kept: compare it with a fresh `golive init` in an empty "
                  "folder for the sections it lacks", markup=False, soft_wrap=True)
    else:
        # what golive init writes parses as written; what it points at is for the user to make
        _show_to_fill_in(_load(done.profile, references=False))
    out.print(f"next: golive checklist --profile {done.profile}\n"
              f"      golive run --profile {done.profile}   (NO-GO until the above is filled in)",
              markup=False, soft_wrap=True)
    sys.exit(EXIT_GO)


# -- golive scan / golive sanitize ---------------------------------------------------
def _scan_rows(title: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    if not rows:
        return
    out.print(fit_table(title, columns, [[plain(cell) for cell in row] for row in rows],
                        out.width, right=("values", "count")))


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
    facts = (f"{shown} — {result.tables} tables, {result.columns} columns, "
             f"{result.values} values, schemas {', '.join(result.schemas)}; "
             f"{len(result.skipped)} views skipped (they store nothing) ({result.seconds}s)")
    if result.findings:
        totals = ", ".join(f"{d} {n}" for d, n in result.by_detector().items())
        out.print(line(("residue", "bold red"), f": {totals} — ", facts), soft_wrap=True)
    if not result.complete:
        out.print(line(("incomplete", "bold red"),
                       f": {len(result.unreadable)} table(s) or column(s) could not be read, "
                       "so this scan proves nothing about them — ", facts), soft_wrap=True)
    if result.clean:
        out.print(line(("clean", "bold green"), ": ", facts, ", no residue"), soft_wrap=True)


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
        salt = profile.sanitize.secret()
        sample = take_original_sample(target, rules, salt) if rules is not None else None
        results = [sanitize_scripts(target, scripts)] if scripts else []
        if rules is not None:
            results.append(sanitize_database(target, rules, salt))
        residue = scan_database(target, profile.sanitize.scan, originals=sample)
    except GoliveError as exc:
        _fail(exc)
    for result in results:
        rows = sum(result.rows_changed.values())
        out.print(line(f"sanitized {inert(shown)} with ", result.source,
                       f": {result.rules_applied} rules, {rows} rows changed in "
                       f"{len(result.rows_changed)} tables ({result.seconds}s)"), soft_wrap=True)
    _show_scan(residue, shown)
    sys.exit(EXIT_GO if residue.clean else EXIT_NO_GO)


# -- sign-off: golive check / waive / attach / signoff / verify / history ----------------
def _signoff_run(profile: Profile, run: str) -> Path:
    try:
        return signoff_acts.find_run(run, Path(profile.report.dir))
    except GoliveError as exc:
        _fail(exc)


def _act_done(result: signoff_acts.ActResult, what: str) -> NoReturn:
    record = result.record
    verdict = effective_verdict(record)
    out.print(f"recorded {what} as ledger entry #{result.seq} of run {record.run_id}",
              markup=False, soft_wrap=True)
    style = "bold green" if verdict is Verdict.GO else "bold red"
    out.print(line((f"golive: {verdict.value}", style), " — report: ", result.report),
              soft_wrap=True)
    sys.exit(EXIT_GO)


run_option = click.option("--run", "run", default="latest", show_default=True,
                          help="the run: a run folder, its run id, or latest")
by_option = click.option("--by", required=True, help="who records this (name or e-mail)")


@main.command()
@profile_option
@run_option
@click.argument("item")
@click.option("--pass/--fail", "passed", required=True, help="the manual check's result")
@click.option("--note", help="what was checked and how")
@by_option
def check(profile_path: Path, run: str, item: str, passed: bool, note: str | None,
          by: str) -> None:
    """Record a manual checklist item's result into a run; the verdict is re-judged."""
    profile = _load(profile_path, references=False)
    run_dir = _signoff_run(profile, run)
    try:
        result = signoff_acts.check(run_dir, profile, item, passed, note, by, dt.date.today())
    except GoliveError as exc:
        _fail(exc)
    _act_done(result, f"{item} {'pass' if passed else 'fail'} by {by}")


@main.command()
@profile_option
@run_option
@click.argument("item")
@click.option("--reason", required=True, help="why the release may go with this failure")
@click.option("--defect", required=True, help="URL of the defect that tracks the failure")
@by_option
@click.option("--expires", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="last day the waiver counts (YYYY-MM-DD)")
def waive(profile_path: Path, run: str, item: str, reason: str, defect: str, by: str,
          expires: dt.datetime) -> None:
    """Waive a checklist item's failures until a date: GO WITH WAIVERS where the profile
    allows it (gate.waivers: critical, severe)."""
    profile = _load(profile_path, references=False)
    run_dir = _signoff_run(profile, run)
    try:
        result = signoff_acts.waive(run_dir, profile, item, reason, defect, by, expires.date(),
                                    dt.date.today())
    except GoliveError as exc:
        _fail(exc)
    _act_done(result, f"a waiver of {item} until {expires.date()} by {by}")


@main.command()
@profile_option
@click.argument("run")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@by_option
@click.option("--role", type=click.Choice(SIGNOFF_ROLES), default="customer", show_default=True)
@click.option("--note", help="what the files are")
def attach(profile_path: Path, run: str, files: tuple[Path, ...], by: str, role: str,
           note: str | None) -> None:
    """Attach UAT results (JUnit XML, Cucumber JSON) and evidence files (PDF, spreadsheet,
    screenshot) to RUN; result files are read into the report's UAT section."""
    profile = _load(profile_path, references=False)
    run_dir = _signoff_run(profile, run)
    try:
        result = signoff_acts.attach(run_dir, profile, files, by, role, note, dt.date.today())
    except GoliveError as exc:
        _fail(exc)
    for uat in result.record.signoff.uat:
        if uat.seq == result.seq:
            out.print(f"  UAT {uat.file}: {uat.tests} tests, {uat.passed} passed, "
                      f"{uat.failed} failed, {uat.skipped} skipped", markup=False)
    _act_done(result, f"{len(files)} file(s) from {by} ({role})")


@main.command()
@profile_option
@run_option
@click.option("--role", type=click.Choice(SIGNOFF_ROLES), required=True)
@click.option("--name", required=True, help="who signs")
@click.option("--decision", type=click.Choice(["approve", "reject"]), required=True)
@click.option("--comment")
def signoff(profile_path: Path, run: str, role: str, name: str, decision: str,
            comment: str | None) -> None:
    """Sign a run: bound to the digests of its record, report, evidence and ledger."""
    profile = _load(profile_path, references=False)
    run_dir = _signoff_run(profile, run)
    try:
        result = signoff_acts.sign(run_dir, profile, role, name, decision, comment,
                                   dt.date.today())
    except GoliveError as exc:
        _fail(exc)
    _act_done(result, f"{decision} by {name} ({role})")


@main.command()
@profile_option
@click.argument("run", default="latest")
def verify(profile_path: Path, run: str) -> None:
    """Check RUN's ledger, files and signatures: exit 0 only when nothing changed and every
    required role approved the run as it is."""
    reports = _reports_dir(profile_path)
    try:
        result = verify_run(signoff_acts.find_run(run, reports))
    except GoliveError as exc:
        _fail(exc)
    for text in signoff_show.verify_lines(result):
        out.print(styled(text), soft_wrap=True)
    sys.exit(EXIT_GO if result.ok else EXIT_NO_GO)


@main.command()
@profile_option
@click.option("--last", "last", type=click.IntRange(min=1), default=10, show_default=True)
def history(profile_path: Path, last: int) -> None:
    """The last runs of this profile: verdict, failures, duration, change from the run before."""
    profile = _load(profile_path, references=False)
    runs = signoff_history.runs_of(Path(profile.report.dir), str(profile.path))
    out.print(signoff_show.history_table(runs, last, out.width))
    sys.exit(EXIT_GO)


# -- golive smoke -------------------------------------------------------------------------------
@main.command(context_settings={"ignore_unknown_options": True})
@profile_option
@click.option("-n", "workers", type=click.IntRange(min=1), help="run scenarios on N processes")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def smoke(ctx: click.Context, profile_path: Path, workers: int | None,
          pytest_args: tuple[str, ...]) -> None:
    """Post-go-live smoke: the @readonly scenarios against production; nothing is prepared
    and every write is refused. Same exit codes and reports as `golive run`."""
    ctx.invoke(run, profile_path=profile_path, release=None, reuse=False, workers=workers,
               shard=None, stop_grace=30.0,
               pytest_args=("--golive-smoke", "-m", READONLY_TAG, *pytest_args))
