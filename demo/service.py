"""The billing service: a background process that runs bill runs asked of it in the database.

Staging runs bill runs the way production does: through the billing service,
which picks ``bill_run_requests`` rows up in order (pending → running →
done/failed). One service per database; its pidfile and log live in the state
directory under a key of the database URL. SIGTERM lets the current bill run
finish, then the service marks itself stopped, removes its pidfile and exits 0,
so "stop the billing service" after a staging bill run is safe and verifiable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from demo.db import safe_url
from demo.models import BillRunRequest, EventLog
from demo.paths import DB_ENV, absolute_url, open_database, pidfile, service_log, state_dir
from demo.releases import Release

SOURCE = "billing-service"
PROC = Path("/proc")


class ServiceError(Exception):
    """The service cannot do what was asked (not running, failed to start, timed out)."""


@dataclass(frozen=True)
class PidInfo:
    pid: int
    start_ticks: int | None
    since: str
    db: str
    release: str
    state: str  # "starting" | "ready"


@dataclass(frozen=True)
class ServiceStatus:
    running: bool
    db: str
    log: Path
    info: PidInfo | None = None
    stale_pid: int | None = None  # a dead service's pidfile that was just cleaned up


@dataclass(frozen=True)
class RequestOutcome:
    request_id: int
    status: str  # "done" | "failed"
    bill_run_id: int | None
    message: str


# --- pidfile and process identity -------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a process, None if there is none."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return fields[0], int(fields[19])


def _alive(info: PidInfo) -> bool:
    """Whether the pidfile's process still runs (not dead, not a zombie, not a reused pid)."""
    if not PROC.is_dir():  # no /proc: signal 0 is the best we have
        try:
            os.kill(info.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    stat = _proc_stat(info.pid)
    if stat is None or stat[0] == "Z":
        return False
    return info.start_ticks is None or stat[1] == info.start_ticks


def _read_pidfile(url: str) -> PidInfo | None:
    path = pidfile(url)
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        return PidInfo(**data)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, TypeError, ValueError):
        # A half-written or foreign pidfile names no process we can trust: treat as stale.
        path.unlink(missing_ok=True)
        return None


def _write_pidfile(url: str, info: PidInfo, exclusive: bool = False) -> bool:
    """Write the pidfile whole (readers never see half of it); with ``exclusive``, only
    if there is none yet (returns False when another process holds it)."""
    path = pidfile(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(info.__dict__))
    if not exclusive:
        os.replace(tmp, path)
        return True
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def _remove_own_pidfile(url: str) -> None:
    info = _read_pidfile(url)
    if info is not None and info.pid == os.getpid():
        pidfile(url).unlink(missing_ok=True)


def _reap(pid: int) -> None:
    """Collect our own exited child so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


# --- control: status, start, stop ---------------------------------------------------------


def status(url: str) -> ServiceStatus:
    """Running or stopped; a pidfile whose process is gone is removed and reported."""
    info = _read_pidfile(url)
    db, log = safe_url(url), service_log(url)
    if info is None:
        return ServiceStatus(running=False, db=db, log=log)
    if _alive(info):
        return ServiceStatus(running=True, db=db, log=log, info=info)
    pidfile(url).unlink(missing_ok=True)
    return ServiceStatus(running=False, db=db, log=log, stale_pid=info.pid)


def start(url: str, release: Release, poll: float = 2.0, timeout: float = 60.0) -> ServiceStatus:
    """Spawn ``python -m demo service run`` detached and wait until it reports ready.

    Returns the status; already running is not an error (``info`` names that
    process). The URL goes to the child in ``$DEMO_DB``, never on its command line.
    """
    current = status(url)
    if current.running:
        return current
    log = service_log(url)
    state_dir().mkdir(parents=True, exist_ok=True)
    env = {**os.environ, DB_ENV: absolute_url(url)}
    cmd = [sys.executable, "-m", "demo", "service", "run", "--release", release.name,
           "--poll", str(poll)]
    with log.open("ab") as out:
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            info = _read_pidfile(url)
            if info is not None and info.pid == child.pid and info.state == "ready":
                return ServiceStatus(running=True, info=info, db=safe_url(url), log=log)
            code = child.poll()
            if code is not None:
                raise ServiceError(
                    f"the billing service exited during start (code {code}): {_last_line(log)}"
                )
            time.sleep(0.1)
    except BaseException:
        _end(child)  # interrupted while it starts: never leave a service nobody knows of
        raise
    _end(child)
    raise ServiceError(f"the billing service did not report ready within {timeout:g} s; "
                       f"see {log}")


def _end(child: subprocess.Popen[bytes]) -> None:
    """Stop a service we spawned that never became ready (SIGTERM, then SIGKILL)."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@dataclass(frozen=True)
