"""Steps about provisioning (seeds/002: "did the system provision what it should have?").

Two witnesses are compared: what the platform says it sent (`Target.provisioning`)
and what actually arrived at golive's provisioning sink during the bill run
(``golive.outbound["http"]``). A request recorded as sent that the sink never saw, or a
call the sink saw that the platform did not record, fails the scenario.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from pytest_bdd import parsers, then

from harness.pytest.context import GoliveContext, normalise
from harness.targets.base import require
from harness.targets.views import ProvisioningView
from steps.accounts import Subject
from steps.needs import needs

# columns of a provisioning table that are fields of the request; any other column names
# a field of the request's payload (e.g. "package")
_VIEW_COLUMNS = ("action", "service", "status")


def _run_requests(golive: GoliveContext) -> list[ProvisioningView]:
    run_id = golive.bill_run.id
    assert run_id is not None, "this session's bill run is unknown: nothing to check"
    return require(golive.target.provisioning, "provisioning").requests(bill_run_id=int(run_id))


def _describe(request: ProvisioningView) -> str:
    return (f"{request.action} {request.service} for {request.account} "
            f"({request.status}, payload {request.payload})")


def _sink_calls(golive: GoliveContext) -> list[dict[str, Any]]:
    assert "http" in golive.outbound, (
        "the provisioning sink recorded nothing: lock-down did not run, so what the "
        "platform sent cannot be confirmed"
    )
    return list(golive.outbound["http"])


def _key(path: str, body: Any) -> tuple[str, str]:
    """One call as comparable text: the path and the body with its keys sorted."""
    return path, json.dumps(body, sort_keys=True, default=str)


@needs("provisioning")
@then("the bill run sent these provisioning requests for it:",
      target_fixture="provisioning_sent")
def requests_for_account(golive: GoliveContext, subject: Subject,
                         datatable: list[list[str]]) -> list[ProvisioningView]:
    """Exactly the table's requests, in any order, for the subject in this bill run."""
    header, *rows = datatable
    columns = [h.strip().lower() for h in header]
    mine = [r for r in _run_requests(golive) if r.account == subject.view.number]
    left = list(mine)
    problems: list[str] = []
    for row in rows:
        want = {c: v.strip() for c, v in zip(columns, row, strict=True)}
        found = next((r for r in left if _matches(r, want)), None)
        if found is None:
            problems.append(f"no request {want}")
        else:
            left.remove(found)
    problems += [f"unexpected request: {_describe(r)}" for r in left]
    shown = "\n  ".join(_describe(r) for r in mine) or "none"
    assert not problems, (f"account {subject.shown}: "
                          + "; ".join(problems) + f"\n  requests of the bill run:\n  {shown}")
    return mine


def _matches(request: ProvisioningView, want: dict[str, str]) -> bool:
    for column, value in want.items():
        got = getattr(request, column) if column in _VIEW_COLUMNS else request.payload.get(column)
        if normalise(got) != normalise(value):
            return False
    return True


@needs("outbound")
@then("the provisioning sink received exactly those requests")
def sink_received(golive: GoliveContext, subject: Subject,
                  provisioning_sent: list[ProvisioningView]) -> None:
    """Every request sent for the subject arrived once, at its URL's path with its payload,
    and nothing else about the subject arrived."""
    number = subject.view.number
    calls = [c for c in _sink_calls(golive)
             if isinstance(c.get("body"), dict) and number in c["body"].values()]
    golive.attach_text("call", f"calls the provisioning sink received for {number}",
                       "\n".join(f"{c.get('method', 'POST')} {c.get('path')} "
                                 f"{json.dumps(c.get('body'), sort_keys=True, default=str)}"
                                 for c in calls) or "none")
    received = Counter(_key(str(c.get("path")), c.get("body")) for c in calls)
    expected = Counter(_key(urlsplit(r.url).path, r.payload)
                       for r in provisioning_sent if r.status == "sent")
    missing, extra = expected - received, received - expected
    assert not missing and not extra, (
        f"account {subject.shown}: the sink "
        + (f"never received {sorted(missing)}" if missing else "")
        + ("; " if missing and extra else "")
        + (f"received calls the platform did not record: {sorted(extra)}" if extra else "")
    )


@then(parsers.parse('its package "{code}" is provisioned'))
def package_provisioned(golive: GoliveContext, subject: Subject, code: str) -> None:
    packages = [p for p in golive.target.packages(subject.ref) if p.code == code]
    assert packages, f"account {subject.shown} has no package {code}"
    assert all(p.provisioned for p in packages), (
        f"account {subject.shown}: package {code} is not marked provisioned"
    )


@needs("provisioning")
@then("no provisioning request of the bill run failed")
def none_failed(golive: GoliveContext) -> None:
    requests = _run_requests(golive)
    failed = [r for r in requests if r.status != "sent"]
    assert not failed, (f"{len(failed)} of {len(requests)} provisioning request(s) failed:\n  "
                        + "\n  ".join(_describe(r) for r in failed[:10]))


@needs("provisioning", "outbound")
@then("every provisioning request the bill run sent reached the provisioning sink")
def all_reached_sink(golive: GoliveContext) -> None:
    sent = Counter(_key(urlsplit(r.url).path, r.payload)
                   for r in _run_requests(golive) if r.status == "sent")
    received = Counter(_key(str(c.get("path")), c.get("body")) for c in _sink_calls(golive))
    missing = sent - received
    assert sent, "the bill run sent no provisioning request at all"
    assert not missing, f"{sum(missing.values())} request(s) recorded as sent never arrived: " \
        f"{sorted(missing)[:5]}"
