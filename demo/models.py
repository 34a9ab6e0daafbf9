"""The demo platform's schema: one SQLAlchemy 2 model for SQLite and PostgreSQL.

Money is ``Numeric(12, 2)`` (never float) so bill-run arithmetic is exact on
both engines. Amounts on transactions are signed from the customer's point of
view: positive raises what the account owes, negative (payments, discounts,
credits) lowers it; ``accounts.balance`` is their running sum.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Money = Numeric(12, 2)

PERIODS = ("monthly", "quarterly", "yearly", "one_off")
ACCOUNT_STATUSES = ("active", "suspended", "closed")
TRANSACTION_KINDS = ("charge", "usage", "discount", "tax", "payment", "adjustment")


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    bill_day: Mapped[int] = mapped_column(Integer, default=1)
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    price_plan_id: Mapped[int | None] = mapped_column(ForeignKey("price_plans.id"))
    # Date the oldest unpaid invoice fell due; None when nothing is overdue.
    past_due_since: Mapped[dt.date | None] = mapped_column(Date)
    auto_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    # Free-form custom fields (JSON) as real platforms have; may hold PII.
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Which generator configuration made this account (for tests and picking).
    scenario: Mapped[str] = mapped_column(String(40), default="standard", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    parent: Mapped[Account | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Account]] = relationship(back_populates="parent")
    user_packages: Mapped[list[UserPackage]] = relationship(back_populates="account")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str] = mapped_column(String(50))
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="US")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


class Product(Base):
    """A package that can be sold: its period, list price and included minutes."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(20))  # one of PERIODS
    price: Mapped[Decimal] = mapped_column(Money)
    included_minutes: Mapped[int] = mapped_column(Integer, default=0)
    overage_rate: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("0"))
    # Provisioned service ("internet", "voice", "tv") or None for non-provisioned items.
    service: Mapped[str | None] = mapped_column(String(40))
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)


class PricePlan(Base):
    __tablename__ = "price_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")


class PricePlanPrice(Base):
    """A special price for one product under one price plan."""

    __tablename__ = "price_plan_prices"
    __table_args__ = (UniqueConstraint("price_plan_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    price_plan_id: Mapped[int] = mapped_column(ForeignKey("price_plans.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    price: Mapped[Decimal] = mapped_column(Money)


class Discount(Base):
    """Percentage or fixed discount; on one product's charges or, if product_id is None,
    on the invoice's charges as a whole."""

    __tablename__ = "discounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # "percent" | "fixed"
    value: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))


class AccountDiscount(Base):
    __tablename__ = "account_discounts"
    __table_args__ = (UniqueConstraint("account_id", "discount_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    discount_id: Mapped[int] = mapped_column(ForeignKey("discounts.id"))


class UserPackage(Base):
    """An account's subscription to a product."""

    __tablename__ = "user_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    # None once a one-off package has been billed.
    next_bill_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    provisioned: Mapped[bool] = mapped_column(Boolean, default=True)

    account: Mapped[Account] = relationship(back_populates="user_packages")
    product: Mapped[Product] = relationship()


class UsageRecord(Base):
    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    destination: Mapped[str] = mapped_column(String(50), default="")
    # Set when a bill run rated this record; rated records are never rated again.
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), index=True)


class MinuteBucket(Base):
    """Included minutes of one pool (a parent and its children) for one billing period."""

    __tablename__ = "minute_buckets"
    __table_args__ = (UniqueConstraint("account_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    included_minutes: Mapped[int] = mapped_column(Integer)
    used_minutes: Mapped[int] = mapped_column(Integer, default=0)
    overage_minutes: Mapped[int] = mapped_column(Integer, default=0)


class BillRun(Base):
    __tablename__ = "bill_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[dt.date] = mapped_column(Date, index=True)
    release: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accounts_billed: Mapped[int] = mapped_column(Integer, default=0)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), index=True)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount_total: Mapped[Decimal] = mapped_column(Money)
    tax_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), default="open")
    emailed_to: Mapped[str | None] = mapped_column(String(200))
    emailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Transaction(Base):
    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    user_package_id: Mapped[int | None] = mapped_column(ForeignKey("user_packages.id"))
    kind: Mapped[str] = mapped_column(String(20))  # one of TRANSACTION_KINDS
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(300))
    posted_on: Mapped[dt.date] = mapped_column(Date)
    # Charges record the service period they pay for.
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PaymentProcessor(Base):
    __tablename__ = "payment_processors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "card" | "echeck"
    gateway_url: Mapped[str] = mapped_column(String(300))
    merchant_id: Mapped[str] = mapped_column(String(100))
    api_key: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "card" | "echeck"
    holder_name: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(100))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_expiry: Mapped[str | None] = mapped_column(String(7))
    bank_routing: Mapped[str | None] = mapped_column(String(20))
    bank_account_masked: Mapped[str | None] = mapped_column(String(30))
    is_default: Mapped[bool] = mapped_column(Boolean, default=True)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    processor_id: Mapped[int] = mapped_column(ForeignKey("payment_processors.id"))
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))  # approved | declined | failed | error
    gateway_ref: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(20), default="autopay")  # autopay|portal|admin
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ProvisioningConfig(Base):
    """Where each service is provisioned: an external HTTP endpoint per service."""

    __tablename__ = "provisioning_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(40), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    username: Mapped[str] = mapped_column(String(100))
    password: Mapped[str] = mapped_column(String(200))


class ProvisioningRequest(Base):
    __tablename__ = "provisioning_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_package_id: Mapped[int | None] = mapped_column(ForeignKey("user_packages.id"))
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"))
    action: Mapped[str] = mapped_column(String(20))  # "activate" | "suspend"
    service: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # "sent" | "failed"
    response_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class MailConfig(Base):
    __tablename__ = "mail_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    smtp_host: Mapped[str] = mapped_column(String(200))
    smtp_port: Mapped[int] = mapped_column(Integer)
    from_address: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(100))
    password: Mapped[str | None] = mapped_column(String(200))


class BillingSetting(Base):
    """Key/value billing configuration (tax rate, grace days, …): what golive diffs
    against production before a bill run."""

    __tablename__ = "billing_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class EventLog(Base):
    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    level: Mapped[str] = mapped_column(String(10))  # INFO | WARNING | ERROR
    source: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"))


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Permission(Base):
    __tablename__ = "permissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(String(200))


class RolePermission(Base):
    __tablename__ = "role_permissions"
    __table_args__ = (UniqueConstraint("role_id", "permission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    permission_id: Mapped[int] = mapped_column(ForeignKey("permissions.id"))


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    assigned_to: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PortalUser(Base):
    __tablename__ = "portal_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "usage" | "accounts"
    filename: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line": 7, "error": "minutes: not a whole number: 'x'"}, ...]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class CustomAction(Base):
    """Registry of extension actions (the platform's 'custom code')."""

    __tablename__ = "custom_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    hook: Mapped[str] = mapped_column(String(40))  # e.g. "after_invoice"
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BillRunRequest(Base):
    """A bill run asked of the billing service; the service picks these up in order."""

    __tablename__ = "bill_run_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[dt.date] = mapped_column(Date)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # pending | running | done | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"))
    message: Mapped[str] = mapped_column(String(300), default="")
