"""The per-request context every view receives, and the route registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from demo.models import Permission, PortalUser, RolePermission, StaffUser
from demo.releases import Release


@dataclass
class Ctx:
    """What a view needs: the request, a database session, the release, the cookie session."""

    request: Request
    db: Session
    release: Release
    session: dict[str, Any]
    templates: Environment
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def staff(self) -> StaffUser | None:
        staff_id = self.session.get("staff_id")
        if staff_id is None:
            return None
        user = self.db.get(StaffUser, staff_id)
        return user if user is not None and user.active else None

    @cached_property
    def permissions(self) -> frozenset[str]:
        """The logged-in staff user's permissions, read fresh so a migration applies at once."""
        if self.staff is None:
            return frozenset()
        codes = self.db.scalars(
            select(Permission.code)
            .join(RolePermission, RolePermission.permission_id == Permission.id)
            .where(RolePermission.role_id == self.staff.role_id)
        )
        return frozenset(codes)

    @cached_property
    def portal_user(self) -> PortalUser | None:
        user_id = self.session.get("portal_user_id")
        return None if user_id is None else self.db.get(PortalUser, user_id)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def flash(self, message: str) -> None:
        self.session["flash"] = [*self.session.get("flash", []), message]

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        messages = self.session.pop("flash", [])
        html = self.templates.get_template(template).render(
            ctx=self, release=self.release, messages=messages, today=dt.date.today(), **values
        )
        return Response(html, status=status, mimetype="text/html")

    def redirect(self, location: str) -> Response:
        return redirect(location, code=303)

    def login_redirect(self, login_path: str) -> Response:
        target = self.request.full_path.rstrip("?")
        return redirect(f"{login_path}?next={quote(target)}", code=303)

    def forbidden(self, permission: str) -> Response:
        return self.render("forbidden.html", status=403, permission=permission)


View = Callable[..., Response]


class Routes:
    """Collects URL rules and their views so each module declares its own pages."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.views: dict[str, View] = {}

    def route(self, path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[View], View]:
        def register(view: View) -> View:
            endpoint = f"{view.__module__}.{view.__name__}"
            self.rules.append(Rule(path, endpoint=endpoint, methods=list(methods)))
            self.views[endpoint] = view
            return view

        return register
