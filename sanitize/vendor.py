"""The vendor's own sanitize scripts (.sql UPDATEs), run as they are, all in one transaction.

Statements are split on ``;`` outside quotes, comments and PostgreSQL
dollar-quoted bodies, then executed one by one; the first failure rolls back
every statement of every script and names the script, the statement's line and
the database's message. The scan afterwards is the same as after YAML rules.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import ConfigError, GoliveError, Problem
from common.yamlsource import display_name
from sanitize.report import SanitizeResult

__all__ = ["ScriptFailed", "SqlStatement", "run_scripts", "split_statements"]

_DOLLAR = re.compile(r"\$[A-Za-z_]?[A-Za-z0-9_]*\$")
_TABLE = re.compile(r"^\s*(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|INSERT\s+INTO)\s+"
                    r"(?:ONLY\s+)?\"?([A-Za-z_][\w.]*)", re.IGNORECASE)


class ScriptFailed(GoliveError):
    """A vendor script statement failed; everything was rolled back."""

    exit_code = 2
    headline = "sanitize script failed"


@dataclass(frozen=True)
class SqlStatement:
    sql: str
    line: int  # 1-based line where the statement starts


def split_statements(text: str) -> list[SqlStatement]:
    """The statements of a SQL script, with their first line; comments-only parts dropped."""
    statements: list[SqlStatement] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"'):
            end = text.find(ch, i + 1)
            while end != -1 and text[end + 1:end + 2] == ch:  # doubled quote
                end = text.find(ch, end + 2)
            i = n if end == -1 else end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end == -1 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
        elif ch == "$" and (match := _DOLLAR.match(text, i)):
            end = text.find(match.group(), match.end())
            i = n if end == -1 else end + len(match.group())
        elif ch == ";":
            _add(statements, text, start, i)
            start = i = i + 1
        else:
            i += 1
    _add(statements, text, start, n)
    return statements


def _add(statements: list[SqlStatement], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    body = _strip_comments(chunk).strip()
    if not body:
        return
    leading = len(chunk) - len(chunk.lstrip())
    line = text.count("\n", 0, start + leading) + 1
    statements.append(SqlStatement(chunk.strip(), line))


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.DOTALL)


def _read(paths: Sequence[Path]) -> list[tuple[str, list[SqlStatement]]]:
    scripts, problems = [], []
    for path in paths:
        shown = display_name(path)
        try:
            scripts.append((shown, split_statements(path.read_text(encoding="utf-8"))))
        except FileNotFoundError:
            problems.append(Problem(shown, None, None, "file not found"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(shown, None, None, f"cannot read: {exc}"))
    if problems:
        raise ConfigError(problems)
    return scripts


def run_scripts(conn: Connection, paths: Sequence[Path]) -> SanitizeResult:
    """Run every statement of ``paths`` on ``conn`` in one transaction (ScriptFailed → none)."""
    scripts = _read(paths)
    started = time.perf_counter()
    changed: dict[str, int] = {}
    count = 0
    # The driver sees the statement as written; pyformat drivers need "%" doubled for that.
    percent = conn.dialect.paramstyle in ("format", "pyformat")
    with conn.begin() as transaction:
        for shown, statements in scripts:
            for statement in statements:
                sql = statement.sql.replace("%", "%%") if percent else statement.sql
                try:
                    result = conn.exec_driver_sql(sql)
                except DBAPIError as exc:
                    transaction.rollback()
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                    raise ScriptFailed(f"{shown}:{statement.line}: {reason}; every statement "
                                       "was rolled back, nothing was sanitized") from None
                count += 1
                table = _TABLE.match(_strip_comments(statement.sql))
                if table and result.rowcount >= 0:
                    name = table.group(1)
                    changed[name] = changed.get(name, 0) + result.rowcount
    return SanitizeResult(rules_applied=count, rows_changed=changed,
                          seconds=round(time.perf_counter() - started, 3),
                          source=", ".join(shown for shown, _ in scripts), hash_method="vendor")
