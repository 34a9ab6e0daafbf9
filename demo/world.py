"""Production's world: the payment gateway, provisioning endpoints and mail server that
the demo's production talks to, stood in by real servers on 127.0.0.1.

A real production charges real cards through its processors; the demo's production
hosts (``*.example``) never resolve. So that production's bill run behaves as a
production's does (cards approved or declined by the gateway, services provisioned,
invoices mailed), `ProductionWorld` starts the demo's gateway sandbox, an HTTP endpoint
that accepts provisioning requests and an SMTP server that accepts mail, and routes
every host of production's configuration to them (`demo.outbound.hosts.routed`).
The configuration in the database keeps naming the real hosts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from sqlalchemy import Engine, select
from werkzeug.wrappers import Request, Response

from demo.gateway import GatewayServer
from demo.httpserver import BackgroundServer
from demo.models import MailConfig, PaymentProcessor, ProvisioningConfig
from demo.outbound.hosts import routed

LOOPBACK = "127.0.0.1"


class _NoLoginDataWarning(logging.Filter):
    """aiosmtpd 1.4 warns about its own deprecated attribute on every login: drop that."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_NoLoginDataWarning())


class _Provisioning(BackgroundServer):
    """Accepts every provisioning request with 200, as production's switches do."""

    thread_name = "production-provisioning"

    def __init__(self) -> None:
        self.received = 0
        super().__init__(self._app, LOOPBACK, 0)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        Request(environ).get_data()
        self.received += 1
        body = json.dumps({"status": "ok"})
        return Response(body, status=200, mimetype="application/json")(environ, start_response)


class _Accept:
    """aiosmtpd handler: production's mail server accepts every invoice mail."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received += 1
        return "250 accepted"


def _any_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
               auth_data: Any) -> AuthResult:
    return AuthResult(success=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _address(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def routes_for(engine: Engine, gateway: int, provisioning: int, smtp: int
               ) -> dict[str, tuple[str, int]]:
    """Every outbound host of the database's configuration → its stand-in."""
    found: dict[str, tuple[str, int]] = {}
    with engine.connect() as conn:
        for (url,) in conn.execute(select(PaymentProcessor.gateway_url)):
            if (address := _address(url)) is not None:
                found[address] = (LOOPBACK, gateway)
        for (url,) in conn.execute(select(ProvisioningConfig.url)):
            if (address := _address(url)) is not None:
                found[address] = (LOOPBACK, provisioning)
        for host, port in conn.execute(select(MailConfig.smtp_host, MailConfig.smtp_port)):
            found[f"{host}:{port}"] = (LOOPBACK, smtp)
    return found


@contextlib.contextmanager
def production_world(engine: Engine) -> Iterator[dict[str, int]]:
    """Within the block, production's outbound hosts answer as production's world does;
    yields what each stand-in received (filled in when the block ends)."""
    received: dict[str, int] = {}
    mail = _Accept()
    controller = Controller(mail, hostname=LOOPBACK, port=_free_port(),
                            authenticator=_any_login, auth_require_tls=False)
    with GatewayServer() as gateway, _Provisioning() as provisioning:
        controller.start()
        try:
            with routed(routes_for(engine, gateway.port, provisioning.port, controller.port)):
                yield received
        finally:
            controller.stop()
            received.update(payments=len(gateway.requests),
                            provisioning=provisioning.received, mail=mail.received)
