"""What the xdist controller and its workers tell each other, as files in the run directory.

Workers cannot share memory with the controller, so two facts travel as files:
each worker's collection (``collected-<worker>.json``, read once by the
controller to know every scenario, run or not, and what they need from the
machine, e.g. a browser) and the outcome of preparation
(``prepared.json``, written by the controller before scheduling, read by each
worker before its first scenario). Both are typed here, so neither side reads
the other's JSON by string key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.pytest.context import BillRunInfo
from harness.record import ScenarioResult, dumps, scenario_from_dict

__all__ = ["PreparedState", "clear_collections", "read_collection", "read_needs",
           "read_prepared", "write_collection", "write_prepared"]

PREPARED_FILE = "prepared.json"
COLLECTED_PREFIX = "collected-"


@dataclass(frozen=True)
class PreparedState:
    """Whether staging is ready for the scenarios, and what preparation left for them."""

    ok: bool
    reason: str | None = None  # why not, when not ok
    bill_run: BillRunInfo = field(default_factory=BillRunInfo.unknown)
    outbound: dict[str, Any] = field(default_factory=dict)  # what the sinks caught

    @classmethod
    def failed(cls, reason: str) -> PreparedState:
        return cls(ok=False, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reason": self.reason, "bill_run": self.bill_run.to_dict(),
                "outbound": self.outbound}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreparedState:
        outbound = data.get("outbound")
        return cls(ok=data.get("ok") is True, reason=data.get("reason"),
                   bill_run=BillRunInfo.from_dict(data.get("bill_run") or {}),
                   outbound=dict(outbound) if isinstance(outbound, dict) else {})


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_prepared(run_dir: Path, state: PreparedState) -> None:
    _write(run_dir / PREPARED_FILE, json.dumps(state.to_dict(), default=str))


def read_prepared(run_dir: Path) -> PreparedState | None:
    """The controller's word on preparation; None while it has not written it."""
    try:
        data = json.loads((run_dir / PREPARED_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return PreparedState.failed(f"cannot read {PREPARED_FILE}: {exc}")
    if not isinstance(data, dict):
        return PreparedState.failed(f"{PREPARED_FILE} is not a JSON object")
    return PreparedState.from_dict(data)


def write_collection(run_dir: Path, worker: str, scenarios: list[ScenarioResult],
                     needs: set[str] | None = None) -> None:
    _write(run_dir / f"{COLLECTED_PREFIX}{worker}.json",
           dumps({"scenarios": scenarios, "needs": sorted(needs or ())}))


def _first_collection(run_dir: Path) -> dict[str, Any]:
    """One worker's collection: xdist makes every worker collect the same scenarios."""
    for path in sorted(run_dir.glob(f"{COLLECTED_PREFIX}*.json")):
        data = json.loads(path.read_text("utf-8"))
        return data if isinstance(data, dict) else {}
    return {}


def read_collection(run_dir: Path) -> list[ScenarioResult]:
    return [scenario_from_dict(s) for s in _first_collection(run_dir).get("scenarios") or []]


def read_needs(run_dir: Path) -> set[str]:
    """What the collected scenarios need from the machine (``browser``)."""
    return {str(n) for n in _first_collection(run_dir).get("needs") or []}


def clear_collections(run_dir: Path) -> None:
    for path in run_dir.glob(f"{COLLECTED_PREFIX}*.json"):
        path.unlink(missing_ok=True)
