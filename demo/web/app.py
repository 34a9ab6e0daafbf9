"""The WSGI application: routing, one database session per request, cookie
sessions, and error pages that never show a traceback to the browser."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from demo.db import session_factory
from demo.releases import Release, get_release
from demo.web import admin, portal, sessions
from demo.web.context import Ctx, View

log = logging.getLogger("demo.web")

HERE = Path(__file__).parent
STATIC = HERE / "static"


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v: f"{v:,.2f}" if v is not None else ""
    return env


class PortalApp:
    """Admin portal under /admin/, customer portal under /portal/."""

    def __init__(self, engine: Engine, release: Release, secret_key: bytes | None = None) -> None:
        self.engine = engine
        self.release = release
        self.secret_key = secret_key or secrets.token_bytes(32)
        self.sessions = session_factory(engine)
        self.templates = _templates()
        self.views: dict[str, View] = {**admin.routes.views, **portal.routes.views}
        self.url_map = Map(
            [
                Rule("/", endpoint="root"),
                Rule("/static/style.css", endpoint="css"),
                *(rule.empty() for rule in admin.routes.rules),
                *(rule.empty() for rule in portal.routes.rules),
            ],
            strict_slashes=True,
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        cookie = sessions.loads(request.cookies.get(sessions.COOKIE_NAME), self.secret_key)
        before = dict(cookie)
        with self.sessions() as db:
            ctx = Ctx(request, db, self.release, cookie, self.templates)
            try:
                response = self.dispatch(ctx)
            except HTTPException as exc:
                db.rollback()
                response = self.error_page(ctx, exc)
            except Exception:  # the cause is logged; the browser gets a plain 500 page
                log.exception("unhandled error on %s %s", request.method, request.path)
                db.rollback()
                response = self.render_error(ctx, 500, "Internal server error")
        if cookie != before:
            response.set_cookie(
                sessions.COOKIE_NAME,
                sessions.dumps(cookie, self.secret_key),
                httponly=True,
                samesite="Lax",
                path="/",
            )
        return response

    def dispatch(self, ctx: Ctx) -> Response:
        adapter = self.url_map.bind_to_environ(ctx.request.environ)
        endpoint, args = adapter.match()
        if endpoint == "root":
            return ctx.redirect("/portal/")
        if endpoint == "css":
            return Response((STATIC / "style.css").read_text(), mimetype="text/css")
        return self.views[endpoint](ctx, **args)

    def error_page(self, ctx: Ctx, exc: HTTPException) -> Response:
        if exc.code in (301, 302, 303, 307, 308):  # RequestRedirect (slash fix-ups)
            return exc.get_response(ctx.request.environ)
        code = exc.code or 500
        title = "Page not found" if isinstance(exc, NotFound) else exc.name
        response = self.render_error(ctx, code, title)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    def render_error(self, ctx: Ctx, code: int, title: str) -> Response:
        try:
            return ctx.render("error.html", status=code, code=code, title=title)
        except SQLAlchemyError:  # the page's header needs the database that just failed
            log.exception("error page for %s rendered without the database", code)
            html = f'<!doctype html><h1 data-testid="error-code">{code}</h1><p>{escape(title)}</p>'
            return Response(html, status=code, mimetype="text/html")


def create_app(
    engine: Engine, release: Release | str | None = None, secret_key: bytes | None = None
) -> PortalApp:
    """The portals' WSGI app for ``engine`` running ``release`` (name, Release, or default)."""
    if not isinstance(release, Release):
        release = get_release(release)
    return PortalApp(engine, release, secret_key)
