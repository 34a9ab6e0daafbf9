"""The two-phase method between two PostgreSQL databases.

Phase 1: each server hashes its own rows in one scan (both sides at once): every row
goes to a bucket by a hash of its key, and each bucket gets the XOR of its rows' hashes
and a row count. A row's hash XORs one hash per compared cell, each seeded by the row's
key hash and the column's place (PostgreSQL's own extended hash functions, which are
the same on every server of a platform: they back hash partitioning). Values are
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
from decimal import Decimal

from harness.baseline.differences import DifferenceSink
from harness.baseline.merge import merge
from harness.baseline.prefetch import prefetched
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


KEY = "golive_k"  # the key's hash, computed once per row


def key_hash(source: RowSource) -> str:
    """A 64-bit hash of the key, the same for the same key on any PostgreSQL: text by its
    bytes (COLLATE "C"), integers as bigint."""
    types = source.describe()
    parts = []
    for column in source.dataset.key:
        col = source.quoted(column)
        parts.append(f"{col}::bigint" if types[column].family == "integer"
                     else f'({col}::text COLLATE "C")')
    if len(parts) == 1:
        fn = "hashint8extended" if parts[0].endswith("::bigint") else "hashtextextended"
        return f"{fn}({parts[0]}, 1)"
    return f"hash_record_extended(ROW({', '.join(parts)}), 1)"


def _fast_money(spec: FieldSpec, *types: ColumnType) -> bool:
    """Whether both sides declare the column at no more decimals than the field's scale,
    so rounding to that scale changes nothing and can be skipped (on both sides alike)."""
    return all(t.scale is not None and t.scale <= spec.scale for t in types)


def _cell(column: str, spec: FieldSpec, seed: str, fast: bool) -> str:
    """The value on its tolerance grid, hashed with a seed of its row's key and column.

    Two values further apart than the tolerance always land in different cells (a cell is
    never wider than the tolerance), so phase 1 never hides a difference beyond it;
    values within it mostly share a cell. Integer cells use floor(), not integer division,
    which would make the cell around zero twice as wide. A NULL gets its own hash."""
    col = f'r."{column}"'
    tolerance = spec.tolerance_spec
    unit = Decimal(1).scaleb(-spec.scale)
    if spec.kind is Kind.MONEY:
        if tolerance.relative is not None:
            step = f"ln(1 + {float(tolerance.relative)!r})"
            grid = f"CASE WHEN {col} = 0 THEN 0 ELSE round(ln(abs({col}::float8)) / {step}) END"
            hashed = (f"hashint8extended(sign({col})::bigint, {seed}) # "
                      f"hashfloat8extended({grid}, {seed})")
        elif tolerance.absolute and not (fast and tolerance.absolute == unit):
            hashed = f"hash_numeric_extended(round({col}::numeric / {tolerance.absolute}), {seed})"
        elif fast:
            hashed = f"hash_numeric_extended({col}::numeric, {seed})"
        else:
            hashed = f"hash_numeric_extended(round({col}::numeric, {spec.scale}), {seed})"
    elif spec.kind is Kind.INT:
        value = (f"floor({col}::numeric / {int(tolerance.absolute) + 1})::bigint"
                 if tolerance.absolute else f"{col}::bigint")
        hashed = f"hashint8extended({value}, {seed})"
    elif spec.kind is Kind.DATE:
        days = f"({col}::date - DATE '0001-01-01')"
        value = (f"floor({days} / {tolerance.days + 1}.0)::bigint" if tolerance.days
                 else f"{days}::bigint")
        hashed = f"hashint8extended({value}, {seed})"
    else:
        hashed = f'hashtextextended({col}::text COLLATE "C", {seed})'
    return f"coalesce({hashed}, {seed} # 7777777)"


def _hashed_rows(source: RowSource, fast: dict[str, bool]) -> str:
    """``(bucket key hash, row hash)`` per row: the row hash XORs the key's hash with one
    hash per compared cell, each seeded by the key's hash and the column's place, so a
    value moved to another row or another column changes it."""
    cells = [_cell(c, s, f"({KEY} + {i})", fast.get(c, False))
             for i, (c, s) in enumerate(source.dataset.compared.items(), start=1)]
    row = " # ".join([KEY, *cells])
    return (f"SELECT {KEY}, {row} AS h FROM (SELECT {key_hash(source)} AS {KEY}, q.* "
            f"FROM ({source.sql}) q) r")


def bucket_hashes(source: RowSource, buckets: int, fast: dict[str, bool]) -> Hashes:
    """Phase 1 on one side: per bucket, the XOR of its rows' hashes and its rows."""
    sql = (f"SELECT {KEY} & {buckets - 1} AS b, bit_xor(h), count(*) "
           f"FROM ({_hashed_rows(source, fast)}) s GROUP BY 1")
    with source.connect() as conn:
        result = conn.execute(source.statement(sql))
        return {int(b): (int(h), int(n)) for b, h, n in result}


def _fast(baseline: RowSource, staging: RowSource) -> dict[str, bool]:
    left, right = baseline.describe(), staging.describe()
    return {c: _fast_money(s, left[c], right[c])
            for c, s in baseline.dataset.compared.items() if s.kind is Kind.MONEY}


def two_phase(baseline: RowSource, staging: RowSource, rows_hint: int, name: str,
              sink: DifferenceSink) -> tuple[int, int, str]:
    """Compare two PostgreSQL sides; returns (baseline rows, staging rows, the method as
    it should be reported)."""
    buckets = bucket_count(rows_hint)
    fast = _fast(baseline, staging)
    with ThreadPoolExecutor(max_workers=2) as pool:
        left_f = pool.submit(bucket_hashes, baseline, buckets, fast)
        right_f = pool.submit(bucket_hashes, staging, buckets, fast)
        left, right = left_f.result(), right_f.result()
    rows_left = sum(n for _, n in left.values())
    rows_right = sum(n for _, n in right.values())
    flagged = sorted(b for b in set(left) | set(right) if left.get(b) != right.get(b))
    if not flagged:
        return rows_left, rows_right, f"two-phase: {buckets} buckets, none differ"
    if len(flagged) > FALLBACK_SHARE * buckets:
        merge(prefetched(baseline.rows()), prefetched(staging.rows()),
              len(baseline.dataset.key), name, sink)
        return rows_left, rows_right, (f"two-phase: {len(flagged)} of {buckets} buckets "
                                       "differ; fell back to a streaming merge")
    # the bucket numbers inline: a constant array is searched by hash, a bound one by a
    # scan of the list for every row
    wanted = "'{" + ",".join(str(b) for b in flagged) + "}'::bigint[]"
    mask = buckets - 1
    where_left = f"({key_hash(baseline)} & {mask}) = ANY({wanted})"
    where_right = f"({key_hash(staging)} & {mask}) = ANY({wanted})"
    merge(prefetched(baseline.rows(where_left)), prefetched(staging.rows(where_right)),
          len(baseline.dataset.key), name, sink)
    return rows_left, rows_right, (f"two-phase: {len(flagged)} of {buckets} buckets differ, "
                                   "only their rows compared")


def supported(dataset: Dataset, left: RowSource, right: RowSource) -> bool:
    """Both sides on PostgreSQL: each can hash its own rows."""
    return left.backend == right.backend == "postgresql" and bool(dataset.key)