class StopOutcome:
    was_running: bool
    pid: int | None
    stale: bool = False


def stop(url: str, timeout: float = 120.0) -> StopOutcome:
    """SIGTERM the service, wait until its process is gone and its pidfile removed.

    Idempotent: stopping a stopped service is fine (and cleans a stale pidfile).
    The timeout is generous because the service first finishes its bill run.
    """
    info = _read_pidfile(url)
    if info is None:
        return StopOutcome(was_running=False, pid=None)
    if not _alive(info):
        pidfile(url).unlink(missing_ok=True)
        return StopOutcome(was_running=False, pid=info.pid, stale=True)
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    gone_at: float | None = None
    while time.monotonic() < deadline:
        _reap(info.pid)
        if not _alive(info):
            current = _read_pidfile(url)
            if current is None or current.pid != info.pid:
                return StopOutcome(was_running=True, pid=info.pid)
            gone_at = gone_at or time.monotonic()
            if time.monotonic() - gone_at > 2.0:  # died without cleaning up after itself
                pidfile(url).unlink(missing_ok=True)
                return StopOutcome(was_running=True, pid=info.pid)
        time.sleep(0.1)
    raise ServiceError(f"the billing service (pid {info.pid}) did not stop within {timeout:g} s")


def _last_line(log: Path) -> str:
    try:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except FileNotFoundError:
        return "no log written"
    return lines[-1].strip() if lines else "no log written"


# --- asking for a bill run ------------------------------------------------------------------


def request_bill_run(url: str, run_date: dt.date, timeout: float = 600.0) -> RequestOutcome:
    """Queue a bill run for the running service and wait until it is done or failed."""
    current = status(url)
    if not current.running or current.info is None:
        raise ServiceError(
            f"the billing service is not running for {safe_url(url)} "
            "(start it with: python -m demo service start)"
        )
    engine = open_database(url)
    try:
        with Session(engine) as session, session.begin():
            req = BillRunRequest(run_date=run_date, requested_at=dt.datetime.now(),
                                 status="pending", message="")
            session.add(req)
            session.flush()
            request_id = req.id
        try:
            return _wait(engine, url, current.info, request_id, timeout)
        except KeyboardInterrupt:  # the caller gave up: a later service must not run it
            pass
        # the interrupt may have hit a read mid-statement: its cursor (holding SQLite's read
        # lock) lives on in the traceback's reference cycles until the cycle collector runs,
        # so collect them, drop every pooled connection and cancel on a fresh one
        gc.collect()
        engine.dispose()
        _cancel(engine, request_id, "the caller was interrupted before it ran")
        raise KeyboardInterrupt
    finally:
        engine.dispose()


def _wait(engine: Engine, url: str, info: PidInfo, request_id: int,
          timeout: float) -> RequestOutcome:
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            req = session.get(BillRunRequest, request_id)
            assert req is not None
            if req.status in ("done", "failed"):
                return RequestOutcome(request_id, req.status, req.bill_run_id, req.message)
        if not _alive(info):
            _cancel(engine, request_id, "the billing service stopped before running it")
            raise ServiceError(f"the billing service (pid {info.pid}) stopped before finishing "
                               f"bill-run request #{request_id}")
        if time.monotonic() >= deadline:
            _cancel(engine, request_id, f"nobody waited longer than {timeout:g} s")
            raise ServiceError(f"bill-run request #{request_id} not finished within {timeout:g} s")
        time.sleep(0.2)


def _cancel(engine: Engine, request_id: int, reason: str) -> None:
    """Fail a request that is still pending, so a later service does not run it by surprise."""
    with engine.begin() as conn:
        conn.execute(
            update(BillRunRequest)
            .where(BillRunRequest.id == request_id, BillRunRequest.status == "pending")
            .values(status="failed", message=f"cancelled: {reason}"[:300])
        )


# --- the service itself -----------------------------------------------------------------------


