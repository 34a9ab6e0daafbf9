"""The demo's admin and customer portals, and the reads a portal page is compared with.

The portals (`demo.web.PortalServer`) are started on the target's own database
the first time a step asks for them — once per process, so each xdist worker
browses its own server on the same database — on their own engine, since the
server answers from its threads. `stop` ends them; `DemoTarget.close` calls it.
"""

from __future__ import annotations

import threading

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session

from common.errors import EnvironmentProblem
from demo.models import Account, Contact, Ticket, UsageRecord
from demo.web import PortalServer
from harness.safety import read_only
from harness.targets.demo.database import DemoDatabase, open_demo_database
from harness.targets.views import ContactView, PortalView, TicketView, UsageView


class DemoPortals:
    """`Portals` for the demo: a lazily started portal server and plain reads."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db
        self._server: PortalServer | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def urls(self) -> PortalView:
        """The portals of this target's database, started on first use in this process."""
        with self._lock:
            if self._server is None:
                self._server = self._start()
            url = str(self._server.url)
        return PortalView(admin_url=url + "/admin", customer_url=url + "/portal")

    def _start(self) -> PortalServer:
        self.db.engine  # noqa: B018 — production learns its deployed release on first use
        engine = open_demo_database(self.db.dsn, "cannot start the demo portals: ")
        if not self.db.writable:  # the portals of production only read
            read_only(engine)
        try:
            server = PortalServer(engine, self.db.release).start()
        except OSError as exc:
            engine.dispose()
            raise EnvironmentProblem(f"cannot start the demo portals on 127.0.0.1: {exc}") from exc
        self._engine = engine
        return server

    def servers(self) -> list[str]:
        """The portal server this process runs, if started (until ``stop()``)."""
        server = self._server
        return [f"demo portals {server.url}"] if server is not None else []

    def stop(self) -> None:
        """Stop the portal server of this process, if it runs. Idempotent."""
        with self._lock:
            server, self._server = self._server, None
            engine, self._engine = self._engine, None
        if server is not None:
            server.stop()
        if engine is not None:
            engine.dispose()

    # --- reads the portals are compared with ---------------------------------------------
    def contact(self, ref: str) -> ContactView | None:
        with self.db.session() as session:
            row = session.scalar(
                select(Contact).where(Contact.account_id == self.db.require(session, ref))
                .order_by(Contact.is_primary.desc(), Contact.id).limit(1))
            if row is None:
                return None
            return ContactView(name=f"{row.first_name} {row.last_name}".strip(), email=row.email,
                               phone=row.phone, street=row.street, city=row.city,
                               postcode=row.postcode)

    def tickets(self, ref: str) -> list[TicketView]:
        with self.db.session() as session:
            return _tickets(session, Ticket.account_id == self.db.require(session, ref))

    def ticket(self, ticket_id: int) -> TicketView | None:
        with self.db.session() as session:
            found = _tickets(session, Ticket.id == ticket_id)
            return found[0] if found else None

    def usage(self, ref: str) -> UsageView:
        with self.db.session() as session:
            account_id = self.db.require(session, ref)
            calls, minutes, first, last = session.execute(
                select(func.count(UsageRecord.id), func.coalesce(func.sum(UsageRecord.minutes), 0),
                       func.min(UsageRecord.started_at), func.max(UsageRecord.started_at))
                .where(UsageRecord.account_id == account_id)).one()
            return UsageView(account=self.db.number(session, account_id), calls=int(calls),
                             minutes=int(minutes), first_day=first.date() if first else None,
                             last_day=last.date() if last else None)


def _tickets(session: Session, where: ColumnElement[bool]) -> list[TicketView]:
    """Tickets matching ``where``, newest first."""
    rows = session.execute(
        select(Ticket, Account.number).join(Account, Account.id == Ticket.account_id)
        .where(where).order_by(Ticket.id.desc())).all()
    return [TicketView(id=t.id, account=number, subject=t.subject, status=t.status,
                       priority=t.priority, created_by=t.created_by) for t, number in rows]
