"""Configure like production, run the bill run, stop the billing service.

The procedure's last preparation steps: the staging bill-run configuration
must match production's for the keys the profile names (``plan *``: every key
the pattern matches; drift fails the stage unless ``on_drift: warn``), the
bill run must end in a finished state, and the billing service must then be
stopped so nothing bills twice before review.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Any

from harness.record import Outcome
from harness.safety import safe_dsn
from harness.sections import CAPTURE_KINDS
from harness.stages.context import StageContext
from harness.stages.data import StageFailed, identity
from harness.stages.lockdown import escaped, refresh
from harness.started import BILLING_SERVICE
from harness.targets.loader import open_target
from harness.targets.views import BILL_RUN_FINISHED, view_to_dict

FINISHED = BILL_RUN_FINISHED


def config_diff(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    keys = list(ctx.profile.bill_run.must_match_production)
    on_drift = ctx.profile.bill_run.on_drift
    if not keys:
        return Outcome.PASSED, {"compared": {}, "drift": [],
                                "note": "bill_run.must_match_production names no setting"}
    staging = ctx.target.billing_settings()
    production_target = open_target(ctx.profile, "production")
    try:
        production = production_target.billing_settings()
    finally:
        production_target.close()
    keys, empty = _expand(keys, [*production, *(k for k in staging if k not in production)])
    if empty:
        raise StageFailed(f"bill_run.must_match_production: {', '.join(empty)} matches no "
                          "setting of staging or production", {"patterns": empty})
    compared = {k: {"staging": staging.get(k), "production": production.get(k)} for k in keys}
    drift = [k for k in keys if staging.get(k) != production.get(k)]
    evidence: dict[str, Any] = {"compared": compared, "drift": drift, "on_drift": on_drift}
    if not drift:
        return Outcome.PASSED, evidence
    said = "; ".join(f"{k}: staging {compared[k]['staging']!r}, production "
                     f"{compared[k]['production']!r}" for k in drift)
    if on_drift == "warn":
        evidence["warning"] = f"billing configuration differs from production: {said}"
        return Outcome.PASSED, evidence
    raise StageFailed(f"billing configuration differs from production ({said}); fix staging "
                      "or set bill_run.on_drift: warn", evidence)


def _expand(wanted: list[str], known: list[str]) -> tuple[list[str], list[str]]:
    """The setting names ``wanted`` stands for — a name with ``*``, ``?`` or ``[`` is a
    pattern over ``known`` — and the patterns that matched nothing."""
    keys: list[str] = []
    empty: list[str] = []
    for name in wanted:
        found = sorted(k for k in known if fnmatchcase(k, name)) \
            if any(c in name for c in "*?[") else [name]
        if not found:
            empty.append(name)
        keys += [k for k in found if k not in keys]
    return keys, empty


def bill_run(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    checked = identity(ctx)
    asked = dt.datetime.now()
    # From here until stop_service confirms it stopped, the billing service is golive's to
    # stop on any exit path (it runs on its own, so a kill of golive does not end it).
    ctx.billing = f"billing service of staging {safe_dsn(ctx.profile.environments.staging.dsn)}"
    ctx.ledger.start(ctx.billing, stop_with=BILLING_SERVICE)
    view = ctx.target.run_bill_run(ctx.run_date)
    ctx.bill_run = view
    ctx.started_at = view.started_at or asked
    evidence = {**view_to_dict(view), "not_production": checked}
    if ctx.sinks or ctx.payment is not None:
        section = refresh(ctx)
        left = escaped(ctx.target)
        section.escaped = left
        evidence["outbound"] = {kind: len(section.captured(kind) or [])
                                for kind in CAPTURE_KINDS}
        if left:
            raise StageFailed(f"after the bill run, outbound points outside this machine: "
                              f"{', '.join(left)}", evidence)
    if view.status.lower() not in FINISHED:
        raise StageFailed(f"bill run #{view.id} for {view.run_date} ended with status "
                          f"{view.status!r}", evidence)
    return Outcome.PASSED, evidence


def stop_service(ctx: StageContext) -> tuple[Outcome, dict[str, Any]]:
    checked = identity(ctx)
    answered = ctx.target.billing_service("stop")
    state = ctx.target.billing_service("status")
    evidence = {"stop": answered, "status": state, "not_production": checked}
    if state != "stopped":
        raise StageFailed(f"the billing service is {state!r} after stop", evidence)
    if ctx.billing is not None:
        ctx.ledger.stop(ctx.billing, "stopped by the stop_service stage")
        ctx.billing = None
    return Outcome.PASSED, evidence


def stop_billing(ctx: StageContext, how: str) -> None:
    """Stop the billing service if the bill run may have left it running (any exit path
    of the pipeline between the bill run and stop_service); the ledger says how it went."""
    what, ctx.billing = ctx.billing, None
    if what is None:
        return
    try:
        state = ctx.target.billing_service("stop")
    except Exception as exc:  # noted, never raised: the run is already ending
        ctx.ledger.stop(what, f"could not be stopped: {type(exc).__name__}: {exc}", ok=False)
        return
    if state == "stopped":
        ctx.ledger.stop(what, how)
    else:
        ctx.ledger.stop(what, f"still {state!r} after golive asked it to stop", ok=False)
