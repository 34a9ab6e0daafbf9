"""The two-phase method between two PostgreSQL databases.

Phase 1: each server hashes its own rows in one scan (both sides at once, each in
parallel workers where the planner allows): every row goes to a bucket by a hash of its
key, and each bucket gets the XOR of its rows' hashes and a row count. Values are
normalised by their tolerance before hashing — money divided by its tolerance and
rounded, dates divided into cells of tolerance-many days, relative tolerances on a
logarithmic grid — so noise within tolerance usually leaves a bucket's hash alone.
Two values within tolerance can still fall into neighbouring cells; such a bucket is
merely flagged, and phase 2 decides.

Phase 2: only the rows of flagged buckets are fetched from both sides, in key order,
and merged exactly (`merge`). When most buckets are flagged, fetching them is no cheaper
than reading everything, so the whole population is merged instead.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from harness.baseline.differences import DifferenceSink
from harness.baseline.merge import merge
from harness.baseline.profile import Dataset, FieldSpec
from harness.baseline.sources import ColumnType, RowSource
from harness.baseline.values import Kind

__all__ = ["FALLBACK_SHARE", "bucket_count", "two_phase"]

FALLBACK_SHARE = 0.5  # above this share of flagged buckets, merge everything
ROWS_PER_BUCKET = 256
MIN_BUCKETS, MAX_BUCKETS = 64, 1 << 20
Hashes = dict[int, tuple[int, int]]  # bucket → (xor of row hashes, rows)


def bucket_count(rows: int) -> int:
    """A power of two near ``rows / ROWS_PER_BUCKET``: phase 2 then reads few rows per
    difference, and phase 1's answer stays small (at most MAX_BUCKETS pairs)."""
    wanted = max(MIN_BUCKETS, min(MAX_BUCKETS, rows // ROWS_PER_BUCKET))
    return 1 << (wanted - 1).bit_length()


def _key(source: RowSource, types: dict[str, ColumnType], column: str) -> str:
    cast = "bigint" if types[column].family == "integer" else "text"
    return f"{source.quoted(column)}::{cast}"


def _normalised(source: RowSource, column: str, spec: FieldSpec) -> list[str]:
    """The value on its tolerance grid, as the parts hashed for it.

    Two values further apart than the tolerance always land in different cells (a grid
    cell is never wider than the tolerance), so phase 1 never hides a difference beyond
    tolerance; values within it mostly share a cell. Integer cells use floor(), not
    integer division, which would make the cell around zero twice as wide."""
    col = source.quoted(column)
    tolerance = spec.tolerance_spec
    if spec.kind is Kind.MONEY:
        if tolerance.relative is not None:
            step = f"ln(1 + {float(tolerance.relative)!r})"
            return [f"sign({col})", f"CASE WHEN {col} = 0 THEN 0 ELSE "
                                    f"round(ln(abs({col}::float8)) / {step}) END"]
        if tolerance.absolute:
            return [f"round({col}::numeric / {tolerance.absolute})"]
        return [f"round({col}::numeric, {spec.scale})"]
    if spec.kind is Kind.INT:
        if tolerance.absolute:
            return [f"floor({col}::numeric / {int(tolerance.absolute) + 1})"]
        return [f"{col}::bigint"]
    if spec.kind is Kind.DATE:
        if tolerance.days:
            return [f"floor(({col}::date - DATE '0001-01-01') / {tolerance.days + 1}.0)"]
        return [f"{col}::date"]
    return [f"{col}::text"]


def bucket_expression(source: RowSource, mask: int) -> str:
    types = source.describe()
    keys = ", ".join(_key(source, types, k) for k in source.dataset.key)
    return f"(hash_record_extended(ROW({keys}), 1) & {mask})"


def _row_hash(source: RowSource) -> str:
    types = source.describe()
    parts = [_key(source, types, k) for k in source.dataset.key]
    for column, spec in source.dataset.compared.items():
        parts += [*_normalised(source, column, spec), f"{source.quoted(column)} IS NULL"]
    return f"hash_record_extended(ROW({', '.join(parts)}), 0)"


def bucket_hashes(source: RowSource, buckets: int) -> Hashes:
    """Phase 1 on one side: per bucket, the XOR of its rows' hashes and its rows."""
    sql = (f"SELECT b, bit_xor(h), count(*) FROM (SELECT {bucket_expression(source, buckets - 1)}"
           f" AS b, {_row_hash(source)} AS h FROM ({source.sql}) q) s GROUP BY b")
    with source.connect() as conn:
        result = conn.execute(source.statement(sql))
        return {int(b): (int(h), int(n)) for b, h, n in result}


def two_phase(baseline: RowSource, staging: RowSource, rows_hint: int, name: str,
              sink: DifferenceSink) -> tuple[int, int, str]:
    """Compare two PostgreSQL sides; returns (baseline rows, staging rows, the method as
    it should be reported)."""
    buckets = bucket_count(rows_hint)
    with ThreadPoolExecutor(max_workers=2) as pool:
        left_f = pool.submit(bucket_hashes, baseline, buckets)
        right_f = pool.submit(bucket_hashes, staging, buckets)
        left, right = left_f.result(), right_f.result()
    rows_left = sum(n for _, n in left.values())
    rows_right = sum(n for _, n in right.values())
    flagged = sorted(b for b in set(left) | set(right) if left.get(b) != right.get(b))
    if not flagged:
        return rows_left, rows_right, f"two-phase: {buckets} buckets, none differ"
    if len(flagged) > FALLBACK_SHARE * buckets:
        merge(baseline.rows(), staging.rows(), len(baseline.dataset.key), name, sink)
        return rows_left, rows_right, (f"two-phase: {len(flagged)} of {buckets} buckets "
                                       "differ; fell back to a streaming merge")
    mask = buckets - 1
    where_left = f"{bucket_expression(baseline, mask)} = ANY(:buckets)"
    where_right = f"{bucket_expression(staging, mask)} = ANY(:buckets)"
    params = {"buckets": flagged}
    merge(baseline.rows(where_left, params), staging.rows(where_right, params),
          len(baseline.dataset.key), name, sink)
    return rows_left, rows_right, (f"two-phase: {len(flagged)} of {buckets} buckets differ, "
                                   "only their rows compared")


def supported(dataset: Dataset, left: RowSource, right: RowSource) -> bool:
    """Both sides on PostgreSQL: each can hash its own rows."""
    return left.backend == right.backend == "postgresql" and bool(dataset.key)
