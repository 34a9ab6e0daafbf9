"""The portals on a real threaded HTTP server in a background thread."""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy import Engine
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from demo.releases import Release
from demo.web.app import PortalApp, create_app


class _QuietHandler(WSGIRequestHandler):
    """No access log per request; errors still go to the demo.web logger."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class PortalServer:
    """``with PortalServer(engine, release) as srv:`` serves on ``srv.url`` (port 0 = free)."""

    def __init__(
        self,
        engine: Engine,
        release: Release | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: bytes | None = None,
    ) -> None:
        self.app: PortalApp = create_app(engine, release, secret_key)
        self.host = host
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.port: int = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash; admin at ``url + "/admin/"``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> PortalServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-portals", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        """Run in the foreground (``python -m demo serve``); Ctrl-C stops it."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