def run(url: str, release: Release, poll: float = 2.0) -> int:
    """The service's foreground loop; returns the exit code (0 after SIGTERM/SIGINT)."""
    engine = open_database(url)
    log = _logger(url)
    stopping = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping after the current request", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    info = _claim_pidfile(url, release)
    try:
        from demo.upgrade import upgrade

        for change in upgrade(engine, release):
            log.info("upgrade %s: %s", release.name, change)
        _recover(engine, log)
        _write_pidfile(url, PidInfo(**{**info.__dict__, "state": "ready"}))
        _event(engine, f"billing service started (release {release.name}, pid {os.getpid()})")
        log.info("ready: release %s, db %s, polling every %g s", release.name, safe_url(url), poll)
        while not stopping.is_set():
            claimed = _claim_next(engine)
            if claimed is None:
                stopping.wait(poll)
                continue
            _process(engine, claimed, release, log)
        _event(engine, f"billing service stopped (pid {os.getpid()})")
        log.info("stopped")
    finally:
        _remove_own_pidfile(url)
        engine.dispose()
    return 0


def _claim_pidfile(url: str, release: Release) -> PidInfo:
    """Become the database's one service: create the pidfile exclusively (two services
    started at once cannot both win); a stale pidfile is cleaned by ``status`` first."""
    stat = _proc_stat(os.getpid()) if PROC.is_dir() else None
    info = PidInfo(pid=os.getpid(), start_ticks=stat[1] if stat else None,
                   since=dt.datetime.now().isoformat(timespec="seconds"), db=safe_url(url),
                   release=release.name, state="starting")
    for _attempt in range(3):
        current = status(url)
        if current.running and current.info is not None:
            raise ServiceError(f"a billing service already runs for {safe_url(url)} "
                               f"(pid {current.info.pid})")
        if _write_pidfile(url, info, exclusive=True):
            return info
    raise ServiceError(f"could not claim the pidfile {pidfile(url)}")


def _logger(url: str) -> logging.Logger:
    log = logging.getLogger(f"demo.service.{os.getpid()}")
    log.setLevel(logging.INFO)
    log.propagate = False
    path = service_log(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(path)]
    if sys.stderr.isatty():
        handlers.append(logging.StreamHandler(sys.stderr))
    fmt = logging.Formatter(f"%(asctime)s %(levelname)s [pid {os.getpid()}] %(message)s")
    for handler in handlers:
        handler.setFormatter(fmt)
        log.addHandler(handler)
    return log


def _recover(engine: Engine, log: logging.Logger) -> None:
    """Requests left 'running' by a service that died mid-run are failed, not re-run."""
    with engine.begin() as conn:
        n = conn.execute(
            update(BillRunRequest).where(BillRunRequest.status == "running")
            .values(status="failed", message="the billing service stopped while running it")
        ).rowcount
    if n:
        log.warning("marked %d interrupted request(s) failed", n)


def _claim_next(engine: Engine) -> tuple[int, dt.date] | None:
    with engine.begin() as conn:
        row = conn.execute(
            select(BillRunRequest.id, BillRunRequest.run_date)
            .where(BillRunRequest.status == "pending").order_by(BillRunRequest.id).limit(1)
        ).first()
        if row is None:
            return None
        taken = conn.execute(
            update(BillRunRequest)
            .where(BillRunRequest.id == row.id, BillRunRequest.status == "pending")
            .values(status="running")
        ).rowcount
    return (row.id, row.run_date) if taken == 1 else None


def _process(engine: Engine, claimed: tuple[int, dt.date], release: Release,
             log: logging.Logger) -> None:
    request_id, run_date = claimed
    log.info("request #%d: bill run for %s on release %s", request_id, run_date, release.name)
    try:
        from demo.billing import run_bill_run

        result = run_bill_run(engine, run_date, release)
    except Exception as exc:  # recorded on the request and logged with its traceback
        log.exception("request #%d failed", request_id)
        _finish(engine, request_id, "failed", None, f"{type(exc).__name__}: {exc}")
        return
    bill_run_id = getattr(result, "bill_run_id", None)
    message = summarise(result)
    _finish(engine, request_id, "done", bill_run_id, message)
    log.info("request #%d done: bill run #%s: %s", request_id, bill_run_id, message)


def summarise(result: object) -> str:
    """One line from a BillRunResult (whatever fields it has)."""
    names = ("accounts_billed", "invoices", "total", "errors", "emails_sent",
             "provisioning_sent")
    parts = [f"{n}={getattr(result, n)}" for n in names if hasattr(result, n)]
    return ", ".join(parts) or repr(result)


def _finish(engine: Engine, request_id: int, state: str, bill_run_id: int | None,
            message: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(BillRunRequest).where(BillRunRequest.id == request_id)
            .values(status=state, bill_run_id=bill_run_id, message=message[:300])
        )


def _event(engine: Engine, message: str) -> None:
    with Session(engine) as session, session.begin():
        session.add(EventLog(at=dt.datetime.now(), level="INFO", source=SOURCE, message=message))
