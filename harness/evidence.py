"""Evidence a step leaves, kept in the run folder under its SHA-256.

A screenshot or a long text goes to a file named by its digest (the same
evidence twice is one file, a renamed or retouched file no longer matches its
name), and the step's `Attachment` names it by a path relative to the run
folder. Short texts stay inline in the record. The report shows the file by
that relative path, so ``signoff.html`` stays small however much evidence a
run has.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from harness.record import Attachment

__all__ = ["INLINE_CHARS", "SCREENSHOTS", "TEXTS", "keep_file", "keep_text"]

SCREENSHOTS = "screenshots"
TEXTS = "attachments"
INLINE_CHARS = 2000  # a longer text goes to a sidecar file; the record keeps its start
_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".txt": "text/plain", ".json": "application/json", ".html": "text/html"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _place(data_path: Path, run_dir: Path, folder: str, digest: str, suffix: str) -> str:
    relative = f"{folder}/{digest}{suffix}"
    target = run_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file():
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(data_path, tmp)
        os.replace(tmp, target)
    return relative


def keep_file(run_dir: Path, path: Path, kind: str, label: str,
              folder: str = SCREENSHOTS) -> Attachment:
    """``path`` kept as ``<folder>/<sha256><suffix>`` in ``run_dir`` (moved when it is
    already inside the run folder under another name)."""
    digest = _sha256(path)
    suffix = path.suffix.lower()
    relative = _place(path, run_dir, folder, digest, suffix)
    if path.resolve() != (run_dir / relative).resolve() and \
            path.resolve().is_relative_to(run_dir.resolve()):
        path.unlink(missing_ok=True)  # one copy, under its digest
    return Attachment(kind=kind, label=label, path=relative, sha256=digest,
                      media_type=_MEDIA.get(suffix, "application/octet-stream"),
                      size=(run_dir / relative).stat().st_size)


def keep_text(run_dir: Path, kind: str, label: str, text: str) -> Attachment:
    """A short text inline; a long one in ``attachments/<sha256>.txt`` with its start
    inline."""
    data = text.encode("utf-8")
    if len(text) <= INLINE_CHARS:
        return Attachment(kind=kind, label=label, text=text, size=len(data))
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{TEXTS}/{digest}.txt"
    target = run_dir / relative
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    excerpt = text[:INLINE_CHARS].rsplit("\n", 1)[0]
    return Attachment(kind=kind, label=label, path=relative, sha256=digest,
                      media_type="text/plain", size=len(data), text=excerpt)
