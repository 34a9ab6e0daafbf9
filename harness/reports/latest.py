"""Point ``reports/latest`` at the newest run: a relative symlink, else a copy.

The symlink is swapped in atomically (a reader sees the old run or the new
one, never nothing). Where symlinks are not allowed the run is copied.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["update_latest"]


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def update_latest(latest: Path, out_dir: Path) -> Path:
    """Make ``latest`` show ``out_dir``; return ``latest``."""
    latest.parent.mkdir(parents=True, exist_ok=True)
    if latest.resolve() == out_dir.resolve() and not latest.is_symlink():
        return latest  # the run was written into "latest" itself
    target = os.path.relpath(out_dir.resolve(), latest.parent.resolve())
    tmp = latest.with_name(f".{latest.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        os.symlink(target, tmp, target_is_directory=True)
    except OSError:
        _remove(latest)
        shutil.copytree(out_dir, latest)
        return latest
    if latest.is_dir() and not latest.is_symlink():
        shutil.rmtree(latest)  # a copy left by an earlier run without symlinks
    os.replace(tmp, latest)
    return latest
