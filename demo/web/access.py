"""Who may see a page: staff login and permissions, customer login.

Every admin view is wrapped in ``staff_required``; the check runs on the server
for GET and POST alike, so a hidden button is never the only protection.
"""

from __future__ import annotations

import functools
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from demo.web.context import Ctx, View

ADMIN_LOGIN = "/admin/login"
PORTAL_LOGIN = "/portal/login"


def staff_required(permission: str | None = None, since: str | None = None) -> Any:
    """Require a logged-in staff user holding ``permission``; ``since`` a release base
    (the page does not exist before that release: 404)."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def checked(ctx: Ctx, **kwargs: Any) -> Response:
            if since is not None and not ctx.release.at_least(since):
                raise NotFound()
            if ctx.staff is None:
                return ctx.login_redirect(ADMIN_LOGIN)
            if permission is not None and not ctx.can(permission):
                return ctx.forbidden(permission)
            return view(ctx, **kwargs)

        return checked

    return wrap


def customer_required(view: View) -> View:
    """Require a logged-in customer-portal user."""

    @functools.wraps(view)
    def checked(ctx: Ctx, **kwargs: Any) -> Response:
        if ctx.portal_user is None:
            return ctx.login_redirect(PORTAL_LOGIN)
        return view(ctx, **kwargs)

    return checked


def safe_next(target: str | None, default: str) -> str:
    """A post-login redirect target that stays on this site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
