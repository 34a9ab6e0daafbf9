"""What the scanner must read: every relation that stores data, every column that can hold
text, and what it cannot read and why — from the database's own catalogue.

SQLite stores text in a column of any declared type (or none, as ``CREATE
TABLE AS`` leaves them), so every column of every table is read and each
value judged by what it is. PostgreSQL: every schema the role can see (or the
ones asked for), tables, partitioned tables (read through their parent) and
materialised views; each column by its type with domains resolved to their
base — text-like types, ``json``/``jsonb``, ``xml``, ``bytea``, integers and
``numeric`` (a card can be a number), arrays of any of these, composite,
enum, network and extension types (read as text). Types that cannot hold free
text (booleans, dates, floats, geometry, bit strings, uuid, ranges) are not
read.

Plain views are not read: they store nothing, and every table they show is
read itself (a view's privileges cannot hide a table from the scan: a table
the role cannot read is listed as unreadable, whatever views exist). Foreign
tables are read like tables (a person could read them through this database).
Unpopulated materialised views hold no data and are skipped.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import ConfigError, Problem
from sanitize.report import Unreadable
from sanitize.schema import closest

__all__ = ["Catalogue", "Kind", "Relation", "ScanColumn", "read_catalogue"]


class Kind(enum.Enum):
    """How a column's values are turned into text to scan."""

    TEXT = "text"
    NUMBER = "number"  # integers/numeric: their digits (a phone or card stored as a number)
    JSON = "json"  # keys and leaves
    XML = "xml"  # text nodes, attribute values, CDATA, comments
    BYTES = "bytes"  # decoded when text, else counted as binary
    ANY = "any"  # SQLite: whatever the value is (text, blob, integer, real)


@dataclass(frozen=True)
class ScanColumn:
    name: str
    kind: Kind
    array: bool = False


@dataclass
class Relation:
    """One table-like object to read; ``shown`` is its name in every output (bare in the
    default schema, ``schema.name`` elsewhere); ``address`` finds one row again."""

    schema: str
    name: str
    shown: str
    what: str
    columns: list[ScanColumn] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    address: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class Catalogue:
    """What to read; ``unreadable`` pairs each entry with its relation's ``schema.name``."""

    relations: list[Relation] = field(default_factory=list)
    unreadable: list[tuple[str, Unreadable]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)


def read_catalogue(conn: Connection, schemas: Sequence[str] = ()) -> Catalogue:
    """The relations and columns to scan (all schemas, or only ``schemas``)."""
    if conn.dialect.name == "sqlite":
        return _sqlite(conn, schemas)
    if conn.dialect.name == "postgresql":
        return _postgres(conn, schemas)
    raise ConfigError([Problem("command line", None, None,
                               f"cannot scan a {conn.dialect.name} database: "
                               "golive scans SQLite and PostgreSQL")])


def _unknown_schemas(asked: Sequence[str], present: list[str]) -> None:
    problems = []
    for name in asked:
        if name not in present:
            near = closest(name, present)
            problems.append(Problem("scan settings", None, "schemas",
                                    f"no schema '{name}' in this database", sorted(present),
                                    near[0] if near else None))
    if problems:
        raise ConfigError(problems)


# -- SQLite ------------------------------------------------------------------------------

def _sqlite(conn: Connection, schemas: Sequence[str]) -> Catalogue:
    _unknown_schemas(schemas, ["main"])
    catalogue = Catalogue(schemas=["main"])
    quote = conn.dialect.identifier_preparer.quote
    objects = conn.exec_driver_sql(
        "SELECT type, name, coalesce(sql, '') FROM main.sqlite_master "
        "WHERE type IN ('table', 'view') AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name"
    ).all()
    for kind, name, sql in objects:
        if kind == "view":
            catalogue.skipped.append((name, "view: stores nothing; its tables are read"))
            continue
        head = sql.upper()
        virtual = head.startswith("CREATE VIRTUAL")
        relation = Relation("main", name, name, "virtual table" if virtual else "table",
                            address=None if virtual or "WITHOUT ROWID" in head else "rowid")
        try:
            info = conn.exec_driver_sql(f"PRAGMA main.table_xinfo({quote(name)})").all()
        except DBAPIError as exc:
            catalogue.unreadable.append((f"main.{name}", Unreadable(name, None, why(exc))))
            continue
        keys: list[tuple[int, str]] = []
        for _cid, column, _type, _notnull, _default, pk, hidden in info:
            if hidden == 1:  # a virtual table's hidden column (an FTS rank, a table-valued arg)
                continue
            relation.columns.append(ScanColumn(column, Kind.ANY))
            if pk:
                keys.append((pk, column))
        relation.primary_key = [c for _, c in sorted(keys)]
        catalogue.relations.append(relation)
    return catalogue


# -- PostgreSQL --------------------------------------------------------------------------

_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind, c.relispopulated,
       has_schema_privilege(n.oid, 'USAGE'),
       CASE WHEN c.relrowsecurity THEN row_security_active(c.oid) ELSE false END,
       a.attname, a.atttypid,
       CASE WHEN a.attname IS NULL THEN false
            ELSE has_column_privilege(c.oid, a.attnum, 'SELECT') END,
       (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i
         WHERE i.indrelid = c.oid AND i.indisprimary)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'm', 'f', 'v') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY n.nspname, c.relname, a.attnum
