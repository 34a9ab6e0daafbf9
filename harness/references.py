"""Everything the profile points at, checked when it is loaded — before anything moves.

A typo in a path or a name used to surface only when a stage reached it, after
staging had been restored with raw production data. `problems` checks, without
connecting to anything:

- ``sanitize.rules``: the file exists and is a valid rule file (its own
  problems are reported with its own file and line); ``sanitize.scripts``: each
  file exists;
- ``checklists.dir``, ``features.dir``: the folders exist;
- ``backup.path``: exists, or ``backup.generate`` is set and the target can
  generate a backup;
- not ``portals.chromium``: a browser is needed only when the selected scenarios use the
  portals, which is known after collection — `harness.preflight` checks it then (exit 3);
- what only the target kind knows (the demo's release names, whether an
  existing backup still matches ``backup.generate``): each target kind may name
  a check function here, which the loader calls with the validated profile
  (`TargetKind.checks`, imported only when that kind is used).

A missing path names the closest existing file of its folder ("did you mean").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from common.errors import ConfigError, Problem
from common.yamlsource import Loc, YamlSource, display_name, format_loc, suggest

if TYPE_CHECKING:
    from harness.config import Profile

__all__ = ["KINDS", "Finding", "TargetKind", "problems"]


class Finding(NamedTuple):
    """One problem a check found at ``loc`` of the profile."""

    loc: Loc
    message: str
    valid: list[str] | None = None
    suggestion: str | None = None


@dataclass(frozen=True)
class TargetKind:
    """What the loader knows of a target kind: its own profile check
    (``"module:function"``, called as ``function(profile) -> list[Finding]``) and
    whether it can generate the pre-bill-run backup itself."""

    checks: str | None = None
    generates_backup: bool = False


KINDS: dict[str, TargetKind] = {
    "demo": TargetKind("harness.targets.demo.checks:profile_problems", generates_backup=True),
    "sql": TargetKind(),
    "python": TargetKind(),
}


def _closest(path: Path, want_dir: bool) -> str | None:
    """The nearest name in ``path``'s folder, as ``folder/name`` text, or None."""
    try:
        names = [p.name for p in path.parent.iterdir() if p.is_dir() == want_dir]
    except OSError:
        return None
    found = suggest(path.name, names)
    return str(Path(path.parent, found)) if found else None


def _missing(loc: Loc, path: Path, what: str, want_dir: bool = False, why: str = "") -> Finding:
    """``path`` does not exist: say so (and ``why`` it must), with the closest name."""
    said = f"{display_name(path)}: no such {what}{why}"
    if not path.parent.is_dir():
        return Finding(loc, f"{said}; its folder {display_name(path.parent)} does not exist "
                            "either")
    near = _closest(path, want_dir)
    return Finding(loc, said, suggestion=display_name(Path(near)) if near else None)


def _file(loc: Loc, path: Path | None, what: str) -> list[Finding]:
    if path is None:
        return []
    if path.is_dir():
        return [Finding(loc, f"{display_name(path)} is a folder, not a {what}")]
    return [] if path.is_file() else [_missing(loc, path, what)]


def _folder(loc: Loc, path: Path, what: str) -> list[Finding]:
    if path.is_dir():
        return []
    if path.exists():
        return [Finding(loc, f"{display_name(path)} is a file, not a {what}")]
    return [_missing(loc, path, what, want_dir=True)]


def _rules(profile: Profile) -> tuple[list[Finding], list[Problem]]:
    """The rule file's existence (a Finding) or its own problems (file and line of the
    rule file)."""
    rules = profile.sanitize.rules
    found = _file(("sanitize", "rules"), rules, "rule file")
    if found or rules is None:
        return found, []
    from sanitize.rules import load_rules

    try:
        load_rules(Path(rules))
    except ConfigError as exc:
        return [], exc.problems
    return [], []


def _backup(profile: Profile, kind: TargetKind) -> list[Finding]:
    path, generate = Path(profile.backup.path), profile.backup.generate
    if generate is not None and not kind.generates_backup:
        return [Finding(("backup", "generate"), f"target.kind {profile.target.kind} cannot "
                                                "generate a backup; remove backup.generate and "
                                                "make the pre-bill-run backup of production")]
    if path.exists() or generate is not None:
        return []
    hint = " (or set backup.generate)" if kind.generates_backup else ""
    return [_missing(("backup", "path"), path, "backup", why=": the pre-bill-run backup of "
                     f"production must exist before golive restores it{hint}")]


def target_checks(kind: str) -> Callable[[Profile], Sequence[Finding]] | None:
    """The check function registered for target kind ``kind``, imported on first use."""
    spec = KINDS.get(kind, TargetKind()).checks
    if spec is None:
        return None
    module, _, name = spec.partition(":")
    check: Callable[[Profile], Sequence[Finding]] = getattr(importlib.import_module(module), name)
    return check


def problems(profile: Profile, source: YamlSource) -> list[Problem]:
    """Every reference of ``profile`` that does not resolve, located in ``source``."""
    kind_name = str(profile.target.kind)
    kind = KINDS.get(kind_name, TargetKind())
    found, rule_problems = _rules(profile)
    for index, script in enumerate(profile.sanitize.scripts):
        found += _file(("sanitize", "scripts", index), script, "script")
    found += _folder(("checklists", "dir"), Path(profile.checklists.dir), "checklist folder")
    found += _folder(("features", "dir"), Path(profile.features.dir), "features folder")
    found += _backup(profile, kind)
    check = target_checks(kind_name)
    if check is not None:
        found += check(profile)
    return [source.problem(f.loc, f.message + _default(source, f.loc), valid=f.valid,
                           suggestion=f.suggestion) for f in found] + rule_problems


def _default(source: YamlSource, loc: Loc) -> str:
    """Where a value the profile does not set came from: its default."""
    if loc in source.lines or any(loc[:len(o)] == o for o in source.overridden):
        return ""
    return f" (the default; set {format_loc(loc)} in the profile)"
