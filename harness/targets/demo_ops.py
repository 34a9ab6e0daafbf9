"""The demo target's operations questions: provisioning, payments, roles, imports, custom code.

Kept apart from `harness.targets.demo` so each module stays small; `DemoTarget`
inherits `DemoOperations`. Reads are plain queries on `demo.models`; the two
writes a verification makes (a staff-taken payment, a data import) go through
the demo's own code paths — `demo.payments.charge` and `demo.imports` — exactly
as the admin portal would, and ask `harness.safety` first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from harness.targets.base import (
    CustomActionView,
    ImportView,
    InvoiceMailView,
    PaymentView,
    ProcessorView,
    ProvisioningView,
    TargetError,
)

IMPORT_KINDS = ("usage", "accounts")
IMPORT_ATTEMPTS = 3
STAFF_SOURCE = "admin"  # a payment staff take in the admin portal


class DemoOperations(ABC):
    """Mixed into `DemoTarget`; relies on its engine, account lookup, guard and release."""

    # What `DemoTarget` provides (this class is only ever one of its bases): abstract
    # here, so a class that forgets one cannot even be instantiated.
    _release: Any

    @property
    @abstractmethod
    def engine(self) -> Engine: ...

    @abstractmethod
    def _require(self, session: Session, ref: str) -> int: ...

    @abstractmethod
    def _guard(self) -> None: ...

    # --- read-only questions ----------------------------------------------------------
    def provisioning_requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]:
        from demo.models import Account, ProvisioningRequest

        query = (select(ProvisioningRequest, Account.number)
                 .join(Account, Account.id == ProvisioningRequest.account_id))
        if bill_run_id is not None:
            query = query.where(ProvisioningRequest.bill_run_id == bill_run_id)
        with Session(self.engine) as session:
            return [
                ProvisioningView(account=number, action=r.action, service=r.service,
                                 status=r.status, url=r.url, payload=dict(r.payload or {}),
                                 bill_run_id=r.bill_run_id)
                for r, number in session.execute(query.order_by(ProvisioningRequest.id))
            ]

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView]:
        """Each invoice of the run with its account's primary contact e-mail (the lowest
        contact id wins, as the demo's mailer picks it) and where it says it emailed it."""
        from demo.models import Account, Contact, Invoice

        with Session(self.engine) as session:
            primary: dict[int, str] = {}
            for account_id, email in session.execute(
                    select(Contact.account_id, Contact.email)
                    .join(Invoice, Invoice.account_id == Contact.account_id)
                    .where(Invoice.bill_run_id == bill_run_id, Contact.is_primary.is_(True))
                    .order_by(Contact.id.desc())):
                primary[account_id] = email
            rows = session.execute(
                select(Invoice.number, Invoice.account_id, Account.number, Invoice.emailed_to)
                .join(Account, Account.id == Invoice.account_id)
                .where(Invoice.bill_run_id == bill_run_id).order_by(Invoice.id))
            return [InvoiceMailView(invoice=number, account=account, contact=primary.get(acct_id),
                                    emailed_to=emailed_to, bill_run_id=bill_run_id)
                    for number, acct_id, account, emailed_to in rows]

    def payment_processors(self) -> list[ProcessorView]:
        from demo.models import PaymentProcessor

        with Session(self.engine) as session:
            return [ProcessorView(name=p.name, kind=p.kind, enabled=bool(p.enabled))
                    for p in session.scalars(select(PaymentProcessor)
                                             .order_by(PaymentProcessor.id))]

    def payments(self, ref: str | None = None, bill_run_id: int | None = None
                 ) -> list[PaymentView]:
        from demo.models import Account, Payment, PaymentProcessor

        query = (select(Payment, Account.number, PaymentProcessor.name, PaymentProcessor.kind)
                 .join(Account, Account.id == Payment.account_id)
                 .join(PaymentProcessor, PaymentProcessor.id == Payment.processor_id))
        with Session(self.engine) as session:
            if ref is not None:
                query = query.where(Payment.account_id == self._require(session, ref))
            if bill_run_id is not None:
                query = query.where(Payment.bill_run_id == bill_run_id)
            return [_payment_view(p, number, name, kind)
                    for p, number, name, kind in session.execute(query.order_by(Payment.id))]

    def role_permissions(self) -> dict[str, frozenset[str]]:
        from demo.models import Permission, Role, RolePermission

        with Session(self.engine) as session:
            granted: dict[str, set[str]] = {
                name: set() for name in session.scalars(select(Role.name).order_by(Role.name))}
            rows = session.execute(
                select(Role.name, Permission.code)
                .join(RolePermission, RolePermission.role_id == Role.id)
                .join(Permission, Permission.id == RolePermission.permission_id))
            for role, code in rows:
                granted[role].add(code)
            return {role: frozenset(codes) for role, codes in granted.items()}

    def custom_actions(self) -> list[CustomActionView]:
        from demo.models import CustomAction

        with Session(self.engine) as session:
            return [CustomActionView(name=a.name, hook=a.hook, enabled=bool(a.enabled))
                    for a in session.scalars(select(CustomAction).order_by(CustomAction.id))]

    # --- writes a verification makes on staging ------------------------------------------
    def take_payment(self, ref: str, amount: Decimal, kind: str,
                     card_number: str | None = None) -> PaymentView:
        """A payment staff take in the admin portal: a typed-in card, or the account's
        stored method of ``kind``; goes through that processor's (sandboxed) gateway."""
        from demo.models import PaymentMethod, PaymentProcessor
        from demo.payments import PaymentError, charge

        self._guard()
        if kind not in ("card", "echeck"):
            raise TargetError(f"take_payment: unknown payment kind {kind!r} (card|echeck)")
        if card_number is not None and kind != "card":
            raise TargetError("take_payment: a card number only goes with kind 'card'")
        with Session(self.engine) as session, session.begin():
            account_id = self._require(session, ref)
            method_id: int | None = None
            if card_number is None:
                method_id = session.scalar(
                    select(PaymentMethod.id)
                    .where(PaymentMethod.account_id == account_id, PaymentMethod.kind == kind)
                    .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id).limit(1))
                if method_id is None:
                    raise TargetError(f"take_payment: account {ref!r} has no stored {kind} "
                                      "payment method")
            try:
                payment = charge(session, account_id, amount, STAFF_SOURCE, self._release,
                                 method_id=method_id, card_number=card_number)
            except PaymentError as exc:
                raise TargetError(f"take_payment for {ref!r}: {exc}") from None
            processor = session.get(PaymentProcessor, payment.processor_id)
            assert processor is not None
            number = self._number(session, account_id)
            return _payment_view(payment, number, processor.name, processor.kind)

    def import_data(self, kind: str, path: Path) -> ImportView:
        """Import ``path`` as the platform's regular ``kind`` import ("usage"/"accounts")."""
        from demo.imports import ImportFileError, import_accounts, import_usage

        self._guard()
        importer = {"usage": import_usage, "accounts": import_accounts}.get(kind)
        if importer is None:
            raise TargetError(f"import_data: unknown import kind {kind!r} "
                              f"(one of {', '.join(IMPORT_KINDS)})")
        for attempt in range(1, IMPORT_ATTEMPTS + 1):
            try:
                result = importer(self.engine, path)
                break
            except ImportFileError as exc:
                raise TargetError(f"import_data: {exc}") from None
            except IntegrityError as exc:
                # The demo numbers new accounts after the highest one; a signup committed by
                # another process meanwhile takes that number. The import is one transaction
                # (rolled back), so trying again is what an operator would do.
                if attempt == IMPORT_ATTEMPTS:
                    raise TargetError(f"import_data: {kind} import of {path} collided with "
                                      f"concurrent writes {attempt} times: "
                                      f"{str(exc.orig).splitlines()[0]}") from None
        return ImportView(rows_ok=result.rows_ok, rows_failed=result.rows_failed,
                          errors=[(e.line, e.error) for e in result.errors],
                          created=list(result.created))

    @staticmethod
    def _number(session: Session, account_id: int) -> str:
        from demo.models import Account

        account = session.get(Account, account_id)
        assert account is not None
        return account.number


def _payment_view(payment: Any, number: str, processor: str, kind: str) -> PaymentView:
    return PaymentView(account=number, processor=processor, kind=kind,
                       amount=Decimal(payment.amount), status=payment.status,
                       source=payment.source, message=payment.message or "",
                       bill_run_id=payment.bill_run_id)
