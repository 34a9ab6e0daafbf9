"""A realistic staging misconfiguration: one plan's price edited after the restore.

Someone loaded next quarter's price list into staging before the bill run. The script changes
one plan's amount (default: Northwind's "Fiber 100", NW-FIBER-100, 39.99 → 42.99) and prints,
one per line on stdout, the stable key (customer_reference) of every customer whose bill it
changes — so a test can assert that golive names exactly those. A summary goes to stderr.

Which customers: those with an active subscription on the plan, started before the bill-run
date, whose plan is not yet billed for that date (latest billing log's plan_billed_up_to before
it, or no log yet), on a live (not deleted) customer. That is exactly whom silver charges the
plan to on that date, provided the plan is billed at the start of its cycle and has no trial —
the script refuses any other plan rather than print a guess.

    plan-price [--db DSN] [--plan CODE] [--amount 42.99] [--bill-date YYYY-MM-DD] [--dry-run]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal
from typing import Any

from silverplatform import dates
from silverplatform.backup import _connect
from silverplatform.dsn import Database, DsnError, from_environment
from silverplatform.facts import _paramstyle

PLAN = """
SELECT p.id, p.amount, p.trial_period_days, COALESCE(p.prebill_plan, pr.prebill_plan)
FROM silver_plan p
JOIN silver_productcode pc ON pc.id = p.product_code_id
JOIN silver_provider pr ON pr.id = p.provider_id
WHERE pc.value = :plan
"""

TOUCHED = """
SELECT DISTINCT c.customer_reference
FROM silver_subscription s
JOIN silver_customer c ON c.id = s.customer_id
LEFT JOIN silver_billinglog bl ON bl.id = (
    SELECT b.id FROM silver_billinglog b WHERE b.subscription_id = s.id
    ORDER BY b.billing_date DESC, b.id DESC LIMIT 1)
WHERE s.plan_id = :plan_id AND s.state = 'active' AND c.live
  AND s.start_date < :bill_date
  AND (bl.plan_billed_up_to IS NULL OR bl.plan_billed_up_to < :bill_date)
ORDER BY c.customer_reference
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="plan-price", description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="staging database (default: $GOLIVE_DSN, then $SILVER_DSN)")
    ap.add_argument("--plan", default="NW-FIBER-100", help="the plan's product code")
    ap.add_argument("--amount", default="42.99", type=Decimal, help="the wrong new price")
    ap.add_argument("--bill-date", type=dt.date.fromisoformat,
                    default=dates.default_bill_date(dt.date.today()))
    ap.add_argument("--dry-run", action="store_true", help="print whom it would touch, change "
                                                           "nothing")
    args = ap.parse_args(argv)
    try:
        db = from_environment(args.db)
    except DsnError as exc:
        print(f"plan-price: {exc}", file=sys.stderr)
        return 2
    conn = _connect(db) if db.engine != "sqlite" else _sqlite_rw(db)
    try:
        cur = conn.cursor()
        cur.execute(_paramstyle(PLAN, db.engine), {"plan": args.plan})
        found = cur.fetchone()
        if found is None:
            print(f"plan-price: no plan with product code {args.plan}", file=sys.stderr)
            return 2
        plan_id, old, trial_days, prebill = found
        if trial_days or not prebill:
            print(f"plan-price: {args.plan} has a trial or is billed after its cycle; pick a "
                  "prebilled plan without trial (the touched customers must be exact)",
                  file=sys.stderr)
            return 2
        cur.execute(_paramstyle(TOUCHED, db.engine),
                    {"plan_id": plan_id, "bill_date": args.bill_date.isoformat()})
        touched = [r[0] for r in cur.fetchall()]
        if not args.dry_run:
            cur.execute(_paramstyle("UPDATE silver_plan SET amount = :amount WHERE id = :id",
                                    db.engine), {"amount": str(args.amount), "id": plan_id})
            conn.commit()
    finally:
        conn.close()
    verb = "would change" if args.dry_run else "changed"
    print(f"plan-price: {verb} {args.plan} from {Decimal(str(old)):.2f} to {args.amount} on "
          f"{db.safe()}; the bill run of {args.bill_date} charges it to {len(touched)} "
          "customers:", file=sys.stderr)
    for ref in touched:
        print(ref)
    return 0


def _sqlite_rw(db: Database) -> Any:
    import sqlite3

    if not db.path.is_file():
        raise SystemExit(f"plan-price: no SQLite database at {db.path}")
    return sqlite3.connect(db.path)


if __name__ == "__main__":
    sys.exit(main())
