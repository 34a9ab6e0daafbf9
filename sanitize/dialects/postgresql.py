"""PostgreSQL spellings: pgcrypto's HMAC (or md5) with the salt as a bound parameter."""

from __future__ import annotations

from typing import Any

from sanitize.dialects.base import POOL_TABLE, Dialect

__all__ = ["PostgresDialect"]


class PostgresDialect(Dialect):
    name = "postgresql"

    def __init__(self, hash_method: str = "hmac-sha256") -> None:
        if hash_method not in ("hmac-sha256", "md5"):
            raise ValueError(f"unknown hash method {hash_method!r}")
        self.hash_method = hash_method

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
        return {"golive_salt": ""}  # the engine fills in the real salt

    def create_pool(self) -> str:
        return (f"CREATE TEMP TABLE {POOL_TABLE} (kind text NOT NULL, idx integer NOT NULL, "
                "value text NOT NULL, PRIMARY KEY (kind, idx)) ON COMMIT DROP")
