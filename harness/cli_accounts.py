"""``golive accounts pick``: the diverse accounts covering the most configurations.

Reads the profile's ``population.features`` query on production (read-only), picks
``--n`` accounts by greedy set cover over their (feature, value) pairs and writes them
into the checklist's accounts file, each with a comment saying why it was picked,
keeping every hand-written account and comment. Exit codes: 0 written (or already
so), 2 usage or configuration (no ``population.features``, a file golive would have
to change outside its block, the block edited by hand without ``--force``), 3
environment (production unreachable).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from common.errors import GoliveError
from common.yamlsource import display_name
from harness.config import DEFAULT_PROFILE, load_profile
from harness.picker.pick import Picked, pick

__all__ = ["accounts"]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _fail(exc: GoliveError) -> NoReturn:
    err.print(f"[bold red]golive: {exc.headline}[/]: ", markup=True, end="")
    err.print(exc.message, markup=False, soft_wrap=True)
    sys.exit(exc.exit_code)


def _show(done: Picked) -> None:
    """One line per pick (what the platform said is never markup), then the coverage."""
    for entry, chosen in zip(done.entries, done.picks, strict=True):
        out.print(f"  {entry.account:<12} +{len(chosen.added):<3} "
                  + "; ".join(done.pairs.shown(chosen.added)[:4])
                  + (" …" if len(chosen.added) > 4 else ""), markup=False, soft_wrap=True)
    for key in done.missing:
        out.print(f"  note: the hand-written account {key} is not among the accounts the "
                  "features query returns", markup=False, soft_wrap=True)
    kept = len(done.pairs.kept)
    out.print(f"golive accounts pick: {len(done.picks)} account(s) of {done.accounts} cover "
              f"{done.covered - done.kept_covered} more configuration(s)"
              + (f" than the {kept} hand-written ({done.kept_covered})" if kept else "")
              + f": {done.covered} of {done.pairs.universe} covered", markup=False,
              soft_wrap=True)
    state = "written to" if done.changed else "unchanged:"
    out.print(f"{state} {display_name(done.path)}", markup=False, soft_wrap=True)


@click.group()
def accounts() -> None:
    """The checklist's diverse accounts."""


@accounts.command("pick")
@click.option("--profile", "profile_path", default=DEFAULT_PROFILE, show_default=True,
              type=click.Path(path_type=Path, dir_okay=False), help="the golive profile")
@click.option("--n", "count", type=click.IntRange(min=1), default=12, show_default=True,
              help="how many accounts to pick")
@click.option("--out", "path", type=click.Path(path_type=Path, dir_okay=False),
              help="the checklist file to write (default: accounts.yaml in the checklists "
                   "folder)")
@click.option("--force", is_flag=True,
              help="replace the picked block even if it was edited by hand")
def pick_command(profile_path: Path, count: int, path: Path | None, force: bool) -> None:
    """Pick the accounts that together cover the most distinct configurations and write
    them into the checklist, each with why it was picked."""
    try:
        done = pick(load_profile(profile_path), count, path, force)
    except GoliveError as exc:
        _fail(exc)
    _show(done)
    sys.exit(0)
