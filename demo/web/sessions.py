"""Cookie sessions signed with HMAC-SHA256 (stdlib only).

The cookie holds a small JSON dict (who is logged in, pending flash messages).
It is readable by the browser but cannot be forged without the app's secret, so
a user id in it can be trusted; nothing secret is ever put in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

COOKIE_NAME = "demo_session"


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def dumps(data: dict[str, Any], key: bytes) -> str:
    """Serialise and sign ``data`` for a cookie value."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_sign(key, payload)}"


def loads(value: str | None, key: bytes) -> dict[str, Any]:
    """The session in a cookie value; an empty session if missing, tampered or malformed."""
    if not value or "." not in value:
        return {}
    payload, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(_sign(key, payload.encode()), signature):
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (binascii.Error, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
