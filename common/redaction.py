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


def is_credential_key(name: str) -> bool:
    """Whether a connection parameter named ``name`` carries a credential."""
    return bool(_CREDENTIAL.match(name.strip()))


def register(*values: str | None) -> None:
    """Remember credentials so `redact` hides them even where no pattern shows them."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_SECRET and value != MASK:
                _secrets.add(value)


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def _forms(secret: str) -> set[str]:
    """The shapes a secret takes in text: plain, URL-encoded, JSON-escaped."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {f for f in forms if len(f) >= MIN_SECRET}


def redact(text: str, extra: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with every credential replaced by ``***``: URL passwords, credential
    query parameters and keyword/value settings, and each registered (or ``extra``)
    secret wherever it appears."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}\g<at>", text)
    text = _QUERY.sub(rf"\g<head>{MASK}", text)
    text = _KEYWORD.sub(rf"\g<head>{MASK}", text)
    text = _QUOTED_KEY.sub(rf'\g<head>"{MASK}"', text)
    secrets = set(registered())
    secrets.update(s for s in extra if s and len(s) >= MIN_SECRET)
    forms = {f for s in secrets for f in _forms(s)}
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, MASK)
    return text


def redact_data(value: Any) -> Any:
    """``value`` (JSON-like data) with `redact` applied to every string in it, before it
    is serialised: patterns run on the strings, never on JSON or HTML text."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
