"""Pointing one outbound channel at golive's sink the way the profile says
(`harness.channels`), and counting what the bill run says it sent on it.

A channel the target cannot redirect itself is moved by an SQL statement on staging, a
configuration file rewritten from a template, or environment variables given to the
platform's own commands; or it cannot be moved at all (``blocked``), and a person confirms
the rule that blocks it. None of these can be read back by golive: the evidence says so,
and what the platform reports sending is compared with what the sinks caught after the run.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from harness.channels import Channel, Sends, fill
from harness.config import Profile
from harness.safety import assert_staging, redact, reveal, safe_dsn
from harness.stages.data import StageFailed
from harness.targets import run_mark
from harness.targets.base import CommandEnvironment, Target
from harness.targets.sql_catalog import BIND, RUN_BINDS
from harness.targets.sql_database import sqlalchemy_url

__all__ = ["apply", "count", "sink_values"]


def sink_values(url: str) -> dict[str, str]:
    """``{url}``, ``{host}``, ``{port}`` of a sink."""
    parts = urlsplit(url)
    return {"url": url, "host": parts.hostname or "", "port": str(parts.port or "")}


def _staging(profile: Profile) -> str:
    dsn = profile.environments.staging.dsn
    assert_staging(profile, dsn)
    return reveal(dsn)


def _execute(profile: Profile, sql: str, params: dict[str, Any], where: str) -> Any:
    """Run ``sql`` on staging; the result (rows for a query, rowcount for a statement)."""
    url = _staging(profile)
    engine = create_engine(sqlalchemy_url(url))
    stmt = text(sql)
    used = {k: v for k, v in params.items() if k in BIND.findall(sql)}
    try:
        with engine.begin() as conn:
            result = conn.execute(stmt, used)
            return result.all() if result.returns_rows else result.rowcount
    except DBAPIError as exc:
        reason = redact(str(exc.orig or exc).strip().splitlines()[0], [url])
        raise StageFailed(f"{where} failed on {safe_dsn(url)}: {reason}") from None
    finally:
        engine.dispose()


def apply(profile: Profile, target: Target, name: str, channel: Channel,
          sink: str) -> dict[str, Any]:
    """Point channel ``name`` at ``sink`` as its ``redirect`` says (not ``target``: the
    stage asks the target for those); the evidence of what was done."""
    redirect = channel.redirect
    values = sink_values(sink)
    where = f"lockdown.channels.{name}.redirect"
    if redirect.sql is not None:
        changed = _execute(profile, redirect.sql, values, f"{where}.sql")
        if not changed:
            raise StageFailed(f"{where}.sql changed no row: {name} was not redirected "
                              "(does the statement match staging's configuration?)")
        return {"method": "sql", "to": sink, "rows": changed,
                "read_back": "not read back: golive cannot ask the platform"}
    if redirect.file is not None:
        rewrite = redirect.file
        content = fill(rewrite.template.read_text(encoding="utf-8"), values)[0]
        try:
            before = rewrite.path.read_bytes() if rewrite.path.exists() else None
            rewrite.path.parent.mkdir(parents=True, exist_ok=True)
            rewrite.path.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise StageFailed(f"{where}.file: cannot write {rewrite.path}: "
                              f"{exc.strerror or exc}") from None
        return {"method": "file", "to": sink, "path": str(rewrite.path),
                "template": str(rewrite.template),
                "sha256_before": hashlib.sha256(before).hexdigest() if before else None,
                "sha256_after": hashlib.sha256(content.encode()).hexdigest(),
                "read_back": "not read back: the platform reads the file"}
    if redirect.env is not None:
        if not isinstance(target, CommandEnvironment):
            raise StageFailed(f"{where}.env: the target runs no commands of the platform's, "
                              "so no environment variable can reach it")
        env = {k: fill(v, values)[0] for k, v in redirect.env.items()}
        target.give_environment(env)
        return {"method": "env", "to": sink, "variables": sorted(env),
                "read_back": "not read back: given to the platform's commands"}
    return {"method": "blocked", "to": None, "blocked_by": redirect.blocked,
            "read_back": "not redirected: a person confirms the rule (manual checklist item)"}


def count(profile: Profile, sends: Sends, invoices: int, bill_run_id: int | str | None,
          name: str) -> int:
    """How many messages or calls the bill run should have sent on channel ``name``."""
    if sends.per_invoice is not None:
        return invoices if sends.per_invoice else 0
    assert sends.query is not None
    mark = run_mark.load(profile)
    dialect = make_url(sqlalchemy_url(_staging(profile))).get_backend_name()
    params: dict[str, Any] = {"bill_run_id": bill_run_id,
                              **(mark.binds(dialect) if mark else dict.fromkeys(RUN_BINDS))}
    where = f"lockdown.channels.{name}.sends.query"
    rows = _execute(profile, sends.query, params, where)
    value = rows[0][0] if rows else None
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise StageFailed(f"{where} answered {value!r}, not a count") from None
