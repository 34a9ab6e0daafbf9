"""What a project still has to fill in: the ``FILL IN:`` markers `golive init` left.

Read from the profile, its checklists and a Python adapter beside it, so
`golive run` can say before it starts what is still a placeholder; a profile
written by hand has no marker and nothing is said.
"""

from __future__ import annotations

from pathlib import Path

from harness.config import Profile, PythonTargetConfig

__all__ = ["MARKER", "to_fill_in"]

MARKER = "FILL IN:"


def _files(profile: Profile) -> list[Path]:
    found = [profile.path, *sorted(profile.checklists.dir.glob("*.y*ml"))]
    if isinstance(profile.target, PythonTargetConfig):
        module = profile.target.adapter.partition(":")[0]
        found.append(profile.root / (module.replace(".", "/") + ".py"))
    return [p for p in found if p.is_file()]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def to_fill_in(profile: Profile) -> list[str]:
    """``golive.yaml:14: the release deployed on staging …`` for each marker left."""
    out = []
    for path in _files(profile):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if MARKER in line:
                said = line.split(MARKER, 1)[1].strip()
                out.append(f"{_shown(path, profile.root)}:{number}: {said}")
    return out
