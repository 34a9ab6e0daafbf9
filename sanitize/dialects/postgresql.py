"""PostgreSQL spellings: pgcrypto's HMAC (or md5) with the salt as a bound parameter.

Fakes never join a pool table: each kind's pool is bound once per statement as
one ``bytea`` of fixed-width slots (`sanitize.pool.pack`), and a fake is
``substring(pool FROM slot * width + 1 FOR width)``, an O(1) slice. So each
fake costs one keyed hash and one slice per row, with no join and no subquery,
which is what makes the UPDATE as fast as hand-written set-based SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sanitize.dialects.base import POOL_TABLE, SUFFIX_LENGTH, Dialect
from sanitize.strategies import Fake

__all__ = ["PostgresDialect", "pool_param"]


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

    def use_packed(self, widths: Mapping[str, int]) -> None:
        """Fakes read the packed pools whose slot widths are ``widths`` (kind → bytes)."""
        self.widths = dict(widths)

    def _hex(self, expr: str) -> str:
        """48+ hex characters of keyed hash (positions 1–15 feed the integer)."""
        if self.hash_method == "hmac-sha256":
            return f"encode(hmac(({expr})::text, :golive_salt, 'sha256'), 'hex')"
        return f"(md5(:golive_salt || ({expr})::text) || md5(({expr})::text || :golive_salt))"

    def hash_int(self, expr: str) -> str:
        return f"('x' || substr({self._hex(expr)}, 1, 15))::bit(60)::bigint"

    def hash_hex(self, expr: str, length: int) -> str:
        return f"substr({self._hex(expr)}, 17, {int(length)})"

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

    def create_pool(self) -> str:
        return (f"CREATE TEMP TABLE {POOL_TABLE} (kind text NOT NULL, idx integer NOT NULL, "
                "value text NOT NULL, PRIMARY KEY (kind, idx)) ON COMMIT DROP")

    def pool_homes(self) -> str:
        """Per pool value, the slot its own keyed hash picks (bind kinds, idxs, vals, n)."""
        return (f"SELECT u.k, u.i, {self.hash_int('u.v')} % u.n FROM unnest("
                "CAST(:kinds AS text[]), CAST(:idxs AS int[]), CAST(:vals AS text[]), "
                "CAST(:sizes AS int[])) AS u(k, i, v, n)")
