"""The run's ledger of what golive started: written by several processes, read after a kill."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.started import BILLING_SERVICE, Ledger, leftovers, read_ledger, summary

ROOT = Path(__file__).resolve().parents[2]

OTHER = """
import sys
from pathlib import Path
from harness.started import Ledger
ledger = Ledger(Path(sys.argv[1]))
ledger.start("demo portals http://127.0.0.1:5001")
ledger.start("HTTP sink http://127.0.0.1:5002")
ledger.stop("HTTP sink http://127.0.0.1:5002", "stopped at the end of the run")
"""


def test_every_process_of_a_run_writes_one_ledger(tmp_path: Path) -> None:
    path = tmp_path / "started.jsonl"
    mine = Ledger(path)
    mine.start("SMTP sink smtp://127.0.0.1:5000")
    mine.start("billing service of staging x", stop_with=BILLING_SERVICE)
    other = subprocess.run([sys.executable, "-c", OTHER, str(path)], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert other.returncode == 0
    with path.open("a") as fh:
        fh.write('{"op": "start", "what": "damag\n')  # a line nobody can read
    mine.stop("SMTP sink smtp://127.0.0.1:5000", "stopped after the run was interrupted")

    entries = {e.what: e for e in read_ledger(path)}
    assert set(entries) == {"SMTP sink smtp://127.0.0.1:5000", "billing service of staging x",
                            "demo portals http://127.0.0.1:5001",
                            "HTTP sink http://127.0.0.1:5002"}
    assert entries["SMTP sink smtp://127.0.0.1:5000"].pid == os.getpid()
    portals = entries["demo portals http://127.0.0.1:5001"]
    assert portals.pid != os.getpid() and portals.stopped is None

    ended = {s.what: s for s in summary(list(entries.values()))}
    assert ended["SMTP sink smtp://127.0.0.1:5000"].how == "stopped after the run was interrupted"
    # never stopped, but it lived in a process that is gone: it ended with it
    assert ended["demo portals http://127.0.0.1:5001"].how == \
        f"ended with its process (pid {portals.pid})"
    # runs on its own and nobody stopped it: the report must say so
    service = ended["billing service of staging x"]
    assert not service.ok and "may still be running" in service.how
    assert [e.what for e in leftovers(list(entries.values()))] == ["billing service of staging x"]


def test_a_thing_in_a_live_process_stops_with_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "started.jsonl")
    ledger.start("HTTP sink http://127.0.0.1:5003")
    [entry] = summary(read_ledger(ledger.path))
    assert entry.ok and entry.how == f"stops when its process (pid {os.getpid()}) ends"
    assert leftovers(read_ledger(ledger.path)) == []


def test_a_ledger_without_a_file_keeps_its_entries_in_memory() -> None:
    ledger = Ledger(None)
    ledger.start("x")
    assert [e.what for e in ledger.running()] == ["x"]
    ledger.stop("x", "stopped")
    assert ledger.running() == [] and read_ledger(None) == []
