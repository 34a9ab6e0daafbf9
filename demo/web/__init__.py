"""The demo platform's web portals (werkzeug + Jinja2, server-rendered HTML).

``create_app(engine, release)`` is the WSGI app; ``PortalServer(engine, release,
port=0)`` serves it on 127.0.0.1 (context manager, ``.url`` without trailing slash).

Admin portal (staff; every page checks one permission on the server, 403 page
``data-testid="forbidden"`` names it in ``data-testid="missing-permission"``):
  /admin/login, /admin/logout, /admin/ (dashboard, any staff user)
  /admin/accounts?q=                      accounts.view   search results: ``result-<number>``
  /admin/accounts/<number>                accounts.view   account-name, account-number,
                                                          balance, next-bill-date, ...
  /admin/accounts/new                     accounts.add
  /admin/accounts/<number>/packages/new   packages.add
  /admin/accounts/<number>/payment        payments.process
  /admin/accounts/<number>/adjustment     adjustments.create (1.1 only; 404 on 1.0)
  /admin/tickets, /admin/tickets/new      tickets.create
  /admin/tickets/<id>, .../<id>/close     tickets.edit
  /admin/workorders[/new|/<id>]           workorders.manage
  /admin/events?level=ERROR               eventlog.view
  /admin/permissions                      permissions.view  cells ``perm-<role>-<code>``
Customer portal (login = account number):
  /portal/login, /portal/logout, /portal/ (account-name, account-number, next-bill-date,
  balance), /portal/usage, /portal/contact, /portal/tickets, /portal/pay,
  /portal/signup (public; shows ``new-account-number``).
"""

from __future__ import annotations

from demo.web.app import PortalApp, create_app
from demo.web.server import PortalServer

__all__ = ["PortalApp", "PortalServer", "create_app"]
