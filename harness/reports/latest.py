"""Point ``reports/latest`` at the newest run: a relative symlink, else a marked copy.

The symlink is swapped in atomically (a reader sees the old run or the new
one, never nothing). Where symlinks are not allowed the run is copied, with a
marker file inside the copy. golive replaces ``latest`` only when it is its
own — a symlink to a run folder beside it, or a copy carrying the marker;
anything else named ``latest`` (a folder of the user's, a link of theirs) is
left exactly as it is and the run says so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["MARKER", "foreign_latest", "update_latest"]

MARKER = ".golive-latest"  # inside a copied "latest": golive made this folder


def _ours(latest: Path) -> bool:
    """Whether ``latest`` is golive's: a link to one folder beside it, or a marked copy."""
    if latest.is_symlink():
        target = os.readlink(latest)
        if os.sep in target or (os.altsep and os.altsep in target) or target in ("", ".", ".."):
            return False
        points_at = latest.parent / target
        return not points_at.exists() or (points_at / "run.json").is_file()
    if latest.is_dir():
        return (latest / MARKER).is_file()
    return False


def foreign_latest(latest: Path) -> str | None:
    """Why ``latest`` must be left alone (it exists and is not golive's), else None."""
    if not latest.exists() and not latest.is_symlink():
        return None
    if _ours(latest):
        return None
    kind = "symlink" if latest.is_symlink() else "folder" if latest.is_dir() else "file"
    return (f"{latest} is a {kind} golive did not make: left as it is, so it does not show "
            f"this run; move it away to let golive point {latest.name} at the newest run")


def _remove_ours(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def update_latest(latest: Path, out_dir: Path) -> Path | None:
    """Make ``latest`` show ``out_dir`` and return it; None when ``latest`` is not golive's
    (see `foreign_latest`), which is then left untouched."""
    latest.parent.mkdir(parents=True, exist_ok=True)
    if foreign_latest(latest) is not None:
        return None
    target = os.path.relpath(out_dir.resolve(), latest.parent.resolve())
    tmp = latest.with_name(f".{latest.name}.{os.getpid()}.tmp")
    _remove_ours(tmp)  # a temporary of our own name, left by a killed run
    try:
        os.symlink(target, tmp, target_is_directory=True)
    except OSError:
        shutil.copytree(out_dir, tmp)
        (tmp / MARKER).write_text(out_dir.name + "\n", encoding="utf-8")
        if latest.is_dir() and not latest.is_symlink():
            shutil.rmtree(latest)  # our own marked copy (checked above)
        os.replace(tmp, latest)
        return latest
    if latest.is_dir() and not latest.is_symlink():
        shutil.rmtree(latest)  # a marked copy left by an earlier run without symlinks
    os.replace(tmp, latest)
    return latest
