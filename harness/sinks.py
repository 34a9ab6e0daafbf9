"""Outbound sinks: real servers on 127.0.0.1 that stand in for the world during a run.

Lock-down points every outbound channel of staging (invoice mail, provisioning
endpoints) at these sinks, so nothing reaches a real customer or switch, and the
report can show what would have been sent. The SMTP sink is a real SMTP server
(aiosmtpd) recording sender, recipients, subject and size; the HTTP sink answers
every request with 200 JSON and records method, path and body.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import threading
from abc import ABC, abstractmethod
from email.headerregistry import BaseHeader, HeaderRegistry
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

LOOPBACK = "127.0.0.1"


class _NoLoginDataWarning(logging.Filter):
    """aiosmtpd 1.4 warns about its own deprecated attribute on every login: drop that."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_NoLoginDataWarning())


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# A header line as the email package's feed parser knows one (its ``headerRE``): a
# header's first line, or a continuation of the one before; anything else ends the block.
_HEADER_LINE = re.compile(rb"From |[\041-\071\073-\176]*:|[ \t]")


class _Registry(HeaderRegistry):
    """The default header registry, each header class made once: the stock one builds a
    new class for every header it parses."""

    @functools.cache  # noqa: B019 - one registry per process, a handful of header names
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


_POLICY = default_policy.clone(header_factory=_Registry())


def subject_of(raw: bytes) -> str:
    """The message's Subject as ``email``'s default policy reads it (RFC 2047 decoded,
    unfolded; the first one when there are several). Only the Subject's own lines are
    handed to the parser: parsing the whole header block (its Content-Type above all)
    cost the sink more than everything else it does per message."""
    taken: list[bytes] = []
    in_subject = False
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end + 1
        line = raw[start:end]
        if not line.strip(b"\r\n") or not _HEADER_LINE.match(line):
            break  # the blank line (or a body line) ends the headers
        if line[:1] in (b" ", b"\t"):
            if in_subject:
                taken.append(line)
        else:
            in_subject = line.split(b":", 1)[0].lower() == b"subject"
            if in_subject:
                taken.append(line)
        start = end
    if not taken:
        return ""
    parsed = BytesHeaderParser(policy=_POLICY).parsebytes(b"".join(taken))
    return str(parsed.get("Subject", ""))


class _Recorder:
    """aiosmtpd handler: accept every message and remember what it was."""

    def __init__(self, messages: list[dict[str, Any]], lock: threading.Lock) -> None:
        self.messages = messages
        self.lock = lock

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        entry = {
            "mail_from": envelope.mail_from,
            "recipients": list(envelope.rcpt_tos),
            "subject": subject_of(raw),
            "size": len(raw),
            "authenticated": session.authenticated,
            "received_at": _now(),
        }
        with self.lock:
            self.messages.append(entry)
        return "250 Message accepted for delivery"


def _accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """Staging keeps production's mail credentials: log in whatever they are (never stored)."""
    return AuthResult(success=True)


class _AnyPortController(Controller):
    """aiosmtpd's Controller, bound to port 0: learns the port the OS chose."""

    def _trigger_server(self) -> None:
        server: Any = self.server  # an asyncio.Server: it has .sockets
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Sink(ABC):
    """What every sink shares: a locked list of what it received, and `with` support."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @abstractmethod
    def start(self) -> Self:
        """Start listening; returns the sink."""

    @abstractmethod
    def stop(self) -> None:
        """Stop listening; what was received stays readable."""

    def captured(self, since: int = 0) -> list[dict[str, Any]]:
        """Copies of what arrived, from the ``since``-th on (what a caller took before
        is not copied again)."""
        with self._lock:
            return [dict(r) for r in self.received[since:]]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SmtpSink(_Sink):
    """A real SMTP server on 127.0.0.1 (a free port) that accepts and records every mail.

    Any SMTP login is accepted (plain text, no TLS), since a restored database
    still carries production's mail credentials; the credentials are not kept.
    """

    kind = "mail"

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        super().__init__()
        self.messages = self.received
        self._controller = _AnyPortController(
            _Recorder(self.messages, self._lock), hostname=host, port=port,
            authenticator=_accept_any_login, auth_require_tls=False,
        )
        self.host = host
        self._started = False

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpSink:
        self._controller.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._controller.stop()
            self._started = False



class _QuietHandler(WSGIRequestHandler):
    """No access log on the terminal: the sink records requests itself."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class HttpSink(_Sink):
    """A threaded HTTP server on 127.0.0.1 that answers 200 JSON and records each request."""

    kind = "http"

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self.host = host
        super().__init__()
        self.requests = self.received
        self._server: BaseWSGIServer = make_server(
            host, port, self._app, threaded=True, request_handler=_QuietHandler
        )
        self.port: int = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data(as_text=True)
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        with self._lock:
            self.requests.append(
                {"method": request.method, "path": request.path, "body": body,
                 "received_at": _now()}
            )
        answer = {"status": "ok", "sink": "golive", "received": True}
        response = Response(json.dumps(answer), status=200, mimetype="application/json")
        return response(environ, start_response)

    def start(self) -> HttpSink:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="golive-http-sink", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

