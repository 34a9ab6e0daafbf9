"""The demo target's portals: `PortalAccess` for `harness.targets.demo.DemoTarget`.

`DemoPortals` is a mixin of DemoTarget. The demo's admin and customer portals
(`demo.web.PortalServer`) are started on the target's own staging database the
first time a step asks for them — once per process, so each xdist worker
browses its own server on the same database — and stopped when the target is
closed. The reads compare the portals with the platform's data, with plain
queries on `demo.models`, like the rest of the demo target. Demo modules are
imported inside methods so golive loads without them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from common.errors import EnvironmentProblem
from harness.targets.base import TargetError
from harness.targets.portal import ContactView, PortalView, TicketView, UsageView

__all__ = ["DemoPortals"]


class DemoPortals:
    """Mixin: the demo's portals, started lazily on the staging database.

    The host class provides ``dsn``, ``_release``, ``engine`` and
    ``_account_id(session, ref)`` (DemoTarget does). Its own ``close()`` also
    stops the portals: `__init_subclass__` chains `stop_portals` onto it, so the
    host needs no change beyond listing this mixin among its bases.
    """

    _portal_server: Any = None
    _portal_engine: Engine | None = None
    _portal_lock = threading.Lock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own: Callable[[Any], None] | None = cls.__dict__.get("close")
        if own is None or getattr(own, "_stops_portals", False):
            return

        @functools.wraps(own)
        def close(self: DemoPortals) -> None:
            try:
                self.stop_portals()
            finally:
                own(self)

        close._stops_portals = True  # type: ignore[attr-defined]
        cls.close = close  # type: ignore[attr-defined]

    # --- the portal server ---------------------------------------------------------
    def portals(self) -> PortalView:
        """The portals of this target's database, started on first use in this process."""
        with self._portal_lock:
            if self._portal_server is None:
                self._portal_server = self._start_portals()
            url = str(self._portal_server.url)
        return PortalView(admin_url=url + "/admin", customer_url=url + "/portal")

    def _start_portals(self) -> Any:
        from demo.paths import BadDatabaseUrl, DatabaseUnavailable, open_database
        from demo.web import PortalServer

        host: Any = self
        try:
            engine = open_database(host.dsn)
        except DatabaseUnavailable as exc:
            raise EnvironmentProblem(f"cannot start the demo portals: {exc}") from None
        except BadDatabaseUrl as exc:
            raise TargetError(str(exc)) from None
        try:
            server = PortalServer(engine, host._release).start()
        except OSError as exc:
            engine.dispose()
            raise EnvironmentProblem(f"cannot start the demo portals on 127.0.0.1: {exc}") from exc
        self._portal_engine = engine
        return server

    def servers(self) -> list[str]:
        """The servers this target runs until ``close()`` (`harness.started.RunsServers`)."""
        server = self._portal_server
        return [f"demo portals {server.url}"] if server is not None else []

    def stop_portals(self) -> None:
        """Stop the portal server of this process, if it runs. Idempotent."""
        with self._portal_lock:
            server, self._portal_server = self._portal_server, None
            engine, self._portal_engine = self._portal_engine, None
        if server is not None:
            server.stop()
        if engine is not None:
            engine.dispose()

    # --- reads the portals are compared with ---------------------------------------------
    def _session(self) -> Session:
        host: Any = self
        return Session(host.engine)

    def _ref_id(self, session: Session, ref: str) -> int | None:
        host: Any = self
        found = host._account_id(session, ref)
        return None if found is None else int(found)

    def contact(self, ref: str) -> ContactView | None:
        from demo.models import Contact

        with self._session() as session:
            account_id = self._ref_id(session, ref)
            if account_id is None:
                raise TargetError(f"no account {ref!r} (neither an account number nor a name)")
            row = session.scalar(
                select(Contact).where(Contact.account_id == account_id)
                .order_by(Contact.is_primary.desc(), Contact.id).limit(1))
            if row is None:
                return None
            return ContactView(name=f"{row.first_name} {row.last_name}".strip(), email=row.email,
                               phone=row.phone, street=row.street, city=row.city,
                               postcode=row.postcode)

    def _ticket_views(self, session: Session, where: Any) -> list[TicketView]:
        from demo.models import Account, Ticket

        rows = session.execute(
            select(Ticket, Account.number).join(Account, Account.id == Ticket.account_id)
            .where(where).order_by(Ticket.id.desc())).all()
        return [TicketView(id=t.id, account=number, subject=t.subject, status=t.status,
                           priority=t.priority, created_by=t.created_by) for t, number in rows]

    def tickets(self, ref: str) -> list[TicketView]:
        from demo.models import Ticket

        with self._session() as session:
            account_id = self._ref_id(session, ref)
            if account_id is None:
                raise TargetError(f"no account {ref!r} (neither an account number nor a name)")
            return self._ticket_views(session, Ticket.account_id == account_id)

    def ticket(self, ticket_id: int) -> TicketView | None:
        from demo.models import Ticket

        with self._session() as session:
            found = self._ticket_views(session, Ticket.id == ticket_id)
            return found[0] if found else None

    def usage(self, ref: str) -> UsageView:
        from demo.models import Account, UsageRecord

        with self._session() as session:
            account_id = self._ref_id(session, ref)
            if account_id is None:
                raise TargetError(f"no account {ref!r} (neither an account number nor a name)")
            number = session.scalar(select(Account.number).where(Account.id == account_id))
            calls, minutes, first, last = session.execute(
                select(func.count(UsageRecord.id), func.coalesce(func.sum(UsageRecord.minutes), 0),
                       func.min(UsageRecord.started_at), func.max(UsageRecord.started_at))
                .where(UsageRecord.account_id == account_id)).one()
            return UsageView(account=str(number), calls=int(calls), minutes=int(minutes),
                             first_day=first.date() if first else None,
                             last_day=last.date() if last else None)
