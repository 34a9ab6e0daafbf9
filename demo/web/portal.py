"""The customer portal: a customer sees and pays their own account, and new
customers sign up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from demo.models import Account, Contact, PortalUser, Product, Ticket, UserPackage
from demo.security import hash_password, verify_password
from demo.web import forms, queries
from demo.web.access import PORTAL_LOGIN, customer_required, safe_next
from demo.web.context import Ctx, Routes
from demo.web.forms import FormError
from demo.web.payment import take_payment

routes = Routes()

SIGNUP_ATTEMPTS = 5


def _account(ctx: Ctx) -> Account:
    assert ctx.portal_user is not None  # customer_required ran first
    account = ctx.db.get(Account, ctx.portal_user.account_id)
    assert account is not None  # portal_users.account_id is a foreign key
    return account


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@routes.route("/portal/login", methods=("GET", "POST"))
def login(ctx: Ctx) -> Response:
    error = None
    if ctx.request.method == "POST":
        login_name = ctx.request.form.get("login", "").strip()
        password = ctx.request.form.get("password", "")
        user = ctx.db.scalar(select(PortalUser).where(PortalUser.login == login_name))
        if user is not None and verify_password(password, user.password_hash):
            ctx.session["portal_user_id"] = user.id
            return ctx.redirect(safe_next(ctx.request.args.get("next"), "/portal/"))
        error = "Unknown account number or wrong password"
    return ctx.render("portal/login.html", status=401 if error else 200, error=error)


@routes.route("/portal/logout", methods=("GET", "POST"))
def logout(ctx: Ctx) -> Response:
    ctx.session.pop("portal_user_id", None)
    return ctx.redirect(PORTAL_LOGIN)


@routes.route("/portal/")
@customer_required
def home(ctx: Ctx) -> Response:
    account = _account(ctx)
    packages = ctx.db.execute(
        select(UserPackage, Product)
        .join(Product, Product.id == UserPackage.product_id)
        .where(UserPackage.account_id == account.id, UserPackage.status == "active")
        .order_by(UserPackage.id)
    ).all()
    return ctx.render(
        "portal/account.html",
        account=account,
        balance=queries.portal_balance(ctx.db, account, ctx.release),
        next_bill_date=queries.next_bill_date(ctx.db, account.id),
        packages=packages,
    )


@routes.route("/portal/usage")
@customer_required
def usage(ctx: Ctx) -> Response:
    account = _account(ctx)
    owner = queries.pool_owner(ctx.db, account)
    return ctx.render(
        "portal/usage.html",
        account=account,
        days=queries.usage_by_day(ctx.db, account.id),
        owner=owner,
        bucket=queries.current_bucket(ctx.db, owner),
    )


@routes.route("/portal/contact", methods=("GET", "POST"))
@customer_required
def contact(ctx: Ctx) -> Response:
    account = _account(ctx)
    current = queries.primary_contact(ctx.db, account.id)
    if ctx.request.method == "GET":
        return ctx.render("portal/contact.html", account=account, contact=current, form=None)
    form = ctx.request.form
    try:
        fields = {
            "first_name": forms.text(form, "first_name", "First name", 100),
            "last_name": forms.text(form, "last_name", "Last name", 100),
            "email": forms.email(form),
            "phone": forms.text(form, "phone", "Phone", 50),
            "street": forms.text(form, "street", "Street", 200),
            "city": forms.text(form, "city", "City", 100),
            "postcode": forms.text(form, "postcode", "Postcode", 20),
        }
    except FormError as exc:
        return ctx.render("portal/contact.html", status=400, account=account, contact=current,
                          form=form, error=str(exc))
    if current is None:
        current = Contact(account_id=account.id, is_primary=True, country="US")
        ctx.db.add(current)
    for key, value in fields.items():
        setattr(current, key, value)
    ctx.db.commit()
    ctx.flash("Contact details saved")
    return ctx.redirect("/portal/contact")


@routes.route("/portal/tickets", methods=("GET", "POST"))
@customer_required
def tickets(ctx: Ctx) -> Response:
    account = _account(ctx)
    error = None
    status = 200
    form = ctx.request.form
    if ctx.request.method == "POST":
        try:
            subject = forms.text(form, "subject", "Subject")
            body = forms.text(form, "body", "Description", 5000)
        except FormError as exc:
            error, status = str(exc), 400
        else:
            now = _now()
            ticket = Ticket(account_id=account.id, subject=subject, body=body, status="open",
                            priority="normal", created_by=f"portal:{account.number}",
                            created_at=now, updated_at=now)
            ctx.db.add(ticket)
            ctx.db.commit()
            ctx.flash(f"Ticket #{ticket.id} created")
            return ctx.redirect("/portal/tickets")
    rows = list(
        ctx.db.scalars(
            select(Ticket).where(Ticket.account_id == account.id).order_by(Ticket.id.desc())
        )
    )
    return ctx.render("portal/tickets.html", status=status, account=account, tickets=rows,
                      form=form, error=error)


@routes.route("/portal/pay", methods=("GET", "POST"))
@customer_required
def pay(ctx: Ctx) -> Response:
    account = _account(ctx)
    balance = queries.portal_balance(ctx.db, account, ctx.release)
    if ctx.request.method == "GET":
        return ctx.render("portal/pay.html", account=account, balance=balance, form={})
    form = ctx.request.form
    try:
        value = forms.amount(form)
        card = forms.card_number(form)
    except FormError as exc:
        return ctx.render("portal/pay.html", status=400, account=account, balance=balance,
                          form=form, error=str(exc))
    outcome = take_payment(ctx, account, value, "portal", card_number=card)
    ctx.db.refresh(account)
    balance = queries.portal_balance(ctx.db, account, ctx.release)
    return ctx.render("portal/pay.html", status=outcome.http_status, account=account,
                      balance=balance, form={}, outcome=outcome)


@routes.route("/portal/signup", methods=("GET", "POST"))
def signup(ctx: Ctx) -> Response:
    products = queries.catalog(ctx.db)
    form = ctx.request.form
    if ctx.request.method == "GET":
        return ctx.render("portal/signup.html", products=products, form=form)
    try:
        first = forms.text(form, "first_name", "First name", 100)
        last = forms.text(form, "last_name", "Last name", 100)
        fields = {
            "email": forms.email(form),
            "phone": forms.text(form, "phone", "Phone", 50),
            "street": forms.text(form, "street", "Street", 200),
            "city": forms.text(form, "city", "City", 100),
            "postcode": forms.text(form, "postcode", "Postcode", 20),
        }
        product = ctx.db.get(Product, forms.integer(form, "product_id", "Product", 1, 2**31 - 1))
        if product is None:
            raise FormError("please choose a package from the catalog")
        start = forms.optional_date(form, "start_date", dt.date.today())
        password = form.get("password", "")
        if len(password) < 4:
            raise FormError("password must be at least 4 characters")
    except FormError as exc:
        return ctx.render("portal/signup.html", status=400, products=products, form=form,
                          error=str(exc))
    password_hash = hash_password(password)
    for _ in range(SIGNUP_ATTEMPTS):  # two signups at once may pick the same number
        account = Account(
            number=queries.next_account_number(ctx.db),
            name=f"{first} {last}",
            status="active",
            bill_day=start.day,
            balance=Decimal("0.00"),
            created_at=_now(),
            scenario="signup",
        )
        ctx.db.add(account)
        try:
            ctx.db.flush()
        except IntegrityError:
            ctx.db.rollback()
            continue
        break
    else:
        return ctx.render("portal/signup.html", status=503, products=products, form=form,
                          error="signup is busy, please try again")
    ctx.db.add(Contact(account_id=account.id, first_name=first, last_name=last, country="US",
                       is_primary=True, **fields))
    queries.add_package(ctx.db, account, product, start)
    ctx.db.add(PortalUser(account_id=account.id, login=account.number,
                          password_hash=password_hash))
    ctx.db.commit()
    return ctx.render("portal/signup_done.html", account=account, product=product, start=start)
