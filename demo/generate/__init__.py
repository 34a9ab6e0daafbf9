"""The data generator: a pre-bill-run, production-like database of any size, the same
rows for the same seed.

    from demo.generate import generate
    summary = generate("sqlite:///demo/var/demo.db", accounts=1000, seed=42)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

from sqlalchemy import Table

from demo.calendar import DEFAULT_AS_OF
from demo.db import create_schema, make_engine, safe_url
from demo.generate.builder import Ctx
from demo.generate.bulk import RowBuffer, fast_sqlite, reset_sequences
from demo.generate.catalog import insert_catalog
from demo.generate.history import add_history
from demo.generate.pools import build_pools
from demo.generate.scenarios import (
    FULL_SCENARIO_ACCOUNTS,
    REQUIRED_SCENARIOS,
    build_all,
)
from demo.models import BillingSetting
from demo.production import SCHEDULE_KEY
from demo.security import DEMO_PASSWORD, hash_password

__all__ = [
    "FULL_SCENARIO_ACCOUNTS",
    "MIN_ACCOUNTS",
    "REQUIRED_SCENARIOS",
    "GenerateSummary",
    "generate",
]

MIN_ACCOUNTS = 20
FLUSH_EVERY = 10_000  # accounts buffered before rows are written

Progress = Callable[[str, int, int], None]


@dataclass
class GenerateSummary:
    accounts: int
    contacts: int
    user_packages: int
    usage_records: int
    seconds: float
    url: str  # password hidden
    seed: int
    as_of: date
    scenarios: dict[str, int] = field(default_factory=dict)


def generate(
    url: str,
    accounts: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    progress: Progress | None = None,
) -> GenerateSummary:
    """Drop and create the schema at ``url`` and fill it as production looks the day
    before the bill run of ``as_of + 1 day``. Raises ValueError on bad arguments."""
    if isinstance(accounts, bool) or not isinstance(accounts, int) or accounts < MIN_ACCOUNTS:
        raise ValueError(f"accounts must be a whole number >= {MIN_ACCOUNTS}, got {accounts!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    report: Progress = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        report("schema", 0, 1)
        create_schema(engine, drop=True)
        report("schema", 1, 1)
        rng = random.Random(seed)
        pools = build_pools(seed, rng)
        # One hash for every user: PBKDF2 per row would take minutes; the salt comes from
        # the seed so the same seed gives the same rows.
        password_hash = hash_password(DEMO_PASSWORD, salt=f"{seed & 0xFFFFFFFF:08x}")
        buf = RowBuffer()
        with engine.connect() as conn:
            fast_sqlite(conn)
            conn.commit()  # the pragmas autobegan a SQLAlchemy transaction; end it
            with conn.begin():
                report("catalog", 0, 1)
                cat = insert_catalog(conn, pools, password_hash)
                # Where the data came from, for the backup manifest.
                conn.execute(
                    cast(Table, BillingSetting.__table__).insert(),
                    [{"key": "generator_seed", "value": str(seed)},
                     {"key": "generator_as_of", "value": as_of.isoformat()},
                     # production's bill run, run right after its pre-bill-run backup
                     {"key": SCHEDULE_KEY,
                      "value": (as_of + timedelta(days=1)).isoformat()},
                     {"key": "release", "value": "1.0"}],
                )
                report("catalog", 1, 1)
                ctx = Ctx(buf=buf, pools=pools, rng=rng, cat=cat, as_of=as_of,
                          run_date=as_of + timedelta(days=1), portal_hash=password_hash,
                          total=accounts)

                def on_account() -> None:
                    if buf.pending("accounts") >= FLUSH_EVERY:
                        buf.flush(conn)
                        report("accounts", ctx.made, accounts)

                report("accounts", 0, accounts)
                build_all(ctx, on_account)
                add_history(buf, as_of, accounts)
                buf.flush(conn)
                report("accounts", ctx.made, accounts)
        reset_sequences(engine)
        report("done", 1, 1)
    finally:
        engine.dispose()
    return GenerateSummary(
        accounts=buf.inserted["accounts"],
        contacts=buf.inserted["contacts"],
        user_packages=buf.inserted["user_packages"],
        usage_records=buf.inserted["usage_records"],
        seconds=round(time.perf_counter() - started, 3),
        url=safe_url(url),
        seed=seed,
        as_of=as_of,
        scenarios=dict(sorted(ctx.scenarios.items())),
    )
