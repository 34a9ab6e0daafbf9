"""PostgreSQL spellings: pgcrypto's HMAC (or md5) with the salt as a bound parameter.

Fakes never join a pool table: each kind's pool is bound once per statement as
one ``bytea`` of fixed-width slots (`sanitize.pool.pack`), and a fake is
``substring(pool FROM slot * width + 1 FOR width)``, an O(1) slice. So each
fake costs one keyed hash and one slice per row, with no join.

Keyed hashing is most of the cost and an UPDATE never runs in parallel, so a
table is done in two steps inside the one transaction: ``CREATE TEMP TABLE …
AS SELECT`` computes every new value (the planner spreads that SELECT over
parallel workers, one per core), then one ``UPDATE … FROM`` the scratch table
writes them, joined on the row's own address (``tableoid``, ``ctid``). The
table is locked against other writers first, so no row can move in between,
and the engine checks the UPDATE wrote exactly the rows that were computed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sanitize.dialects.base import POOL_TABLE, SUFFIX_LENGTH, Dialect, Statement
from sanitize.strategies import Fake, TablePlan

__all__ = ["STAGE_PREFIX", "PostgresDialect", "pool_param"]

STAGE_PREFIX = "golive_stage_"  # + random hex: the scratch table of one table's new values
_ROW_REL, _ROW_ID = "golive_rel", "golive_rid"


def pool_param(kind: str) -> str:
    """The bound parameter that carries the packed pool of ``kind``."""
    return f"golive_pool_{kind}"


class PostgresDialect(Dialect):
    name = "postgresql"

    def __init__(self, hash_method: str = "hmac-sha256") -> None:
        if hash_method not in ("hmac-sha256", "md5"):
            raise ValueError(f"unknown hash method {hash_method!r}")
        self.hash_method = hash_method
        self.widths: dict[str, int] = {}
        # a fresh name per run, so the temporary table can never shadow one of the user's
        self.stage_table = STAGE_PREFIX + secrets.token_hex(4)

    def use_packed(self, widths: Mapping[str, int]) -> None:
        """Fakes read the packed pools whose slot widths are ``widths`` (kind → bytes)."""
        self.widths = dict(widths)

    def _digest(self, expr: str) -> str:
        """32 bytes of keyed hash of ``expr`` as ``bytea`` (bytes 1–8 feed the integer,
        9–32 the hex)."""
        if self.hash_method == "hmac-sha256":
            return f"hmac(({expr})::text, :golive_salt, 'sha256')"
        return (f"decode(md5(:golive_salt || ({expr})::text) || "
                f"md5(({expr})::text || :golive_salt), 'hex')")

    def hash_int(self, expr: str) -> str:
        # the top 60 bits of bytes 1–8; slicing the bytea first keeps the text work small
        return (f"((('x' || encode(substring({self._digest(expr)} FROM 1 FOR 8), 'hex'))"
                "::bit(64)::bigint >> 4) & 1152921504606846975)")

    def hash_hex(self, expr: str, length: int) -> str:
        count = int(length)
        hexed = f"encode(substring({self._digest(expr)} FROM 9 FOR {(count + 1) // 2}), 'hex')"
        return hexed if count % 2 == 0 else f"left({hexed}, {count})"

    def mask(self, expr: str, keep_last: int, char: str) -> str:
        tail = f" || right({expr}, {keep_last})" if keep_last else ""
        return (f"CASE WHEN length({expr}) > {keep_last} THEN repeat({self.literal(char)}, "
                f"length({expr}) - {keep_last}){tail} ELSE {expr} END")

    def params(self) -> dict[str, Any]:
        # the engine fills in the real salt and the packed pools
        return {"golive_salt": "", **{pool_param(kind): b"" for kind in self.widths}}

    def _fake(self, col: str, fake: Fake, size: int) -> str:
        if fake.kind not in self.widths:
            return super()._fake(col, fake, size)
        width = self.widths[fake.kind]
        source = f"lower(trim({col}))" if fake.kind == "email" else col
        slot = f"({self.hash_int(source)} % {size})::int"
        # NULL in, NULL out: the hash of NULL is NULL and so is its slice.
        pick = (f"rtrim(convert_from(substring(CAST(:{pool_param(fake.kind)} AS bytea) "
                f"FROM {slot} * {width} + 1 FOR {width}), 'UTF8'))")
        if fake.unique:
            suffix = self.hash_hex(source, SUFFIX_LENGTH)
            if fake.kind == "email":
                return f"replace({pick}, '@', '.' || {suffix} || '@')"
            return f"{pick} || ' ' || {suffix}"
        # No fallback needed: `pool.pack` never leaves a value in the slot its own hash
        # picks, so an original equal to a pool value always gets a different one.
        return pick

    def update(self, table: TablePlan, sizes: Mapping[str, int],
               sinks: Mapping[str, str]) -> Statement:
        """Compute the hashed values in parallel into a scratch table, then write them all.

        Only hashed columns are staged (text, like the column they go to); the
        cheap ones (constants, masks, SQL) stay in the UPDATE, typed by the column.
        """
        values, filters = self.assignments(table, sizes, sinks)
        staged = [a for a in values if a.hashed]
        scratch = self.stage_table
        if not staged:
            return super().update(table, sizes, sinks)
        name = self.quote(table.table)
        alias = {a.column: f"golive_c{i}" for i, a in enumerate(staged)}
        stage = (f"CREATE TEMP TABLE {scratch} ON COMMIT DROP AS SELECT "
                 f"tableoid AS {_ROW_REL}, ctid AS {_ROW_ID}, "
                 + ", ".join(f"{a.value} AS {alias[a.column]}" for a in staged)
                 + f" FROM {name}" + self.where_clause(filters))
        sets = ", ".join(f"{a.column} = {scratch}.{alias[a.column]}" if a.hashed
                         else f"{a.column} = {a.value}" for a in values)
        sql = (f"UPDATE {name} SET {sets} FROM {scratch} WHERE {name}.tableoid = "
               f"{scratch}.{_ROW_REL} AND {name}.ctid = {scratch}.{_ROW_ID}")
        # SHARE ROW EXCLUSIVE: readers go on, no other writer can move a row in between
        lock = f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE"
        return Statement(sql, self.used_params(stage + sql), self.describe(table), stage=stage,
                         before=(lock,), after=(f"DROP TABLE {scratch}",))

    def create_pool(self) -> str:
        return (f"CREATE TEMP TABLE {POOL_TABLE} (kind text NOT NULL, idx integer NOT NULL, "
                "value text NOT NULL, PRIMARY KEY (kind, idx)) ON COMMIT DROP")

    def pool_homes(self) -> str:
        """Per pool value, the slot its own keyed hash picks (bind kinds, idxs, vals, n)."""
        return (f"SELECT u.k, u.i, {self.hash_int('u.v')} % u.n FROM unnest("
                "CAST(:kinds AS text[]), CAST(:idxs AS int[]), CAST(:vals AS text[]), "
                "CAST(:sizes AS int[])) AS u(k, i, v, n)")
