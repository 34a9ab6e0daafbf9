"""Steps about the platform's event log (seeds/002: "Check event log for any errors")."""

from __future__ import annotations

from pytest_bdd import then

from harness.pytest.context import GoliveContext

_SHOWN = 10


@then("the event log has no errors since the bill run started")
def no_errors_since_bill_run(golive: GoliveContext) -> None:
    since = golive.bill_run.started_at
    assert since is not None, "the start of this session's bill run is unknown"
    errors = golive.target.events(since, levels=("ERROR",))
    lines = [f"{e.at:%Y-%m-%d %H:%M:%S} {e.source}" + (f" [{e.account}]" if e.account else "")
             + f": {e.message}" for e in errors]
    golive.attach_text("event_log", f"ERROR entries since {since:%Y-%m-%d %H:%M:%S}",
                       "\n".join(lines) or "none")
    if errors:
        shown = "\n".join(f"  {line}" for line in lines[:_SHOWN])
        more = f"\n  … and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
        raise AssertionError(
            f"{len(errors)} error(s) in the event log since {since:%Y-%m-%d %H:%M:%S}:\n"
            f"{shown}{more}"
        )
