"""The billing engine: ``run_bill_run(engine, run_date, release) -> BillRunResult``."""

from demo.billing.result import BillRunResult
from demo.billing.run import run_bill_run
from demo.billing.settings import BillingConfigError

__all__ = ["BillRunResult", "BillingConfigError", "run_bill_run"]