"""
_TYPES = "SELECT oid, typname, typtype, typcategory, typbasetype, typelem FROM pg_type"
_WHAT = {"r": "table", "p": "partitioned table", "m": "materialised view",
         "f": "foreign table", "v": "view"}
# Base types that cannot hold free text, whatever their category says.
_NOT_TEXT = frozenset({"uuid", "macaddr", "macaddr8", "pg_lsn", "pg_snapshot", "txid_snapshot",
                       "tid", "xid", "xid8", "cid", "aclitem", "gtsvector", "int2vector",
                       "oidvector"})
# Categories that cannot: boolean, date/time, geometric, numeric (bar the ones below),
# interval, bit string, range, pseudo and internal types.
_NOT_TEXT_CATEGORIES = frozenset("BDGNTVRPZ")
_NUMBERS = frozenset({"int4", "int8", "numeric"})  # int2 cannot hold ten digits
_BY_NAME = {"json": Kind.JSON, "jsonb": Kind.JSON, "xml": Kind.XML, "bytea": Kind.BYTES}


@dataclass(frozen=True)
class _Type:
    name: str
    typtype: str
    category: str
    base: int
    element: int


def _kind(types: dict[int, _Type], oid: int, depth: int = 0) -> tuple[Kind, bool] | None:
    """How to read a value of type ``oid``: its kind and whether it is an array; None when
    the type cannot hold text."""
    kind = types.get(oid)
    while kind is not None and kind.typtype == "d":  # a domain: its base type decides
        kind = types.get(kind.base)
    if kind is None or depth > 4:
        return (Kind.TEXT, False)  # unknown to us: read its text form rather than skip it
    if kind.category == "A" and kind.element and kind.name not in _NOT_TEXT:
        element = _kind(types, kind.element, depth + 1)
        return None if element is None or element[1] else (element[0], True)
    if kind.typtype in ("c", "e"):  # composite (row literal) and enum labels
        return (Kind.TEXT, False)
    if kind.name in _BY_NAME:
        return (_BY_NAME[kind.name], False)
    if kind.name in _NUMBERS:
        return (Kind.NUMBER, False)
    if kind.name in _NOT_TEXT or kind.category in _NOT_TEXT_CATEGORIES \
            or kind.typtype in ("r", "m", "p"):
        return None
    return (Kind.TEXT, False)


def _postgres(conn: Connection, schemas: Sequence[str]) -> Catalogue:
    present = list(conn.execute(text(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', "
        "'information_schema') AND nspname !~ '^pg_(toast|temp_)' ORDER BY 1")).scalars())
    _unknown_schemas(schemas, present)
    default = conn.execute(text("SELECT current_schema()")).scalar() or ""
    types = {row[0]: _Type(*row[1:]) for row in conn.execute(text(_TYPES))}
    wanted = set(schemas or present)
    catalogue = Catalogue(schemas=[s for s in present if s in wanted])
    relations: dict[tuple[str, str], Relation] = {}
    denied: dict[tuple[str, str], list[str]] = {}
    keys: dict[tuple[str, str], list[tuple[int, str]]] = {}
    # per relation: ("skip" | "unreadable" | "partly", why)
    notes: dict[tuple[str, str], tuple[str, str]] = {}
    for (schema, name, relkind, populated, usage, rls, column, typid, readable,
         key) in conn.execute(text(_RELATIONS)):
        if schema not in wanted:
            continue
        ident = (schema, name)
        if ident not in relations:
            shown = name if schema == default else f"{schema}.{name}"
            relations[ident] = Relation(schema, name, shown, _WHAT[relkind], address=(
                "ctid" if relkind in ("r", "m") else None))
            if relkind == "v":
                notes[ident] = ("skip", "view: stores nothing; its tables are read")
            elif relkind == "m" and not populated:
                notes[ident] = ("skip", "materialised view not populated: holds no data")
            elif not usage:
                notes[ident] = ("unreadable", "no USAGE privilege on its schema")
            elif rls:
                notes[ident] = ("partly", "row-level security hides rows from this role")
        if column is None:
            continue
        if key is not None:
            keys.setdefault(ident, []).append((key, column))
        how = _kind(types, typid)
        if how is None:
            continue
        if readable:
            relations[ident].columns.append(ScanColumn(column, how[0], how[1]))
        else:
            denied.setdefault(ident, []).append(column)
    for ident, relation in relations.items():
        relation.primary_key = [c for _, c in sorted(keys.get(ident, []))]
        _place(catalogue, relation, notes.get(ident), denied.get(ident, []))
    return catalogue


def _place(catalogue: Catalogue, relation: Relation, note: tuple[str, str] | None,
           denied: list[str]) -> None:
    """Put one PostgreSQL relation where it belongs: read, skipped or (partly) unreadable."""

    def cannot(column: str | None, reason: str) -> None:
        catalogue.unreadable.append((relation.qualified,
                                     Unreadable(relation.shown, column, reason)))

    state, reason = note or ("", "")
    if state == "skip":
        catalogue.skipped.append((relation.shown, reason))
        return
    if not relation.columns and not denied:
        return  # nothing in it can hold text
    if state == "unreadable":
        cannot(None, reason)
        return
    if not relation.columns:
        cannot(None, "permission denied (no SELECT)")
        return
    for column in denied:
        cannot(column, "permission denied (no SELECT)")
    if state == "partly":
        cannot(None, reason)
    catalogue.relations.append(relation)


def why(exc: DBAPIError | UnicodeDecodeError) -> str:
    """Why a read failed, without any value: PostgreSQL messages about privileges, locks
    and objects are shown; a data error is named by its code only (its message can quote
    the value)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"text that is not valid {exc.encoding}"
    orig: Any = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state is None:  # SQLite: messages name objects, not values (bar one)
        message = str(orig).strip().splitlines()[0] if orig is not None else type(exc).__name__
        return "text that is not valid UTF-8" if "decode" in message else message
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    if primary and state[:2] in ("42", "55", "57", "53", "0A", "08"):
        return str(primary)
    return f"read failed: {type(orig).__name__} (SQLSTATE {state})"
