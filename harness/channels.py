"""Lock-down described per outbound channel, in the profile (``lockdown.channels``).

Each channel — ``mail``, ``payment`` (gateways), ``provisioning``, ``http`` (any other
HTTP) — says how staging's endpoint is pointed at golive's sink and what the bill run
should send on it::

    lockdown:
      channels:
        mail:
          redirect: target                  # the target's outbound capability (the default)
          # redirect: {sql: "UPDATE mail_config SET host = :host, port = :port"}
          # redirect: {file: {path: conf/mail.ini, template: lockdown/mail.ini}}
          # redirect: {env: {EMAIL_URL: "{url}"}}     # given to the platform's commands
          # redirect: {blocked: "firewall rule FW-12 drops outbound SMTP from staging"}
          sends: {per_invoice: true}        # one message per invoice of the run
          # sends: {per_invoice: false}     # none per invoice: the run sends no mail
          # sends: {query: "SELECT COUNT(*) FROM outbox WHERE id > :watermark"}

Placeholders in ``env`` values and templates: ``{url}``, ``{host}``, ``{port}`` of the
channel's sink; write ``{{`` and ``}}`` for literal braces. A channel that cannot be
redirected (``blocked``) becomes a critical manual checklist item (`blocked_items`): a
person confirms the rule holds. Without ``sends`` golive compares what the target's
capabilities report (provisioning requests sent, payment attempts), and nothing for mail.
No imports of `harness.config` (it imports this module).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    model_validator,
)

from common.dsn import profile_root
from common.yamlsource import display_name
from harness.checklists import Item
from harness.severity import Severity

__all__ = ["CHANNELS", "Channel", "Redirect", "Sends", "blocked_items", "channel_of", "fill",
           "lockdown_items"]

ChannelName = Literal["mail", "payment", "provisioning", "http"]
CHANNELS: tuple[str, ...] = ("mail", "payment", "provisioning", "http")
SINK_VALUES = ("url", "host", "port")
_FILL = re.compile(r"\{\{|\}\}|\{(?P<name>[^{}]*)\}|(?P<stray>[{}])")
_ITEM_IDS = {"mail": "CF-LOCKMAIL-01", "payment": "CF-LOCKPAYMENT-01",
             "provisioning": "CF-LOCKPROVISIONING-01", "http": "CF-LOCKHTTP-01"}


def fill(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with ``{url}``/``{host}``/``{port}`` filled in (``{{``/``}}`` literal), and
    what is wrong with it ([] when nothing is)."""
    problems: list[str] = []

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group("name")
        if name is not None and name.strip() in SINK_VALUES:
            return values.get(name.strip(), "")
        if name is not None:
            problems.append(f"unknown placeholder {{{name}}} (known: {{url}}, {{host}}, "
                            "{port}); write {{ and }} for literal braces")
        else:
            problems.append(f"a lone {token!r}: write {token * 2} for a literal {token}")
        return token

    return _FILL.sub(one, text), problems


def _resolve(value: Path, info: ValidationInfo) -> Path:
    root = profile_root(info)
    value = value.expanduser()
    return value if value.is_absolute() or root is None else Path(os.path.normpath(root / value))


_Path = Annotated[Path, AfterValidator(_resolve)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class FileRewrite(_Section):
    """A configuration file of staging rewritten from a template before the bill run."""

    path: _Path
    template: _Path

    @model_validator(mode="after")
    def _template(self) -> FileRewrite:
        try:
            text = self.template.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the template {self.template}: "
                             f"{exc.strerror or exc}") from None
        problems = fill(text, dict.fromkeys(SINK_VALUES, ""))[1]
        if problems:
            raise ValueError(f"template {self.template}: " + "; ".join(problems))
        return self


_METHODS = ("target", "sql", "file", "env", "blocked")


