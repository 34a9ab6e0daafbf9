"""What golive started for a run that outlives one call, and whether it was stopped.

Sinks, the payment sandbox, portal servers and the target's billing service
are started by different processes of one run (the pytest controller, xdist
workers) and must all be stopped on every exit path, including a kill. Each
start and stop is appended as one JSON line to ``started.jsonl`` in the run
directory (``O_APPEND``: lines from several processes never interleave), so:

* the controller lists in the record what every process stopped
  (``RunRecord.stopped``), and
* ``golive run``, after its pytest child died without finishing, learns what
  is still running: a thing that lived inside a process (a sink thread) ended
  with it; a thing that runs on its own (the billing service, detached from
  golive's processes) names how to stop it (``stop_with``), and `leftovers`
  lists those never stopped.

A ledger without a path (golive's own tests calling the pipeline) only keeps
its entries in memory.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from harness.record import Stopped, now
from harness.targets.base import Target

__all__ = ["BILLING_SERVICE", "LEDGER_FILE", "Entry", "Ledger", "RunsServers", "close_target",
           "leftovers", "read_ledger", "summary"]

LEDGER_FILE = "started.jsonl"
BILLING_SERVICE = "billing_service"  # stop_with: the target's billing_service("stop")


@dataclass
class Entry:
    """One thing started in this run, as the ledger knows it."""

    what: str
    pid: int  # the process that started it
    stop_with: str | None  # None: lives inside that process and ends with it
    started_at: str
    stopped: Stopped | None = None


@dataclass
class Ledger:
    """This process's view of the run's ledger; appends to the shared file."""

    path: Path | None
    entries: dict[str, Entry] = field(default_factory=dict)

    def start(self, what: str, stop_with: str | None = None) -> None:
        entry = Entry(what, os.getpid(), stop_with, now().isoformat())
        self.entries[what] = entry
        self._append({"op": "start", "what": what, "pid": entry.pid,
                      "stop_with": stop_with, "at": entry.started_at})

    def stop(self, what: str, how: str, ok: bool = True) -> Stopped:
        """Note that ``what`` ended (``ok`` False: stopping it failed)."""
        stopped = Stopped(what=what, how=how, at=now().isoformat(), ok=ok)
        entry = self.entries.get(what)
        if entry is not None:
            entry.stopped = stopped
        self._append({"op": "stop", "what": what, "how": how, "ok": ok, "at": stopped.at,
                      "pid": os.getpid()})
        return stopped

    def running(self) -> list[Entry]:
        """What this process started and has not stopped yet."""
        return [e for e in self.entries.values() if e.stopped is None]

    def _append(self, line: dict[str, object]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(line, default=str) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)  # one write per line: atomic for O_APPEND on a local disk
        finally:
            os.close(fd)


def read_ledger(path: Path | None) -> list[Entry]:
    """Every entry of the run's ledger, in start order; a damaged line is skipped (what
    it said cannot be trusted, and the rest still can)."""
    entries: dict[str, Entry] = {}
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):  # no run folder: nothing was started
        return []
    for text in lines:
        try:
            line = json.loads(text)
            what = str(line["what"])
            if line["op"] == "start":
                stop_with = line.get("stop_with")
                entries[what] = Entry(what, int(line["pid"]),
                                      str(stop_with) if stop_with else None, str(line["at"]))
            elif line["op"] == "stop" and what in entries:
                entries[what].stopped = Stopped(what=what, how=str(line["how"]),
                                                at=line.get("at"), ok=bool(line.get("ok")))
        except (ValueError, KeyError, TypeError):
            continue
    return list(entries.values())


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def summary(entries: list[Entry]) -> list[Stopped]:
    """The record's ``stopped`` list: each entry's stop, or what became of it since."""
    out: list[Stopped] = []
    for entry in entries:
        if entry.stopped is not None:
            out.append(entry.stopped)
        elif entry.stop_with is None and not alive(entry.pid):
            out.append(Stopped(what=entry.what, how=f"ended with its process (pid {entry.pid})"))
        elif entry.stop_with is None:
            out.append(Stopped(what=entry.what,
                               how=f"stops when its process (pid {entry.pid}) ends"))
        else:
            out.append(Stopped(what=entry.what, how="was not stopped: may still be running",
                               ok=False))
    return out


def leftovers(entries: list[Entry]) -> list[Entry]:
    """What runs on its own (not inside a process of the run) and was never stopped."""
    return [e for e in entries if e.stopped is None and e.stop_with is not None]


@runtime_checkable
class RunsServers(Protocol):
    """Optional for a target: the servers it started itself and runs until ``close()``
    (the demo's portals, started when a portal step first asks for them)."""

    def servers(self) -> list[str]: ...


def close_target(target: Target, ledger: Ledger, how: str) -> None:
    """Close ``target``, noting in the ledger each server it stopped with it."""
    servers = target.servers() if isinstance(target, RunsServers) else []
    for server in servers:
        if server not in ledger.entries:
            ledger.start(server)
    target.close()
    for server in servers:
        ledger.stop(server, how)
