"""What a test profile names must exist for it to load (`harness.references` checks every
path when the profile loads): its checklists and features folders and its backup file."""

from __future__ import annotations

from pathlib import Path


def furnish(root: Path, backup: str | Path | None = None) -> None:
    """Make ``root``'s default checklists and features folders, and the backup file
    ``backup`` (relative to ``root``) when given and missing."""
    (root / "checklists").mkdir(parents=True, exist_ok=True)
    (root / "features").mkdir(exist_ok=True)
    if backup is not None:
        path = root / backup
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch()
