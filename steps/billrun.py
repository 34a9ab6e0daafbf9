"""Steps about the staging bill run this session prepared."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from harness.pytest.context import GoliveContext
from harness.targets.views import BILL_RUN_FINISHED, BillRunView


@given("the staging bill run of this session", target_fixture="bill_run")
def staging_bill_run(golive: GoliveContext) -> BillRunView:
    run = golive.target.latest_bill_run()
    assert run is not None, "staging has no bill run: the pipeline did not run one"
    if golive.bill_run.id is not None:
        assert str(run.id) == str(golive.bill_run.id), (
            f"the latest bill run on staging is #{run.id}, not #{golive.bill_run.id} "
            "that this session ran: something billed again after the billing service stopped"
        )
    return run


@then(parsers.parse('the bill run is for the date "{date}"'))
def bill_run_date(bill_run: BillRunView, date: str) -> None:
    assert bill_run.run_date.isoformat() == date, (
        f"bill run #{bill_run.id} is for {bill_run.run_date}, expected {date}"
    )


@then("the bill run is for the profile's bill-run date")
def bill_run_profile_date(bill_run: BillRunView, golive: GoliveContext) -> None:
    want = golive.profile.bill_run.date
    assert bill_run.run_date == want, (
        f"bill run #{bill_run.id} is for {bill_run.run_date}, not {want}"
    )


@then("the bill run finished successfully")
def bill_run_finished(bill_run: BillRunView) -> None:
    assert bill_run.finished_at is not None, f"bill run #{bill_run.id} never finished"
    assert bill_run.status.lower() in BILL_RUN_FINISHED, (
        f"bill run #{bill_run.id} ended with status {bill_run.status!r}"
    )


@then(parsers.parse("the bill run billed at least {count:d} accounts"))
@then(parsers.parse("the bill run billed at least {count:d} account"))
def bill_run_billed(bill_run: BillRunView, count: int) -> None:
    assert bill_run.accounts_billed >= count, (
        f"bill run #{bill_run.id} billed {bill_run.accounts_billed} accounts, expected >= {count}"
    )
    assert bill_run.invoices >= count, f"bill run #{bill_run.id} wrote {bill_run.invoices} invoices"


@then("the bill run reported no errors")
def bill_run_no_errors(bill_run: BillRunView) -> None:
    assert bill_run.errors == 0, f"bill run #{bill_run.id} reported {bill_run.errors} errors"


@then("the billing service is stopped")
def billing_service_stopped(golive: GoliveContext) -> None:
    state = golive.target.billing_service("status")
    assert state == "stopped", f"the billing service is {state!r}: it could bill again"
