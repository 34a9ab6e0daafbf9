"""The admin portal: staff pages, each gated by one permission on the server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from demo.models import (
    Account,
    BillRun,
    Contact,
    EventLog,
    Invoice,
    PaymentMethod,
    Permission,
    Product,
    Role,
    RolePermission,
    StaffUser,
    Ticket,
    Transaction,
    UserPackage,
    WorkOrder,
)
from demo.security import verify_password
from demo.web import forms, queries
from demo.web.access import ADMIN_LOGIN, safe_next, staff_required
from demo.web.context import Ctx, Routes
from demo.web.forms import FormError
from demo.web.payment import take_payment

routes = Routes()

TICKET_STATUSES = ("open", "pending", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
WORK_ORDER_STATUSES = ("open", "scheduled", "in_progress", "done", "cancelled")
LEVELS = ("INFO", "WARNING", "ERROR")
LIST_LIMIT = 200


def _account(ctx: Ctx, number: str) -> Account:
    account = queries.account_by_number(ctx.db, number)
    if account is None:
        raise NotFound()
    return account


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _log(ctx: Ctx, message: str, account_id: int | None = None) -> None:
    who = ctx.staff.username if ctx.staff else "?"
    ctx.db.add(
        EventLog(at=_now(), level="INFO", source="admin", message=f"{who}: {message}",
                 account_id=account_id)
    )


# --- login ---------------------------------------------------------------------------


@routes.route("/admin/login", methods=("GET", "POST"))
def login(ctx: Ctx) -> Response:
    error = None
    if ctx.request.method == "POST":
        username = ctx.request.form.get("username", "").strip()
        password = ctx.request.form.get("password", "")
        user = ctx.db.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is not None and user.active and verify_password(password, user.password_hash):
            ctx.session["staff_id"] = user.id
            return ctx.redirect(safe_next(ctx.request.args.get("next"), "/admin/"))
        error = "Unknown user or wrong password"
    status = 401 if error else 200
    return ctx.render("admin/login.html", status=status, error=error)


@routes.route("/admin/logout", methods=("GET", "POST"))
def logout(ctx: Ctx) -> Response:
    ctx.session.pop("staff_id", None)
    return ctx.redirect(ADMIN_LOGIN)


@routes.route("/admin/")
@staff_required()
def dashboard(ctx: Ctx) -> Response:
    stats = {
        "accounts": ctx.db.scalar(select(func.count(Account.id))),
        "open_tickets": ctx.db.scalar(
            select(func.count(Ticket.id)).where(Ticket.status != "closed")
        ),
        "errors": ctx.db.scalar(select(func.count(EventLog.id)).where(EventLog.level == "ERROR")),
    }
    last_run = ctx.db.scalar(select(BillRun).order_by(BillRun.id.desc()).limit(1))
    return ctx.render("admin/dashboard.html", stats=stats, last_run=last_run)


# --- accounts ------------------------------------------------------------------------


@routes.route("/admin/accounts")
@staff_required("accounts.view")
def accounts(ctx: Ctx) -> Response:
    q = ctx.request.args.get("q", "")
    results = queries.search_accounts(ctx.db, q) if q.strip() else []
    return ctx.render("admin/accounts.html", q=q, results=results)


@routes.route("/admin/accounts/<number>")
@staff_required("accounts.view")
def account(ctx: Ctx, number: str) -> Response:
    return _account_page(ctx, _account(ctx, number))


def _account_page(ctx: Ctx, acct: Account, status: int = 200, **extra: object) -> Response:
    db = ctx.db
    packages = db.execute(
        select(UserPackage, Product)
        .join(Product, Product.id == UserPackage.product_id)
        .where(UserPackage.account_id == acct.id)
        .order_by(UserPackage.id)
    ).all()
    return ctx.render(
        "admin/account.html",
        status=status,
        account=acct,
        contacts=list(db.scalars(select(Contact).where(Contact.account_id == acct.id))),
        packages=packages,
        children=list(db.scalars(select(Account).where(Account.parent_id == acct.id))),
        transactions=list(
            db.scalars(
                select(Transaction)
                .where(Transaction.account_id == acct.id)
                .order_by(Transaction.posted_on.desc(), Transaction.id.desc())
                .limit(LIST_LIMIT)
            )
        ),
        invoices=list(
            db.scalars(
                select(Invoice).where(Invoice.account_id == acct.id).order_by(Invoice.id.desc())
            )
        ),
        next_bill_date=queries.next_bill_date(db, acct.id),
        adjustments=ctx.release.at_least("1.1") and ctx.can("adjustments.create"),
        **extra,
    )


@routes.route("/admin/accounts/new", methods=("GET", "POST"))
@staff_required("accounts.add")
def account_new(ctx: Ctx) -> Response:
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/account_new.html", form=form)
    try:
        name = forms.text(form, "name", "Account name")
        bill_day = forms.integer(form, "bill_day", "Bill day", 1, 31)
        parent_number = forms.optional_text(form, "parent")
        parent = None
        if parent_number:
            parent = queries.account_by_number(ctx.db, parent_number)
            if parent is None:
                raise FormError(f"no parent account {parent_number!r}")
        contact = _contact_fields(form)
    except FormError as exc:
        return ctx.render("admin/account_new.html", status=400, form=form, error=str(exc))
    acct = Account(
        number=queries.next_account_number(ctx.db),
        name=name,
        parent_id=parent.id if parent else None,
        status="active",
        bill_day=bill_day,
        balance=Decimal("0.00"),
        created_at=_now(),
        scenario="admin",
    )
    ctx.db.add(acct)
    ctx.db.flush()
    ctx.db.add(Contact(account_id=acct.id, is_primary=True, **contact))
    _log(ctx, f"added account {acct.number}", acct.id)
    ctx.db.commit()
    ctx.flash(f"Account {acct.number} created")
    return ctx.redirect(f"/admin/accounts/{acct.number}")


def _contact_fields(form: forms.MultiDict[str, str]) -> dict[str, str]:
    return {
        "first_name": forms.text(form, "first_name", "First name", 100),
        "last_name": forms.text(form, "last_name", "Last name", 100),
        "email": forms.email(form),
        "phone": forms.text(form, "phone", "Phone", 50),
        "street": forms.text(form, "street", "Street", 200),
        "city": forms.text(form, "city", "City", 100),
        "postcode": forms.text(form, "postcode", "Postcode", 20),
        "country": (forms.optional_text(form, "country", 2) or "US").upper(),
    }


@routes.route("/admin/accounts/<number>/packages/new", methods=("GET", "POST"))
@staff_required("packages.add")
def package_new(ctx: Ctx, number: str) -> Response:
    acct = _account(ctx, number)
    products = queries.catalog(ctx.db)
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/package_new.html", account=acct, products=products, form=form)
    try:
        product = ctx.db.get(Product, forms.integer(form, "product_id", "Product", 1, 2**31 - 1))
        if product is None:
            raise FormError("no such product")
        start = forms.optional_date(form, "start_date", dt.date.today())
        quantity = forms.integer(form, "quantity", "Quantity", 1, 1000) if form.get(
            "quantity", "").strip() else 1
    except FormError as exc:
        return ctx.render("admin/package_new.html", status=400, account=acct,
                          products=products, form=form, error=str(exc))
    queries.add_package(ctx.db, acct, product, start, quantity)
    _log(ctx, f"added package {product.code} to {acct.number}", acct.id)
    ctx.db.commit()
    ctx.flash(f"Package {product.name} added")
    return ctx.redirect(f"/admin/accounts/{acct.number}")


@routes.route("/admin/accounts/<number>/adjustment", methods=("GET", "POST"))
@staff_required("adjustments.create", since="1.1")
def adjustment(ctx: Ctx, number: str) -> Response:
    """Release 1.1: a credit adjustment lowers the balance now and shows on the next invoice."""
    acct = _account(ctx, number)
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/adjustment.html", account=acct, form=form)
    try:
        value = forms.amount(form)
        reason = forms.text(form, "reason", "Reason", 250)
    except FormError as exc:
        return ctx.render("admin/adjustment.html", status=400, account=acct, form=form,
                          error=str(exc))
    today = dt.date.today()
    ctx.db.add(
        Transaction(account_id=acct.id, kind="adjustment", amount=-value,
                    description=f"Credit adjustment: {reason}", posted_on=today,
                    created_at=_now())
    )
    acct.balance = Decimal(acct.balance) - value
    _log(ctx, f"credit adjustment {value} on {acct.number}", acct.id)
    ctx.db.commit()
    ctx.flash(f"Credit adjustment of {value} posted")
    return ctx.redirect(f"/admin/accounts/{acct.number}")


@routes.route("/admin/accounts/<number>/payment", methods=("GET", "POST"))
@staff_required("payments.process")
def payment(ctx: Ctx, number: str) -> Response:
    acct = _account(ctx, number)
    methods = list(ctx.db.scalars(select(PaymentMethod).where(PaymentMethod.account_id == acct.id)))
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/payment.html", account=acct, methods=methods, form=form)
    method_id = None
    card = None
    try:
        value = forms.amount(form)
        if form.get("method_id", "").strip():
            method_id = forms.integer(form, "method_id", "Payment method", 1, 2**31 - 1)
            if method_id not in {m.id for m in methods}:
                raise FormError("that payment method does not belong to this account")
        else:
            card = forms.card_number(form)
    except FormError as exc:
        return ctx.render("admin/payment.html", status=400, account=acct, methods=methods,
                          form=form, error=str(exc))
    outcome = take_payment(ctx, acct, value, "admin", method_id=method_id, card_number=card)
    ctx.db.refresh(acct)
    return ctx.render("admin/payment.html", status=outcome.http_status, account=acct,
                      methods=methods, form={}, outcome=outcome)


# --- tickets and work orders ---------------------------------------------------------


@routes.route("/admin/tickets")
@staff_required("tickets.create")
def tickets(ctx: Ctx) -> Response:
    status = ctx.request.args.get("status", "open")
    stmt = (
        select(Ticket, Account.number)
        .join(Account, Account.id == Ticket.account_id)
        .order_by(Ticket.id.desc())
        .limit(LIST_LIMIT)
    )
    if status in TICKET_STATUSES:
        stmt = stmt.where(Ticket.status == status)
    return ctx.render("admin/tickets.html", rows=ctx.db.execute(stmt).all(), shown=status,
                      statuses=TICKET_STATUSES)


@routes.route("/admin/tickets/new", methods=("GET", "POST"))
@staff_required("tickets.create")
def ticket_new(ctx: Ctx) -> Response:
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/ticket_new.html", form=form, priorities=PRIORITIES,
                          account=ctx.request.args.get("account", ""))
    try:
        number = forms.text(form, "account", "Account number", 20)
        acct = queries.account_by_number(ctx.db, number)
        if acct is None:
            raise FormError(f"no account {number!r}")
        subject = forms.text(form, "subject", "Subject")
        body = forms.text(form, "body", "Description", 5000)
        priority = forms.choice(form, "priority", "Priority", PRIORITIES)
    except FormError as exc:
        return ctx.render("admin/ticket_new.html", status=400, form=form, priorities=PRIORITIES,
                          account=form.get("account", ""), error=str(exc))
    now = _now()
    ticket = Ticket(account_id=acct.id, subject=subject, body=body, status="open",
                    priority=priority, created_by=ctx.staff.username if ctx.staff else "?",
                    created_at=now, updated_at=now)
    ctx.db.add(ticket)
    ctx.db.commit()
    ctx.flash(f"Ticket #{ticket.id} created")
    return ctx.redirect(f"/admin/tickets?status=all&created={ticket.id}")


@routes.route("/admin/tickets/<int:ticket_id>", methods=("GET", "POST"))
@staff_required("tickets.edit")
def ticket_edit(ctx: Ctx, ticket_id: int) -> Response:
    ticket = ctx.db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound()
    acct = ctx.db.get(Account, ticket.account_id)
    form = ctx.request.form
    values: dict[str, Any] = {"ticket": ticket, "account": acct,
                              "statuses": TICKET_STATUSES, "priorities": PRIORITIES}
    if ctx.request.method == "GET":
        return ctx.render("admin/ticket_edit.html", **values)
    try:
        subject = forms.text(form, "subject", "Subject")
        body = forms.text(form, "body", "Description", 5000)
        status = forms.choice(form, "status", "Status", TICKET_STATUSES)
        priority = forms.choice(form, "priority", "Priority", PRIORITIES)
    except FormError as exc:
        return ctx.render("admin/ticket_edit.html", status=400, error=str(exc), **values)
    ticket.subject, ticket.body, ticket.status, ticket.priority = subject, body, status, priority
    ticket.updated_at = _now()
    ctx.db.commit()
    ctx.flash(f"Ticket #{ticket.id} saved")
    return ctx.redirect(f"/admin/tickets/{ticket.id}")


@routes.route("/admin/tickets/<int:ticket_id>/close", methods=("POST",))
@staff_required("tickets.edit")
def ticket_close(ctx: Ctx, ticket_id: int) -> Response:
    ticket = ctx.db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound()
    ticket.status = "closed"
    ticket.updated_at = _now()
    ctx.db.commit()
    ctx.flash(f"Ticket #{ticket.id} closed")
    return ctx.redirect(f"/admin/tickets/{ticket.id}")


@routes.route("/admin/workorders")
@staff_required("workorders.manage")
def workorders(ctx: Ctx) -> Response:
    rows = ctx.db.execute(
        select(WorkOrder, Account.number)
        .join(Account, Account.id == WorkOrder.account_id)
        .order_by(WorkOrder.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return ctx.render("admin/workorders.html", rows=rows)


def _work_order_fields(ctx: Ctx, form: forms.MultiDict[str, str]) -> dict[str, object]:
    ticket_raw = form.get("ticket_id", "").strip()
    ticket_id = forms.integer(form, "ticket_id", "Ticket", 1, 2**31 - 1) if ticket_raw else None
    if ticket_id is not None and ctx.db.get(Ticket, ticket_id) is None:
        raise FormError(f"no ticket #{ticket_id}")
    return {
        "ticket_id": ticket_id,
        "description": forms.text(form, "description", "Description", 5000),
        "assigned_to": forms.optional_text(form, "assigned_to", 60) or None,
    }


@routes.route("/admin/workorders/new", methods=("GET", "POST"))
@staff_required("workorders.manage")
def workorder_new(ctx: Ctx) -> Response:
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/workorder_form.html", order=None, form=form,
                          statuses=WORK_ORDER_STATUSES)
    try:
        number = forms.text(form, "account", "Account number", 20)
        acct = queries.account_by_number(ctx.db, number)
        if acct is None:
            raise FormError(f"no account {number!r}")
        fields = _work_order_fields(ctx, form)
    except FormError as exc:
        return ctx.render("admin/workorder_form.html", status=400, order=None, form=form,
                          statuses=WORK_ORDER_STATUSES, error=str(exc))
    order = WorkOrder(account_id=acct.id, status="open", created_at=_now(), **fields)
    ctx.db.add(order)
    ctx.db.commit()
    ctx.flash(f"Work order #{order.id} created")
    return ctx.redirect(f"/admin/workorders/{order.id}")


@routes.route("/admin/workorders/<int:order_id>", methods=("GET", "POST"))
@staff_required("workorders.manage")
def workorder_edit(ctx: Ctx, order_id: int) -> Response:
    order = ctx.db.get(WorkOrder, order_id)
    if order is None:
        raise NotFound()
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("admin/workorder_form.html", order=order, form=form,
                          statuses=WORK_ORDER_STATUSES)
    try:
        fields = _work_order_fields(ctx, form)
        status = forms.choice(form, "status", "Status", WORK_ORDER_STATUSES)
    except FormError as exc:
        return ctx.render("admin/workorder_form.html", status=400, order=order, form=form,
                          statuses=WORK_ORDER_STATUSES, error=str(exc))
    for key, value in fields.items():
        setattr(order, key, value)
    order.status = status
    ctx.db.commit()
    ctx.flash(f"Work order #{order.id} saved")
    return ctx.redirect(f"/admin/workorders/{order.id}")


# --- event log and permissions -------------------------------------------------------


@routes.route("/admin/events")
@staff_required("eventlog.view")
def events(ctx: Ctx) -> Response:
    level = ctx.request.args.get("level", "").upper()
    stmt = select(EventLog).order_by(EventLog.at.desc(), EventLog.id.desc()).limit(LIST_LIMIT)
    if level in LEVELS:
        stmt = stmt.where(EventLog.level == level)
    return ctx.render("admin/events.html", rows=list(ctx.db.scalars(stmt)), level=level,
                      levels=LEVELS)


@routes.route("/admin/permissions")
@staff_required("permissions.view")
def permissions(ctx: Ctx) -> Response:
    roles = list(ctx.db.scalars(select(Role).order_by(Role.name)))
    perms = list(ctx.db.scalars(select(Permission).order_by(Permission.code)))
    granted = set(ctx.db.execute(select(RolePermission.role_id, RolePermission.permission_id)))
    return ctx.render("admin/permissions.html", roles=roles, perms=perms,
                      granted={(r, p) for r, p in granted})
