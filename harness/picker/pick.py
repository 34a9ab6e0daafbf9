"""One ``golive accounts pick``: read the features, cover, write the checklist file.

The file is planned before production is read (a file golive would refuse fails fast)
and checked after the merge as golive will load it — with every other checklist file
of the folder, in a scratch copy — before it replaces the old one atomically.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common.errors import ConfigError, Problem
from common.yamlsource import display_name
from harness.baseline.readonly import read_only_engine
from harness.checklists import Checklists, load_checklists
from harness.config import Profile
from harness.picker.block import Entry, merge, render, strip_block
from harness.picker.buckets import Pairs, pairs_of
from harness.picker.cover import Pick, greedy
from harness.picker.survey import survey

__all__ = ["Picked", "pick"]


@dataclass(frozen=True)
class Picked:
    """What a pick chose and wrote."""

    path: Path
    picks: list[Pick]
    entries: list[Entry]
    pairs: Pairs
    accounts: int  # accounts the features query returned
    covered: int  # pairs covered by the hand-written and the picked accounts
    kept_covered: int  # pairs the hand-written accounts covered alone
    missing: list[str]  # hand-written accounts the features query does not return
    changed: bool  # False: the file already said exactly this


def _ident(key: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", key.upper()).strip("-") or "KEY"


def _entries(picks: list[Pick], pairs: Pairs, taken: set[str]) -> list[Entry]:
    entries = []
    for number, chosen in enumerate(picks, start=1):
        account = chosen.candidate
        ident = base = f"ACC-PICK-{_ident(account.key)}"
        suffix = 2
        while ident in taken:
            ident, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(ident)
        names = pairs.shown(account.pairs)
        added = pairs.shown(chosen.added)
        shared = (f"; {account.accounts - 1} other account(s) have the same configuration"
                  if account.accounts > 1 else "")
        comment = (f"{account.key}, pick {number} of {len(picks)}: adds {len(added)} "
                   f"configuration(s) no earlier pick covers — {'; '.join(added)}{shared}")
        entries.append(Entry(ident, account.key, "; ".join(names), comment))
    return entries


class _Scratch:
    """The checklist folder copied aside, with the target file as it would be."""

    def __init__(self, folder: Path, target: Path) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="golive-pick-"))
        self.folder, self.target = folder, target
        for path in [*folder.glob("*.yaml"), *folder.glob("*.yml")]:
            if path.resolve() != target.resolve():
                shutil.copy(path, self.dir / path.name)

    def load(self, text: str | None) -> Checklists:
        scratch = self.dir / self.target.name
        if text is None:
            scratch.unlink(missing_ok=True)
        else:
            scratch.write_text(text, encoding="utf-8")
        try:
            return load_checklists(self.dir)
        except ConfigError as exc:  # say it of the real files
            raise ConfigError([self._real(p) for p in exc.problems]) from None

    def _real(self, problem: Problem) -> Problem:
        name = Path(problem.file).name
        real = self.target if name == self.target.name else self.folder / name
        if Path(problem.file).parent.resolve() != self.dir.resolve():
            return problem
        return dataclasses.replace(problem, file=display_name(real))

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def pick(profile: Profile, n: int, path: Path | None = None, force: bool = False) -> Picked:
    """Pick ``n`` accounts and write them into ``path`` (default: the checklists folder's
    accounts.yaml). ConfigError/Refused (exit 2), EnvironmentProblem (exit 3)."""
    population = profile.population
    features = population.features if population is not None else None
    if features is None:
        raise ConfigError([Problem(display_name(profile.path), None, "population.features",
                                   "the profile has no population.features query: golive "
                                   "accounts pick reads what makes accounts different from it "
                                   "(see README, Picking diverse accounts)")])
    folder = Path(profile.checklists.dir)
    target = path or folder / "accounts.yaml"
    shown = display_name(target)
    old = target.read_text(encoding="utf-8") if target.is_file() else None
    scratch = _Scratch(folder, target)
    try:
        merge(old, render([], ""), shown, force)  # refuse now, before production is read
        before = scratch.load(strip_block(old, shown))
        kept = {a.account for a in before.accounts}
        engine = read_only_engine(profile.environments.production.dsn.reveal())
        try:
            found = survey(engine, features, profile.bill_run.date, kept)
        finally:
            engine.dispose()
        pairs = pairs_of(found, features.buckets)
        covered = frozenset().union(*pairs.kept.values()) if pairs.kept else frozenset()
        picks = greedy(pairs.candidates, n, covered)
        entries = _entries(picks, pairs, {a.id for a in before.accounts})
        total = len(covered) + sum(len(p.added) for p in picks)
        summary = (f"{len(picks)} of {found.accounts} accounts, by the configurations of "
                   f"population.features: with the {len(pairs.kept)} hand-written ones they "
                   f"cover {total} of {pairs.universe}")
        text = merge(old, render(entries, summary), shown, force)
        scratch.load(text)  # golive loads what it writes
    finally:
        scratch.close()
    changed = text != old
    if changed:
        _write(target, text)
    return Picked(target, picks, entries, pairs, found.accounts, total, len(covered),
                  sorted(kept - found.kept.keys()), changed)


def _write(target: Path, text: str) -> None:
    """Replace ``target`` at once: a reader sees the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.golive-pick.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

