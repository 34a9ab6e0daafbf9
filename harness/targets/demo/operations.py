"""The demo's operations capabilities: provisioning, payments, roles, imports, custom code.

Reads are plain queries on `demo.models`. The two writes a verification makes
(a staff-taken payment, a data import) go through the demo's own code paths —
`demo.payments.charge` and `demo.imports` — exactly as the admin portal would,
and ask the staging guard first.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from demo.imports import ImportFileError, ImportResult, import_accounts, import_usage
from demo.models import (
    Account,
    CustomAction,
    Payment,
    PaymentMethod,
    PaymentProcessor,
    Permission,
    ProvisioningRequest,
    Role,
    RolePermission,
)
from demo.payments import PaymentError, charge
from harness.targets.base import TargetError
from harness.targets.demo.database import DemoDatabase
from harness.targets.views import (
    CustomActionView,
    ImportView,
    PaymentView,
    ProcessorView,
    ProvisioningView,
)

IMPORT_KINDS = ("usage", "accounts")
IMPORT_ATTEMPTS = 3
STAFF_SOURCE = "admin"  # a payment staff take in the admin portal


class DemoProvisioning:
    """Provisioning requests the bill run sent to switches and head-ends."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def requests(self, bill_run_id: int | None = None) -> list[ProvisioningView]:
        query = (select(ProvisioningRequest, Account.number)
                 .join(Account, Account.id == ProvisioningRequest.account_id))
        if bill_run_id is not None:
            query = query.where(ProvisioningRequest.bill_run_id == bill_run_id)
        with self.db.session() as session:
            return [ProvisioningView(account=number, action=r.action, service=r.service,
                                     status=r.status, url=r.url, payload=dict(r.payload or {}),
                                     bill_run_id=r.bill_run_id)
                    for r, number in session.execute(query.order_by(ProvisioningRequest.id))]


def _payment_view(payment: Payment, number: str, processor: str, kind: str) -> PaymentView:
    return PaymentView(account=number, processor=processor, kind=kind,
                       amount=Decimal(payment.amount), status=payment.status,
                       source=payment.source, message=payment.message or "",
                       bill_run_id=payment.bill_run_id)


class DemoPayments:
    """Payment processors and the payments that went through them."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def processors(self) -> list[ProcessorView]:
        with self.db.session() as session:
            return [ProcessorView(name=p.name, kind=p.kind, enabled=bool(p.enabled))
                    for p in session.scalars(select(PaymentProcessor)
                                             .order_by(PaymentProcessor.id))]

    def payments(self, ref: str | None = None, bill_run_id: int | None = None
                 ) -> list[PaymentView]:
        query = (select(Payment, Account.number, PaymentProcessor.name, PaymentProcessor.kind)
                 .join(Account, Account.id == Payment.account_id)
                 .join(PaymentProcessor, PaymentProcessor.id == Payment.processor_id))
        with self.db.session() as session:
            if ref is not None:
                query = query.where(Payment.account_id == self.db.require(session, ref))
            if bill_run_id is not None:
                query = query.where(Payment.bill_run_id == bill_run_id)
            return [_payment_view(p, number, name, kind)
                    for p, number, name, kind in session.execute(query.order_by(Payment.id))]


class DemoStaffPayments:
    """A payment staff take in the admin portal, through that processor's gateway."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def take(self, ref: str, amount: Decimal, kind: str,
             card_number: str | None = None) -> PaymentView:
        """A typed-in card, or the account's stored method of ``kind``."""
        self.db.guard()
        if kind not in ("card", "echeck"):
            raise TargetError(f"take_payment: unknown payment kind {kind!r} (card|echeck)")
        if card_number is not None and kind != "card":
            raise TargetError("take_payment: a card number only goes with kind 'card'")
        with self.db.session() as session, session.begin():
            account_id = self.db.require(session, ref)
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
                payment = charge(session, account_id, amount, STAFF_SOURCE, self.db.release,
                                 method_id=method_id, card_number=card_number)
            except PaymentError as exc:
                raise TargetError(f"take_payment for {ref!r}: {exc}") from None
            processor = session.get(PaymentProcessor, payment.processor_id)
            assert processor is not None
            number = self.db.number(session, account_id)
            return _payment_view(payment, number, processor.name, processor.kind)


class DemoPermissions:
    """Staff roles and their permission codes."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def roles(self) -> dict[str, frozenset[str]]:
        with self.db.session() as session:
            granted: dict[str, set[str]] = {
                name: set() for name in session.scalars(select(Role.name).order_by(Role.name))}
            rows = session.execute(
                select(Role.name, Permission.code)
                .join(RolePermission, RolePermission.role_id == Role.id)
                .join(Permission, Permission.id == RolePermission.permission_id))
            for role, code in rows:
                granted[role].add(code)
            return {role: frozenset(codes) for role, codes in granted.items()}


class DemoImports:
    """The demo's regular imports: usage records and accounts, from CSV."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def import_file(self, kind: str, path: Path) -> ImportView:
        """Import ``path`` as the platform's regular ``kind`` import ("usage"/"accounts")."""
        self.db.guard()
        importer = {"usage": import_usage, "accounts": import_accounts}.get(kind)
        if importer is None:
            raise TargetError(f"import_data: unknown import kind {kind!r} "
                              f"(one of {', '.join(IMPORT_KINDS)})")
        result: ImportResult | None = None
        for attempt in range(1, IMPORT_ATTEMPTS + 1):
            try:
                result = importer(self.db.engine, path)
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
        assert result is not None
        return ImportView(rows_ok=result.rows_ok, rows_failed=result.rows_failed,
                          errors=[(e.line, e.error) for e in result.errors],
                          created=list(result.created))


class DemoCustomActions:
    """Site-specific extensions configured in the demo (e.g. a late fee)."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def actions(self) -> list[CustomActionView]:
        with self.db.session() as session:
            return [CustomActionView(name=a.name, hook=a.hook, enabled=bool(a.enabled))
                    for a in session.scalars(select(CustomAction).order_by(CustomAction.id))]
