"""Stopping a pytest run of golive in order: SIGTERM and SIGHUP end it like Ctrl-C.

pytest turns SIGINT into KeyboardInterrupt and then finishes the session
(``pytest_sessionfinish`` runs, with exit status INTERRUPTED). SIGTERM — what
``timeout``, a CI cancel and systemd send — and SIGHUP (the terminal went away)
kill Python outright by default: no sessionfinish, so no interrupted record,
sinks and the billing service left to whoever notices. While golive is active
both raise KeyboardInterrupt instead, in every process of the run (controller
and xdist workers), so each ends the way Ctrl-C ends it: what it started is
stopped and the controller writes NO-GO / interrupted in every output.

A second signal raises again; it interrupts whatever the first one's orderly
finish was doing, which is how a second Ctrl-C behaves: the outputs written at
the start of the run (NO-GO, status running) stay, and ``golive run`` finishes
them itself.

Under ``golive run`` the controller also watches its parent: when the command
dies without forwarding a signal (``kill -9``), the controller stops itself
the same way instead of running on unattended and writing a verdict nobody
asked for any more.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["install", "received", "restore", "watch_parent"]

_STOPPING = (signal.SIGTERM, signal.SIGHUP)
_previous: dict[int, Any] = {}
_received: list[str] = []


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    _received.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def _note_sigint(signum: int, frame: FrameType | None) -> None:
    _received.append(signal.Signals(signum).name)
    signal.default_int_handler(signum, frame)


def install() -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt in this process (main thread only; a
    handler someone else installed is left alone)."""
    if threading.current_thread() is not threading.main_thread() or _previous:
        return
    _received.clear()  # a new session (pytester runs several in one process)
    for signum in _STOPPING:
        current = signal.getsignal(signum)
        if current in (signal.SIG_DFL, None):
            _previous[signum] = signal.signal(signum, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        _previous[signal.SIGINT] = signal.signal(signal.SIGINT, _note_sigint)


def restore() -> None:
    """Put back the handlers `install` replaced."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum, handler in list(_previous.items()):
        signal.signal(signum, handler)
    _previous.clear()


def received() -> list[str]:
    """The signals that stopped this process so far (e.g. ``["SIGTERM"]``)."""
    return list(_received)


def watch_parent(parent: int, poll: float = 0.5,
                 stop: Callable[[], None] | None = None) -> threading.Thread:
    """Stop this process (SIGTERM to itself) once ``parent`` is no longer its parent."""

    def send_sigterm() -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    act = stop or send_sigterm

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        act()

    thread = threading.Thread(target=watch, name="golive-parent-watch", daemon=True)
    thread.start()
    return thread