class Redirect(_Section):
    """How a channel is pointed at golive's sink: exactly one of ``target`` (the target's
    outbound capability moves its endpoints: ``redirect: target``), ``sql``, ``file``,
    ``env``, ``blocked``."""

    target: Literal[True] | None = None
    sql: str | None = None  # a statement on staging; binds :url, :host, :port
    file: FileRewrite | None = None
    env: dict[str, str] | None = None  # environment of the platform's commands
    blocked: str | None = None  # cannot be redirected: the rule that blocks it

    @model_validator(mode="before")
    @classmethod
    def _target_word(cls, value: object) -> object:
        if value == "target":
            return {"target": True}
        if isinstance(value, str):
            raise ValueError(f"{value!r}: write redirect: target, or a mapping with one of "
                             "sql, file, env, blocked")
        return value

    @model_validator(mode="after")
    def _one(self) -> Redirect:
        given = [k for k in _METHODS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of sql, file, env or blocked (or write "
                             f"redirect: target){'; found ' + ', '.join(given) if given else ''}")
        if self.blocked is not None and not self.blocked.strip():
            raise ValueError("blocked: say which rule blocks the channel (it becomes a manual "
                             "checklist item someone confirms)")
        if self.sql is not None and not self.sql.strip():
            raise ValueError("sql: empty statement")
        for name, value in (self.env or {}).items():
            problems = fill(value, dict.fromkeys(SINK_VALUES, ""))[1]
            if problems:
                raise ValueError(f"env {name}: " + "; ".join(problems))
        return self

    @property
    def method(self) -> str:
        return next(k for k in _METHODS if getattr(self, k) is not None)


class Sends(_Section):
    """What the bill run should send on a channel: ``per_invoice`` (true: one message per
    invoice of the run; false: none per invoice) or a ``query`` that counts it (its first
    column of its first row; binds :bill_run_id, :watermark, :started_at, :run_date)."""

    per_invoice: bool | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Sends:
        if (self.per_invoice is None) == (self.query is None):
            raise ValueError("give exactly one of per_invoice (true or false) or query")
        if self.query is not None and not self.query.strip():
            raise ValueError("query: empty")
        return self

    def describe(self) -> str:
        if self.query is not None:
            return "as many as its query counts"
        return "one message per invoice" if self.per_invoice else "nothing per invoice"


class Channel(_Section):
    """One outbound channel: how it is redirected, and what the run should send on it."""

    redirect: Redirect = Redirect(target=True)
    sends: Sends | None = None

    @property
    def method(self) -> str:
        return self.redirect.method

    @property
    def blocked_by(self) -> str | None:
        return self.redirect.blocked


Channels = dict[ChannelName, Channel]


def channel_of(channels: Mapping[ChannelName, Channel], name: str) -> Channel | None:
    """The profile's channel ``name`` (any text: an endpoint's kind), or None."""
    return next((c for n, c in channels.items() if n == name), None)


def lockdown_items(channels: Mapping[ChannelName, Channel], profile: Path
                   ) -> list[tuple[Item, str]]:
    """The checklist items the profile's lock-down implies (`blocked_items`)."""
    return blocked_items(channels, display_name(profile))


def blocked_items(channels: Mapping[ChannelName, Channel], where: str) -> list[tuple[Item, str]]:
    """A critical manual checklist item per channel that cannot be redirected, with where it
    comes from (``where``: the profile's file)."""
    found: list[tuple[Item, str]] = []
    for name in CHANNELS:
        channel = channel_of(channels, name)
        rule = channel.blocked_by if channel is not None else None
        if rule is None:
            continue
        item = Item(
            id=_ITEM_IDS[name],
            title=f"Staging's {name} channel is blocked: {rule}",
            why=(f"golive cannot point {name} at a sink, so it cannot see what leaves by it; "
                 f"a person confirms on staging, before the bill run, that the rule holds "
                 f"(lockdown.channels.{name}.redirect.blocked)"),
            critical=True, severity=Severity.SEVERE, owner="operations", mode="manual")
        found.append((item, f"{where} (lockdown.channels.{name})"))
    return found

