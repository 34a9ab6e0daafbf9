"""SQLite spellings: keyed hashes through golive's deterministic user functions."""

from __future__ import annotations

from sanitize.dialects.base import POOL_TABLE, Dialect

__all__ = ["SqliteDialect"]


class SqliteDialect(Dialect):
    name = "sqlite"
    hash_method = "hmac-sha256"

    def literal(self, value: str | int | float | bool | None) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        return super().literal(value)

    def hash_int(self, expr: str) -> str:
        return f"golive_hash({expr})"

    def hash_hex(self, expr: str, length: int) -> str:
        return f"golive_hex({expr}, {int(length)})"

    def mask(self, expr: str, keep_last: int, char: str) -> str:
        # SQLite has no repeat(): a zeroblob's hex is "00" per byte, one char each.
        stars = f"replace(hex(zeroblob(length({expr}) - {keep_last})), '00', {self.literal(char)})"
        tail = f" || substr({expr}, -{keep_last})" if keep_last else ""
        return f"CASE WHEN length({expr}) > {keep_last} THEN {stars}{tail} ELSE {expr} END"

    def create_pool(self) -> str:
        return (f"CREATE TEMP TABLE {POOL_TABLE} (kind TEXT NOT NULL, idx INTEGER NOT NULL, "
                "value TEXT NOT NULL, PRIMARY KEY (kind, idx))")
