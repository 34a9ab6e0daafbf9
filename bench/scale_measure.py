"""How ``bench scale`` tells the platform's work from golive's: CPU per process, samples.

Two witnesses, both independent of how loaded the machine is:

* **CPU seconds per process** (`ProcessCpu`): every process under the measured
  ``golive run`` is read from ``/proc`` four times a second (utime + stime), so the
  billing service, the browser and every pytest process are counted even when
  nobody waits for them. Exact for whatever lives longer than a poll.
* **Where each Python process spent it** (`Sampler`): py-spy samples every Python
  process of the run (``--subprocesses``, non-blocking). A sample whose stack runs
  the platform's code (the repository's ``demo/`` package, or the billing service
  process) is the platform's; any other is golive's (its harness, steps, sanitizer,
  sinks, and the pytest and pytest-bdd machinery it drives), filed under the stage
  or phase of the run it belongs to. Threads waiting (a sink's ``select``, a parent
  watcher's ``sleep``) are left out by their innermost frame: py-spy's own idle test
  does not work on every kernel. A process's CPU seconds are split in the
  proportion of its samples.

py-spy is installed by the benchmark into its own venv (``bench/var/py-spy-venv``),
like the other benchmarks install the tools they compare with.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY_SPY_VERSION = "0.4.3"
CLOCK = os.sysconf("SC_CLK_TCK")

# What golive's run is doing when a stack holds one of these frames (first match wins).
PIPELINE_RUN = "_run (" + str(ROOT / "harness" / "pipeline.py")
STAGES = ("backup", "baseline", "restore", "sanitize", "lockdown", "config_diff", "bill_run",
          "stop_service", "compare", "outbound_check")
# innermost frames of a thread that waits rather than works
IDLE = ("select (", "poll (", "epoll", "_wait_for_tstate_lock", "Condition.wait", "Event.wait",
        "_do_waitpid", "time.sleep", "watch_parent.<locals>.watch", "SocketIO.readinto",
        "recv_into (", "accept (", "_follow (", "Thread.join", "Popen.wait", "Popen._wait",
        "Popen.communicate", "_try_wait")
_FRAME = re.compile(r"^(.*) \((.*?)(?::\d+)?\)$")


class SamplerUnavailable(RuntimeError):
    """py-spy could not be installed or run here."""


def install_py_spy(venv: Path) -> Path:
    """py-spy ``PY_SPY_VERSION`` in its own venv; returns its executable."""
    exe = venv / "bin" / "py-spy"
    if exe.exists() and _version(exe) == PY_SPY_VERSION:
        return exe
    for step in ([sys.executable, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  f"py-spy=={PY_SPY_VERSION}"]):
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise SamplerUnavailable(f"{' '.join(step[:4])} … failed: {' / '.join(tail)}")
    if _version(exe) != PY_SPY_VERSION:
        raise SamplerUnavailable(f"{exe} is not py-spy {PY_SPY_VERSION}")
    return exe


def _version(exe: Path) -> str | None:
    try:
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                              check=False, timeout=60)
    except OSError:
        return None
    return done.stdout.split()[-1] if done.returncode == 0 and done.stdout.split() else None


# -- CPU per process ---------------------------------------------------------------------

@dataclass
class Proc:
    pid: int
    kind: str  # golive-cli | pytest | billing-service | browser | other
    cmdline: str
    cpu: float = 0.0  # seconds, the last value read


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            "utf-8", "replace").strip()
    except OSError:
        return ""


def kind_of(cmdline: str) -> str:
    if "demo service run" in cmdline:
        return "billing-service"
    if "chrom" in cmdline or "playwright" in cmdline or "headless_shell" in cmdline:
        return "browser"
    if "pytest" in cmdline or "exec(eval(sys.stdin.readline()))" in cmdline:
        return "pytest"  # the controller, or an xdist worker
    if "golive" in cmdline or "harness.cli" in cmdline:
        return "golive-cli"
    return "other"


class ProcessCpu:
    """Polls the CPU seconds of every process under ``root`` until stopped."""

    def __init__(self, root: int, every: float = 0.25) -> None:
        self.root = root
        self.every = every
        self.procs: dict[int, Proc] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> ProcessCpu:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._read()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._read()
            self._stop.wait(self.every)

    def _read(self) -> None:
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                found = _stat(int(entry))
                if found is not None:
                    parents[int(entry)], cpu[int(entry)] = found
        for pid in cpu:
            if pid in self.procs or self._descends(pid, parents):
                proc = self.procs.get(pid)
                if proc is None:
                    line = _cmdline(pid)
                    proc = self.procs[pid] = Proc(pid, kind_of(line), line)
                proc.cpu = max(proc.cpu, cpu[pid])

    def _descends(self, pid: int, parents: dict[int, int]) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            if pid == self.root:
                return True
            pid = parents.get(pid, 0)
            seen += 1
        return False

    def by_kind(self) -> dict[str, float]:
        out: dict[str, float] = collections.Counter()
        for proc in self.procs.values():
            out[proc.kind] += proc.cpu
        return dict(out)


# -- samples ---------------------------------------------------------------------------

@dataclass
class Split:
    """CPU seconds by owner and part of the run."""

    golive: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    platform: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))
    samples: int = 0
    idle: int = 0

    @property
    def golive_total(self) -> float:
        return sum(self.golive.values())

    @property
    def platform_total(self) -> float:
        return sum(self.platform.values())


def _frames(stack: str) -> tuple[int, int, list[tuple[str, str]]]:
    """(pid, thread id, frames outermost first) of one raw py-spy stack (``--threads``)."""
    pid, tid = -1, -1
    frames = []
    for part in stack.split(";"):
        if part.startswith("process "):
            found = re.match(r"process (\d+):", part)
            pid = int(found.group(1)) if found else -1
            continue
        if part.startswith("thread ("):
            found = re.match(r"thread \((?:0x)?([0-9A-Fa-f]+)\)", part)
            tid = int(found.group(1), 16 if "0x" in part else 10) if found else -1
            continue
        found = _FRAME.match(part)
        frames.append((found.group(1), found.group(2)) if found else (part, ""))
    return pid, tid, frames


def part_of(frames: list[tuple[str, str]], kind: str) -> str:
    """Which part of golive's run a golive sample belongs to."""
    names = [name for name, _ in frames]
    files = [path for _, path in frames]
    if kind == "golive-cli":
        return "golive run (the command)"
    for index, (name, path) in enumerate(frames):
        if name == "_run" and path.endswith("harness/pipeline.py") and index + 1 < len(frames):
            stage = frames[index + 1][0]
            return f"stage {stage}" if stage in STAGES else "stages (between)"
    if any("aiosmtpd" in p or p.endswith("harness/sinks.py") for p in files):
        return "sinks (receiving)"
    if "pytest_sessionfinish" in names or "Run.finish" in names:
        return "finish: coverage, gate, reports"
    if any(n in ("runtestprotocol", "pytest_runtest_protocol") for n in names):
        return "features"
    if "process_request_thread" in names:
        return "HTTP requests to sinks and sandbox (unattributed)"
    return "start, collection, xdist"


