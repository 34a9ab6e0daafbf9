"""A stand-in for a platform's own bill-run command (used by sql_profile.yaml).

Reads the staging DSN from $GOLIVE_DSN, as golive passes it, and records a
finished bill run for the date given as the only argument.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import sqlalchemy as sa

engine = sa.create_engine(os.environ["GOLIVE_DSN"])
stamp = dt.datetime(2026, 11, 1, 2, 0, 0)
with engine.begin() as conn:
    conn.execute(
        sa.text("INSERT INTO runs (id, run_for, state, began, ended, n_accounts, n_bills, "
                "n_errors, amount) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM runs), "
                ":day, 'done', :at, :at, 2, 2, 0, 30.00)"),
        {"day": dt.date.fromisoformat(sys.argv[1]), "at": stamp},
    )
engine.dispose()
