"""The portals on a real threaded HTTP server in a background thread."""

from __future__ import annotations

from sqlalchemy import Engine

from demo.httpserver import BackgroundServer
from demo.releases import Release
from demo.web.app import PortalApp, create_app


class PortalServer(BackgroundServer):
    """``with PortalServer(engine, release) as srv:`` serves on ``srv.url`` (port 0 = free);
    admin at ``url + "/admin/"``, the customer portal at ``url + "/portal/"``."""

    thread_name = "demo-portals"

    def __init__(
        self,
        engine: Engine,
        release: Release | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: bytes | None = None,
    ) -> None:
        self.app: PortalApp = create_app(engine, release, secret_key)
        super().__init__(self.app, host, port)
