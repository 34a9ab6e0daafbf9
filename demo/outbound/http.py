"""POST a JSON body and read a JSON answer, with a short timeout and the host cache."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from demo.outbound.hosts import HostCache, route

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class HttpResult:
    """An HTTP answer (any status); ``body`` is the decoded JSON or {} if it was not JSON."""

    status: int
    body: dict[str, Any]


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def post_json(
    url: str,
    payload: dict[str, Any],
    hosts: HostCache | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> HttpResult:
    """POST ``payload``; return the answer for any HTTP status. Raise OSError (HostDown,
    URLError, timeout) when the host cannot be reached; the host is then remembered."""
    host, port = _host_port(url)
    if hosts is not None:
        hosts.check(host, port)
    real = route(host, port)
    if real != (host, port):
        parts = urlsplit(url)
        url = parts._replace(netloc=f"{real[0]}:{real[1]}", scheme="http").geturl()
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResult(response.status, _decode(response.read()))
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResult(exc.code, _decode(exc.read()))
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        if hosts is not None:
            hosts.mark_down(host, port, str(reason))
        raise
