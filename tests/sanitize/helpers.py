"""Small hand-made databases and rule files for the sanitizer tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

SALT = "test-salt-0123456789"


def execute(url: str, *statements: str, params: Sequence[dict[str, Any]] | None = None) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), list(params) if params else {})
    engine.dispose()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return found


def people(url: str) -> None:
    """Two tables sharing e-mails (a join after sanitizing must still work)."""
    execute(
        url,
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(100), email VARCHAR(200) "
        "UNIQUE, phone VARCHAR(40), card VARCHAR(30), note TEXT, kind VARCHAR(10) NOT NULL, "
        "host VARCHAR(200))",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, email VARCHAR(200), total INTEGER)",
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, line TEXT)",
    )
    execute(url, "INSERT INTO people VALUES (:id, :name, :email, :phone, :card, :note, :kind, "
                 ":host)",
            params=[{"id": i, "name": f"Person Number{i}", "email": f"p{i}@corp-mail.com",
                     "phone": f"415-867-{5300 + i:04d}", "card": f"40000000000{i:05d}",
                     "note": f"called p{i}", "kind": "vip" if i % 2 else "std",
                     "host": f"db{i}.corp.internal"} for i in range(1, 21)])
    execute(url, "INSERT INTO orders VALUES (:id, :email, :total)",
            params=[{"id": i, "email": f"p{(i % 20) + 1}@corp-mail.com", "total": i}
                    for i in range(1, 41)])
    execute(url, "INSERT INTO audit VALUES (1, 'login by p1@corp-mail.com')")


def write_rules(tmp: Path, body: str, name: str = "rules.yaml") -> Path:
    path = tmp / name
    path.write_text(body, encoding="utf-8")
    return path
