"""The bill run of a platform that keeps no record of its runs (tests/harness/test_watermark.py).

Reads the database from $GOLIVE_DSN and bills every customer for the date given as the only
argument: one invoice (created now, by the machine clock) and one line each, and moves the
plan's next bill date a month on. Nothing says which run an invoice belongs to.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import sqlalchemy as sa

day = dt.date.fromisoformat(sys.argv[1])
following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
engine = sa.create_engine(os.environ["GOLIVE_DSN"])
with engine.begin() as conn:
    plans = conn.execute(sa.text("SELECT cust_id, price FROM plans WHERE next_bill <= :d"),
                         {"d": day.isoformat()}).all()
    for cust_id, price in plans:
        number = f"INV-{day:%Y%m}-{cust_id}"
        conn.execute(sa.text("INSERT INTO invoices (cust_id, no, issued, total, created) "
                             "VALUES (:c, :n, :d, :t, :at)"),
                     {"c": cust_id, "n": number, "d": day.isoformat(), "t": str(price),
                      "at": dt.datetime.now().isoformat(sep=" ")})
        conn.execute(sa.text("INSERT INTO lines (invoice_id, kind, amount, memo) "
                             "SELECT MAX(id), 'charge', :t, 'plan' FROM invoices"),
                     {"t": str(price)})
    conn.execute(sa.text("UPDATE plans SET next_bill = :n WHERE next_bill <= :d"),
                 {"n": following.isoformat(), "d": day.isoformat()})
print(f"billed {len(plans)} customers for {day}")
if os.environ.get("PLATFORM_SMTP_URL"):  # where its mail would go (it sends none)
    print(f"mail server: {os.environ['PLATFORM_SMTP_URL']}")
engine.dispose()
