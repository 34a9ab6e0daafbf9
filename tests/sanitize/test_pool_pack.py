"""Packed pools: no original that equals a pool value survives, on either engine."""

from __future__ import annotations

from pathlib import Path

from sanitize import sanitize
from sanitize.pool import build_pools, pack
from tests.sanitize.helpers import SALT, execute, rows, write_rules


def test_pack_never_leaves_a_value_in_its_own_home_slot() -> None:
    values = ["a", "b", "c", "d"]
    homes = {0: 0, 1: 2, 2: 2, 3: 1}  # "a" and "c" would pick themselves
    blob, width = pack(values, homes)
    slots = [blob[i * width:(i + 1) * width].decode().rstrip() for i in range(len(values))]
    assert width == 1 and set(slots) <= set(values)
    assert all(homes[values.index(v)] != i for i, v in enumerate(slots))


def test_pack_pads_to_the_widest_utf8_value() -> None:
    blob, width = pack(["Zoë", "Al"], {})
    assert width == len("Zoë".encode()) and len(blob) == 2 * width


def test_originals_equal_to_pool_values_are_replaced(db_url: str, tmp_path: Path) -> None:
    pool = build_pools(["first_name"], 10, 3)["first_name"]
    execute(db_url, "CREATE TABLE n (id INTEGER PRIMARY KEY, first VARCHAR(100))")
    rules = write_rules(tmp_path, "pool: {size: 10, seed: 3}\ntables:\n  n:\n    columns:\n"
                                  "      first: {fake: first_name}\n")
    for salt in (SALT, "another-salt-987654", "third-salt-4242424"):
        execute(db_url, "DELETE FROM n")
        execute(db_url, "INSERT INTO n VALUES (:id, :first)",
                params=[{"id": i, "first": v} for i, v in enumerate(pool)]
                + [{"id": 100, "first": None}])
        sanitize(db_url, rules, salt)
        after = dict(rows(db_url, "SELECT id, first FROM n"))
        assert after.pop(100) is None  # NULL stays NULL
        assert all(after[i] != pool[i] and after[i] in pool for i in range(len(pool)))
