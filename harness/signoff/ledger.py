"""The sign-off ledger: an append-only, hash-chained JSON-lines file per run.

``reports/<run>/signoff/ledger.jsonl`` holds one entry per line::

    {"seq": 3, "kind": "waiver", "at": "…", "by": "…", "role": "…", …,
     "prev": "<digest of entry 2>", "digest": "<sha256 of this entry without 'digest'>"}

The digest is SHA-256 over the entry's canonical JSON (sorted keys, no spaces,
UTF-8) without its own ``digest``; ``prev`` is the digest of the entry before it
(64 zeros for the first). Editing a line breaks its digest; deleting, inserting
or reordering lines breaks a ``prev`` link or the numbering. This proves the
file is internally consistent, not who wrote it: anyone who can write the file
can rewrite the whole chain (README, "what the chain proves").
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from common.errors import GoliveError

__all__ = [
    "GENESIS",
    "ChainProblem",
    "Entry",
    "Ledger",
    "LedgerBroken",
    "RunChanged",
    "canonical",
    "entry_digest",
    "ledger_path",
    "read_ledger",
    "sha256_file",
]

GENESIS = "0" * 64
LEDGER = "ledger.jsonl"
SIGNOFF_DIR = "signoff"
LOCK_SECONDS = 30


class LedgerBroken(GoliveError):
    """The chain does not hold: golive will not add to a ledger it cannot vouch for."""

    exit_code = 1
    headline = "sign-off ledger broken"


class RunChanged(LedgerBroken):
    """A file of the run differs from what golive last wrote: it is evidence, not input."""

    headline = "run changed behind golive's back"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def entry_digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in data.items() if k != "digest"})).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ledger_path(run_dir: Path) -> Path:
    return run_dir / SIGNOFF_DIR / LEDGER


@dataclass(frozen=True)
class Entry:
    line: int  # 1-based line of the ledger file
    data: dict[str, Any]

    @property
    def seq(self) -> int:
        return int(self.data.get("seq", 0))

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def digest(self) -> str:
        return str(self.data.get("digest", ""))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass(frozen=True)
class ChainProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"{LEDGER} line {self.line}: {self.message}"


def read_ledger(path: Path) -> tuple[list[Entry], list[ChainProblem]]:
    """Every entry that parses, and every break of the chain, each with its line."""
    entries: list[Entry] = []
    problems: list[ChainProblem] = []
    if not path.is_file():
        return entries, problems
    prev = GENESIS
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif raw:
        problems.append(ChainProblem(len(lines), "the last line is cut short (no newline)"))
    for number, blob in enumerate(lines, 1):
        try:
            data = json.loads(blob.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(ChainProblem(number, f"not a ledger entry (not JSON: {exc})"))
            prev = "?"
            continue
        if not isinstance(data, dict) or "digest" not in data or "prev" not in data:
            problems.append(ChainProblem(number, "not a ledger entry (no digest or prev)"))
            prev = "?"
            continue
        entry = Entry(number, data)
        what = f"entry #{entry.seq} ({entry.kind})"
        if entry_digest(data) != entry.digest:
            problems.append(ChainProblem(number, f"{what} does not match its digest: the line "
                                                 "was edited after it was written"))
        if data["prev"] != prev and prev != "?":
            problems.append(ChainProblem(number, f"{what} does not follow the line before it "
                                                 "(broken link): a line was deleted, inserted "
                                                 "or moved"))
        if entry.seq != number:
            problems.append(ChainProblem(number, f"{what} is numbered #{entry.seq} on line "
                                                 f"{number}: entries were deleted or reordered"))
        entries.append(entry)
        prev = entry.digest
    return entries, problems


class Ledger:
    """The ledger of one run, opened only when its chain holds."""

    def __init__(self, run_dir: Path, entries: list[Entry]) -> None:
        self.run_dir = run_dir
        self.path = ledger_path(run_dir)
        self.entries = entries

    @classmethod
    def open(cls, run_dir: Path) -> Ledger:
        entries, problems = read_ledger(ledger_path(run_dir))
        if problems:
            listed = "; ".join(str(p) for p in problems)
            raise LedgerBroken(f"{ledger_path(run_dir)}: {listed}. Nothing was recorded; "
                               "`golive verify` lists what changed")
        return cls(run_dir, entries)

    @property
    def head(self) -> str:
        return self.entries[-1].digest if self.entries else GENESIS

    def append(self, kind: str, **fields: Any) -> Entry:
        """Write one entry at the end (flushed to disk before returning)."""
        data: dict[str, Any] = {"seq": len(self.entries) + 1, "kind": kind, **fields,
                                "prev": self.head}
        data["digest"] = entry_digest(data)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())
        entry = Entry(len(self.entries) + 1, json.loads(line))
        self.entries.append(entry)
        return entry


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """One sign-off act at a time per run (two people signing at once both land)."""
    folder = run_dir / SIGNOFF_DIR
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(folder / ".lock"), timeout=LOCK_SECONDS):
            yield
    except Timeout:
        raise GoliveError(f"{folder}: another sign-off act has held the lock for "
                          f"{LOCK_SECONDS} s; try again") from None
