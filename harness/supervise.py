"""``golive run``'s pytest child: started in its own session, stopped on the first signal.

The child runs in a session (and process group) of its own, so a signal meant
for golive — Ctrl-C in a terminal, ``kill -TERM -<golive's group>``, ``timeout`` —
reaches golive only, and golive decides what the child gets:

* **first** SIGINT, SIGTERM or SIGHUP: forwarded to the child's whole group
  (pytest and its xdist workers; SIGINT as SIGINT, the others as SIGTERM,
  which golive's plugin turns into an orderly interrupt), then a bounded grace
  period for pytest to stop what it started and write its interrupted record;
  after it, the group is killed;
* **second** signal: the group is killed at once.

Either way, once the child is gone whatever is left of its group is killed
(an xdist worker whose controller died), and `harness.unfinished` closes the
record if pytest could not. The handlers only note and forward; the work is
done in `poll`, called from golive's event loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

__all__ = ["STOP_SIGNALS", "Supervised"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Supervised:
    """One child command; use as a context manager around following its progress."""

    def __init__(self, cmd: Sequence[str], log: Path, grace: float) -> None:
        self.cmd = list(cmd)
        self.log = log
        self.grace = grace
        self.received: list[signal.Signals] = []
        self.killed = False  # golive killed the group (grace over, or a second signal)
        self._deadline: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None
        self._previous: dict[int, Any] = {}

    # -- lifetime ------------------------------------------------------------------
    def __enter__(self) -> Supervised:
        for signum in STOP_SIGNALS:  # before the child exists: no signal falls in between
            self._previous[signum] = signal.signal(signum, self._on_signal)
        self._out = self.log.open("wb")
        self._proc = subprocess.Popen(self.cmd, stdout=self._out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._proc is not None and self._proc.poll() is None:
                self._kill()
                self._proc.wait()
            self._kill_group()  # whatever is left of the child's group
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)
            if self._out is not None:
                self._out.close()

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    @property
    def stopping(self) -> bool:
        return bool(self.received)

    # -- signals ---------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signal.Signals(signum))
        if len(self.received) == 1:
            self._deadline = time.monotonic() + self.grace
            self._send(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)
        else:
            self._kill()

    def _send(self, signum: signal.Signals) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signum)

    def _kill(self) -> None:
        self.killed = True
        self._send(signal.SIGKILL)

    def _kill_group(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)

    # -- progress --------------------------------------------------------------------
    def poll(self) -> int | None:
        """The child's exit status once it ended; kills it when the grace period is over."""
        assert self._proc is not None, "not started"
        code = self._proc.poll()
        if code is None and self._deadline is not None and time.monotonic() > self._deadline:
            self._kill()
        return code

    def remaining(self) -> float | None:
        """Seconds of grace left while stopping."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())
