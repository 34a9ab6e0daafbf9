"""The PII scanner: every text column of every table, streamed, counted, never kept.

Runs on any database (``golive scan DSN``) and after every sanitize. It reads
each table once (a server-side cursor on PostgreSQL, fetched in batches),
including JSON and free-text columns nobody wrote a rule for, and counts per
table, column and detector how many values hold residue: e-mails outside the
allowed domains, phone numbers, Luhn-valid card numbers, IBANs, hosts and IPs
outside the allowlist, and originals that survived (given a sample). Only
counts leave this module.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sanitize.detectors import Detectors
from sanitize.dialects.base import POOL_TABLE
from sanitize.originals import OriginalSample
from sanitize.report import Finding, ScanResult
from sanitize.schema import reflect

__all__ = ["BATCH", "scan_connection"]

BATCH = 5000


def scan_connection(conn: Connection, allow_domains: Sequence[str], allow_hosts: Sequence[str],
                    originals: OriginalSample | None = None) -> ScanResult:
    """Scan every table behind ``conn``; the result holds counts, never values."""
    started = time.perf_counter()
    detectors = Detectors.make(allow_domains, allow_hosts)
    quote = conn.dialect.identifier_preparer.quote
    schema = reflect(conn)
    counts: Counter[tuple[str, str, str]] = Counter()
    result = ScanResult()
    for name, info in sorted(schema.tables.items()):
        columns = [c.name for c in info.columns.values() if c.text]
        if name == POOL_TABLE or not columns:
            continue
        result.tables += 1
        result.columns += len(columns)
        cells = {c: originals.cells.get((name, c), {}) for c in columns} if originals else {}
        keys = info.primary_key if any(cells.values()) else []
        selected = [f"CAST({quote(c)} AS TEXT)" for c in [*keys, *columns]]
        sql = f"SELECT {', '.join(selected)} FROM {quote(name)}"
        rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(text(sql))
        for batch in rows.partitions(BATCH):
            for row in batch:
                row_key = "|".join(str(v) for v in row[:len(keys)]) if keys else None
                for column, value in zip(columns, row[len(keys):], strict=True):
                    if value is None or value == "":
                        continue
                    result.values += 1
                    for detector in detectors.find(value):
                        counts[(name, column, detector)] += 1
                    if originals is not None and _survived(originals, cells.get(column),
                                                           row_key, value):
                        counts[(name, column, "original")] += 1
        rows.close()
    conn.rollback()
    result.findings = [Finding(t, c, d, n) for (t, c, d), n in sorted(counts.items())]
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _survived(originals: OriginalSample, cells: dict[str, bytes] | None, row_key: str | None,
              value: str) -> bool:
    identifying = originals.identifying(value)
    if not cells and not identifying:
        return False
    digest = originals.digest(value)
    if cells and row_key is not None and cells.get(row_key) == digest:
        return True
    return identifying and digest in originals.values
