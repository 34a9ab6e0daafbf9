"""Steps about custom code, page extensions and actions: site-specific extensions the
vendor's release testing does not cover, so each upgrade must show they are still in
place, still enabled, and still doing their job."""

from __future__ import annotations

from decimal import Decimal

from pytest_bdd import parsers, then

from harness.pytest.context import GoliveContext
from harness.targets.base import require
from steps.accounts import Subject


@then(parsers.parse('the custom action "{name}" is in place at hook "{hook}" and enabled'))
def custom_action_enabled(golive: GoliveContext, name: str, hook: str) -> None:
    actions = {a.name: a for a in require(golive.target.custom_actions, "custom_actions").actions()}
    action = actions.get(name)
    assert action is not None, (f"custom action {name!r} is missing "
                                f"(in place: {', '.join(sorted(actions)) or 'none'})")
    assert action.hook == hook, f"custom action {name} hooks into {action.hook!r}, not {hook!r}"
    assert action.enabled, f"custom action {name} is disabled"


@then(parsers.parse('it got an "{kind}" of "{amount}" described as "{description}" '
                    "in the bill run"))
def got_transaction(golive: GoliveContext, subject: Subject, kind: str, amount: str,
                    description: str) -> None:
    run_id = golive.bill_run.id
    assert run_id is not None, "this session's bill run is unknown: nothing to check"
    found = [t for t in golive.target.transactions(subject.ref, bill_run_id=int(run_id))
             if t.kind == kind and t.description == description]
    actual = sum((t.amount for t in found), Decimal("0")) if found else "(none)"
    golive.check_account(subject.label, f"{description} ({kind})", amount, actual)
