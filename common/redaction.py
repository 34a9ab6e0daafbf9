"""Hiding credentials in any text golive prints or writes.

A password can reach a message in many shapes: the ``user:password@`` of a
URL, a query parameter (``?password=``, ``&sslpassword=``, ``passfile=``,
``oauth_client_secret=``), a libpq keyword/value setting (``password=…``,
quoted or not), or bare, e.g. inside a driver's message. `redact` replaces the
shapes by pattern and, as a last line of defence, every secret `register`ed by
the code that read it (the profile loader registers its DSNs' credentials), in
its plain, URL-encoded and JSON-escaped forms.

Registered secrets shorter than `MIN_SECRET` characters are not hunted as bare
text (hiding every "pw" in a report would garble it); they are still hidden
wherever they appear in one of the shapes above.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MIN_SECRET", "is_credential_key", "redact", "redact_data", "register", "registered"]

MIN_SECRET = 4
MASK = "***"

# Keys whose value is a credential, in libpq, SQLAlchemy's drivers and ODBC strings.
_CREDENTIAL = re.compile(
    r"^(?:pg)?(?:password|passwd|pwd|passfile|sslpassword|sslkey|secret|token|"
    r"oauth_client_secret|client_secret|api_?key|access_token|auth_token|credentials?)$",
    re.IGNORECASE,
)
_KEYS = (r"(?:pg)?(?:password|passwd|pwd|passfile|sslpassword|sslkey|oauth_client_secret|"
         r"client_secret|api_?key|access_token|auth_token)")

# scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/@\s]*:)[^@\s]*(?P<at>@)")
# ?password=… or &password=… inside a URL: the value ends at &, # or whitespace
_QUERY = re.compile(rf"(?P<head>[?&;]{_KEYS}=)[^&#\s;]*", re.IGNORECASE)
# password=… in a keyword/value string: quoted ('…' with \' escapes) or up to whitespace
_KEYWORD = re.compile(rf"(?P<head>(?<![?&;\w]){_KEYS}\s*=\s*)(?:'(?:[^'\\]|\\.)*'|(?!\*\*\*)\S+)",
                      re.IGNORECASE)
# "password": "…" in JSON or a Python repr
_QUOTED_KEY = re.compile(rf"(?P<head>[\"']{_KEYS}[\"']\s*:\s*)(?:\"(?:[^\"\\]|\\.)*\"|'[^']*')",
                         re.IGNORECASE)

_lock = threading.Lock()
_secrets: set[str] = set()
_hunted: tuple[str, ...] = ()  # every form of every registered secret, longest first


def is_credential_key(name: str) -> bool:
    """Whether a connection parameter named ``name`` carries a credential."""
    return bool(_CREDENTIAL.match(name.strip()))


def register(*values: str | None) -> None:
    """Remember credentials so `redact` hides them even where no pattern shows them."""
    global _hunted
    with _lock:
        for value in values:
            if value and len(value) >= MIN_SECRET and value != MASK:
                _secrets.add(value)
        _hunted = _longest_first(_secrets)


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def _forms(secret: str) -> set[str]:
    """The shapes a secret takes in text: plain, URL-encoded, JSON-escaped."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {f for f in forms if len(f) >= MIN_SECRET}


def _longest_first(secrets: set[str]) -> tuple[str, ...]:
    return tuple(sorted({f for s in secrets for f in _forms(s)}, key=len, reverse=True))


def redact(text: str, extra: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with every credential replaced by ``***``: URL passwords, credential
    query parameters and keyword/value settings, and each registered (or ``extra``)
    secret wherever it appears."""
    if not text:
        return text
    # each shape only where its mark is: most text golive writes has none of them
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>{MASK}\g<at>", text)
    if "=" in text:
        text = _QUERY.sub(rf"\g<head>{MASK}", text)
        text = _KEYWORD.sub(rf"\g<head>{MASK}", text)
    if ":" in text and ('"' in text or "'" in text):
        text = _QUOTED_KEY.sub(rf'\g<head>"{MASK}"', text)
    hunted = _hunted
    wanted = {s for s in extra if s and len(s) >= MIN_SECRET}
    if wanted:
        hunted = _longest_first(wanted | registered())
    for form in hunted:
        if form in text:
            text = text.replace(form, MASK)
    return text


def redact_data(value: Any) -> Any:
    """``value`` (JSON-like data, dataclasses as dicts of their fields) with `redact`
    applied to every string in it, before it is serialised: patterns run on the strings,
    never on JSON or HTML text."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    if value is None or isinstance(value, int | float):
        return value
    names = _fields_of(value)
    if names is not None:  # a dataclass, as `dataclasses.asdict` gives it, without a copy
        return {name: redact_data(getattr(value, name)) for name in names}
    return value


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _fields_of(value: object) -> tuple[str, ...] | None:
    kind = type(value)
    if kind not in _FIELDS:
        _FIELDS[kind] = (tuple(f.name for f in dataclasses.fields(value))
                         if dataclasses.is_dataclass(value) and not isinstance(value, type)
                         else None)
    return _FIELDS[kind]