def _demo_module(frames: list[tuple[str, str]], demo: str) -> str | None:
    for _, path in frames:
        if path.startswith(demo):
            return "demo " + path[len(demo):].split(os.sep)[0].split(".")[0]
    return None


def split_samples(raw: Path, procs: dict[int, Proc]) -> Split:
    """CPU seconds of the sampled processes, split by where their samples were.

    A sample is the platform's when its process is the billing service, when its own
    stack runs the platform's code, or when it is on a helper thread that ever ran the
    platform's code (a portal's server thread waiting in its HTTP library, say) and never
    golive's sinks. Everything else is golive's, filed under the part of the run it was
    in; request threads of a server that never reached any application code are counted
    as golive's (its sinks), the cautious side."""
    demo = str(ROOT / "demo") + os.sep
    stacks: list[tuple[int, int, list[tuple[str, str]], int]] = []
    platform_threads: dict[tuple[int, int], str] = {}
    sink_threads: set[tuple[int, int]] = set()
    split = Split()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        pid, tid, frames = _frames(stack)
        if not frames:
            continue
        n = int(count)
        split.samples += n
        if any(idle in f"{frames[-1][0]} ({frames[-1][1]}" for idle in IDLE):
            split.idle += n
            continue
        stacks.append((pid, tid, frames, n))
        if frames[0][0] == "Thread._bootstrap":  # a helper thread, not the main one
            if any("aiosmtpd" in p or p.endswith("harness/sinks.py") for _, p in frames):
                sink_threads.add((pid, tid))
            module = _demo_module(frames, demo)
            if module is not None:
                platform_threads.setdefault((pid, tid), module)
    per_pid: dict[int, collections.Counter[tuple[str, str]]] = collections.defaultdict(
        collections.Counter)
    for pid, tid, frames, n in stacks:
        proc = procs.get(pid)
        kind = proc.kind if proc is not None else "other"
        module = _demo_module(frames, demo)
        if kind == "billing-service":
            owner, part = "platform", "the bill run (billing service)"
        elif module is not None:
            owner, part = "platform", module
        elif (pid, tid) in platform_threads and (pid, tid) not in sink_threads:
            owner, part = "platform", platform_threads[(pid, tid)]
        else:
            owner, part = "golive", part_of(frames, kind)
        per_pid[pid][(owner, part)] += n
    for pid, counts in per_pid.items():
        proc = procs.get(pid)
        total = sum(counts.values())
        if proc is None or not total:
            continue
        for (owner, part), n in counts.items():
            seconds = proc.cpu * n / total
            (split.golive if owner == "golive" else split.platform)[part] += seconds
    return split


class Sampler:
    """py-spy recording one process tree (non-blocking, raw stacks)."""

    def __init__(self, exe: Path, pid: int, out: Path, rate: int = 50) -> None:
        self.out = out
        self._child = subprocess.Popen(
            [str(exe), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--threads",
             "--rate", str(rate), "--format", "raw", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout: float = 120) -> None:
        """py-spy stops by itself when the process it records has ended."""
        try:
            _, err = self._child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._child.kill()
            _, err = self._child.communicate()
        if not self.out.is_file():
            raise SamplerUnavailable(f"py-spy wrote no samples: {err.strip()[-300:]}")


def cpu_now() -> float:
    """CPU seconds of this process's waited-for children so far."""
    usage = os.times()
    return usage.children_user + usage.children_system


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def wall() -> float:
    return time.perf_counter()
