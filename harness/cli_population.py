"""``golive baseline capture|show`` and ``golive compare``: production is the oracle, on demand.

``baseline capture`` reads production's results of the profile's bill run (read-only)
into the baseline; ``compare`` compares the profile's staging database with it and
prints the findings grouped by dataset, field and group. Exit codes: 0 nothing beyond
tolerance (or captured), 1 differences beyond the threshold, 2 usage or configuration
(no population section, a baseline of another bill run), 3 environment.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from common.errors import ConfigError, GoliveError, Problem
from harness.baseline.capture import capture, stale
from harness.baseline.compare import compare as compare_population
from harness.baseline.profile import Population
from harness.baseline.store import open_store
from harness.config import DEFAULT_PROFILE, Profile, load_profile
from harness.record import BaselineInfo, PopulationSection, RunRecord, new_run_id, now
from harness.stages.comparing import spool_path
from harness.stages.context import StageContext
from harness.stages.data import locate
from harness.targets.base import TargetError
from harness.targets.loader import open_target

__all__ = ["baseline", "compare"]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
profile_option = click.option("--profile", "profile_path", default=DEFAULT_PROFILE,
                              show_default=True, help="the golive profile",
                              type=click.Path(path_type=Path, dir_okay=False))


def _fail(exc: GoliveError) -> NoReturn:
    """One unwrapped line: the message may hold anything the databases said (no markup)."""
    err.print(f"[bold red]golive: {exc.headline}[/]: ", markup=True, end="")
    err.print(exc.message, markup=False, soft_wrap=True)
    sys.exit(exc.exit_code)


def _population(profile_path: Path) -> tuple[Profile, Population]:
    try:
        profile = load_profile(profile_path)
        if profile.population is None:
            raise ConfigError([Problem(str(profile_path), None, "population",
                                       "the profile has no population section: nothing to "
                                       "capture or compare (see README, Production is the "
                                       "oracle)")])
    except GoliveError as exc:
        _fail(exc)
    return profile, profile.population


def _backup_digest(profile: Profile) -> str | None:
    """The digest of the pre-bill-run backup, as the pipeline's backup stage finds it."""
    try:
        target = open_target(profile, "staging")
    except (GoliveError, TargetError):
        return None
    try:
        record = RunRecord(run_id=new_run_id(), started_at=now().isoformat(),
                           profile=str(profile.path), target=profile.target.kind)
        found = locate(StageContext(profile=profile, record=record, target=target), make=False)
        digest = found.get("sha256")
        return str(digest) if digest else None
    except Exception:  # no backup yet: the pipeline captures again for the one it finds
        return None
    finally:
        target.close()


def _show_provenance(info: BaselineInfo) -> None:
    lines = [f"  production's bill run of {info.bill_run_date}"
             + (f" on release {info.release}" if info.release else ""),
             f"  read from  {info.source} (read-only)",
             f"  captured   {info.captured_at}",
             "  rows       " + ", ".join(f"{k} {v}" for k, v in info.rows.items()),
             f"  digest     {info.digest}",
             f"  backup     {info.backup_sha256 or 'not recorded'}",
             f"  kept in    {info.store}"]
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)


@click.group()
def baseline() -> None:
    """Production's results of the bill run: capture them (read-only), show them."""


@baseline.command("capture")
@profile_option
def capture_command(profile_path: Path) -> None:
    """Read production's results of the profile's bill run into the baseline (read-only)."""
    profile, population = _population(profile_path)
    store = open_store(population, profile.state_dir)
    try:
        info = capture(population, profile.environments.production.dsn, store,
                       profile.bill_run.date, _backup_digest(profile))
    except GoliveError as exc:
        _fail(exc)
    finally:
        store.close()
    out.print("[bold green]captured[/] the baseline:", markup=True)
    _show_provenance(info)
    sys.exit(0)


@baseline.command("show")
@profile_option
def show_command(profile_path: Path) -> None:
    """Show the stored baseline's provenance, and whether it serves the profile's bill run."""
    profile, population = _population(profile_path)
    store = open_store(population, profile.state_dir)
    try:
        info = store.provenance()
    except GoliveError as exc:
        _fail(exc)
    finally:
        store.close()
    if info is None:
        out.print(f"no baseline at {store.location}: golive baseline capture", markup=False)
        sys.exit(1)
    out.print(f"baseline at {store.location}:", markup=False, soft_wrap=True)
    _show_provenance(info)
    why = stale(info, population, profile.bill_run.date, None)
    if why is not None:
        out.print("[bold red]stale[/] for this profile: ", markup=True, end="")
        out.print(why, markup=False)
        sys.exit(1)
    sys.exit(0)


def _show_section(section: PopulationSection) -> None:
    """One line per dataset, one per finding: what the target said is never markup."""
    for d in section.datasets:
        out.print(f"  {d.dataset}: {d.production_rows} production / {d.staging_rows} staging "
                  f"rows — {d.missing} missing, {d.extra} extra, {d.changed} changed; "
                  f"{d.beyond} beyond tolerance, {d.within} within, {d.accepted} accepted "
                  f"({d.method})", markup=False, soft_wrap=True)
    for f in section.findings:
        what = (f.label or f.column) if f.category == "changed" else f"row {f.category}"
        where = " · ".join(x for x in (f.dataset, what, f.group) if x)
        more = " …" if f.accounts > len(f.first_accounts) else ""
        style = "red" if f.status == "beyond tolerance" else "yellow"
        out.print(f"  [{style}]{f.status.upper()}[/] ", markup=True, end="")
        out.print(f"{where} · {f.accounts} account(s) · {f.delta or 'changed'} · "
                  f"{', '.join(f.first_accounts)}{more}"
                  + (f" — {f.reason}" if f.reason else ""), markup=False, soft_wrap=True)


@click.command()
@profile_option
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              help="where the complete list of differences goes (default: the state folder)")
def compare(profile_path: Path, csv_path: Path | None) -> None:
    """Compare the profile's staging database with the baseline, now: exit 0 nothing beyond
    tolerance, 1 differences, 2/3 errors."""
    profile, population = _population(profile_path)
    store = open_store(population, profile.state_dir)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = csv_path or spool_path(profile.state_dir, f"compare-{stamp}")
    try:
        section = compare_population(population, store, profile.target_dsn(),
                                     profile.bill_run.date, target)
    except GoliveError as exc:
        _fail(exc)
    base = section.baseline
    out.print(f"golive compare: staging {profile.target_dsn()} against production's "
              f"bill run of {base.bill_run_date}"
              + (f" (release {base.release})" if base.release else "")
              + f", captured {base.captured_at}", markup=False, soft_wrap=True)
    _show_section(section)
    out.print(f"  all differences: {target} ({section.csv_rows} row(s))", markup=False,
              soft_wrap=True)
    style = "bold green" if section.passed else "bold red"
    out.print(f"[{style}]golive compare: {section.beyond} difference(s) beyond tolerance "
              f"(threshold {section.threshold})[/]", markup=True)
    sys.exit(0 if section.passed else 1)
