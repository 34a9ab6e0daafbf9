"""Reference data of a production-like database: products, price plans, discounts, the
roles/permissions/staff of release 1.0, processors, outbound configuration, settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from demo.generate.bulk import insert_many
from demo.generate.pools import Pools
from demo.models import Base


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    period: str
    price: str
    service: str | None = None
    minutes: int = 0
    overage: str = "0"
    taxable: bool = True


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("NET-100", "Fibre 100", "monthly", "39.99", "internet"),
    ProductSpec("NET-500", "Fibre 500", "monthly", "59.99", "internet"),
    ProductSpec("NET-1000", "Fibre 1000", "monthly", "79.99", "internet"),
    ProductSpec("VOICE-300", "Voice 300", "monthly", "14.99", "voice", 300, "0.0500"),
    ProductSpec("VOICE-1000", "Voice 1000", "monthly", "24.99", "voice", 1000, "0.0400"),
    ProductSpec("VOICE-FAMILY-1000", "Family Share 1000", "monthly", "34.99", "voice", 1000,
                "0.0500"),
    ProductSpec("VOICE-LINE", "Additional Voice Line", "monthly", "9.99", "voice"),
    ProductSpec("TV-BASIC", "TV Basic", "monthly", "19.99", "tv"),
    ProductSpec("TV-PREMIUM", "TV Premium", "monthly", "44.99", "tv"),
    ProductSpec("STATIC-IP", "Static IP address", "monthly", "5.00"),
    ProductSpec("ROUTER-RENT", "Router rental", "monthly", "4.00"),
    ProductSpec("SECURITY-Q", "Security Suite (quarterly)", "quarterly", "29.97"),
    ProductSpec("SPORTS-Q", "Sports Pack (quarterly)", "quarterly", "24.00", "tv"),
    ProductSpec("DOMAIN-Y", "Domain & Email (yearly)", "yearly", "49.00"),
    ProductSpec("NET-500-Y", "Fibre 500 (yearly prepaid)", "yearly", "599.00", "internet"),
    ProductSpec("SUPPORT-Y", "Premium Support (yearly)", "yearly", "99.00"),
    ProductSpec("INSTALL", "Installation", "one_off", "99.00"),
    ProductSpec("ROUTER", "Wi-Fi router", "one_off", "129.00"),
    ProductSpec("ACTIVATION", "Activation fee", "one_off", "25.00"),
    ProductSpec("DEPOSIT", "Equipment deposit (non-taxable)", "one_off", "50.00", taxable=False),
)

# name -> (description, {product code: special price})
PRICE_PLANS: dict[str, tuple[str, dict[str, str]]] = {
    "Standard": ("List prices", {}),
    "Senior": ("Seniors' plan", {"NET-100": "29.99", "VOICE-300": "9.99", "TV-BASIC": "14.99"}),
    "Business": ("Business plan", {"NET-1000": "69.99", "STATIC-IP": "2.50", "SUPPORT-Y": "79.00"}),
    "Employee": ("Staff plan", {"NET-500": "19.99", "TV-PREMIUM": "19.99"}),
}

# code -> (name, kind, value, product code or None for an invoice discount)
DISCOUNTS: dict[str, tuple[str, str, str, str | None]] = {
    "LOYAL10": ("Loyalty 10% on Fibre 500", "percent", "10.00", "NET-500"),
    "TVFIVE": ("$5 off TV Premium", "fixed", "5.00", "TV-PREMIUM"),
    "BUNDLE5": ("Bundle 5% off the invoice", "percent", "5.00", None),
    "WELCOME10": ("$10 off the invoice", "fixed", "10.00", None),
}

PERMISSIONS_1_0: dict[str, str] = {
    "accounts.view": "View accounts",
    "accounts.add": "Add accounts",
    "packages.add": "Add packages to accounts",
    "tickets.create": "Create tickets",
    "tickets.edit": "Edit tickets",
    "workorders.manage": "Manage work orders",
    "payments.process": "Process payments",
    "billing.run": "Run the bill run",
    "eventlog.view": "View the event log",
    "permissions.view": "View roles and permissions",
}

ROLES_1_0: dict[str, tuple[str, ...]] = {
    "admin": tuple(PERMISSIONS_1_0),
    "billing": ("accounts.view", "payments.process", "billing.run", "eventlog.view"),
    "support": ("accounts.view", "tickets.create", "tickets.edit", "workorders.manage",
                "eventlog.view"),
    "sales": ("accounts.view", "accounts.add", "packages.add", "tickets.create"),
}

BILLING_SETTINGS: dict[str, str] = {
    "tax_rate": "0.10",
    "payment_terms_days": "14",
    "suspend_after_days": "30",
    "usage_rate_default": "0.05",
    "currency": "USD",
}

PROVISIONING_URLS: dict[str, str] = {
    "internet": "https://provision.core.isp-billing.example/radius",
    "voice": "https://voice.switch.isp-billing.example/api",
    "tv": "https://iptv.headend.isp-billing.example/api",
}


@dataclass
class Catalog:
    """Ids and facts of the reference data that account builders need."""

    products: dict[str, int] = field(default_factory=dict)
    specs: dict[str, ProductSpec] = field(default_factory=dict)
    price_plans: dict[str, int] = field(default_factory=dict)
    special_prices: dict[str, dict[str, str]] = field(default_factory=dict)
    discounts: dict[str, int] = field(default_factory=dict)
    staff: list[str] = field(default_factory=list)


def _rows(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    insert_many(conn, Base.metadata.tables[table], rows)


def insert_catalog(conn: Connection, pools: Pools, password_hash: str) -> Catalog:
    """Insert all reference data and return the ids account builders refer to."""
    cat = Catalog()
    products = []
    for i, p in enumerate(PRODUCTS, start=1):
        cat.products[p.code] = i
        cat.specs[p.code] = p
        products.append({
            "id": i, "code": p.code, "name": p.name, "period": p.period,
            "price": Decimal(p.price), "included_minutes": p.minutes,
            "overage_rate": Decimal(p.overage), "service": p.service, "taxable": p.taxable,
        })
    _rows(conn, "products", products)

    plans: list[dict[str, Any]] = []
    prices: list[dict[str, Any]] = []
    for i, (name, (desc, specials)) in enumerate(PRICE_PLANS.items(), start=1):
        cat.price_plans[name] = i
        cat.special_prices[name] = specials
        plans.append({"id": i, "name": name, "description": desc})
        for code, price in specials.items():
            prices.append({"id": len(prices) + 1, "price_plan_id": i,
                           "product_id": cat.products[code], "price": Decimal(price)})
    _rows(conn, "price_plans", plans)
    _rows(conn, "price_plan_prices", prices)

    discounts = []
    for i, (code, (name, kind, value, product)) in enumerate(DISCOUNTS.items(), start=1):
        cat.discounts[code] = i
        discounts.append({"id": i, "code": code, "name": name, "kind": kind,
                          "value": Decimal(value),
                          "product_id": cat.products[product] if product else None})
    _rows(conn, "discounts", discounts)

    _insert_roles_and_staff(conn, pools, password_hash, cat)
    _insert_outbound(conn, pools)
    _rows(conn, "billing_settings", [{"key": k, "value": v} for k, v in BILLING_SETTINGS.items()])
    _rows(conn, "custom_actions", [{"id": 1, "name": "late_fee", "hook": "after_invoice",
                                    "enabled": True, "config": {"amount": "5.00"}}])
    return cat


def _insert_roles_and_staff(conn: Connection, pools: Pools, password_hash: str,
                            cat: Catalog) -> None:
    perm_ids = {code: i for i, code in enumerate(PERMISSIONS_1_0, start=1)}
    _rows(conn, "permissions", [{"id": i, "code": c, "description": PERMISSIONS_1_0[c]}
                                for c, i in perm_ids.items()])
    roles: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    staff: list[dict[str, Any]] = []
    for role_id, (role, perms) in enumerate(ROLES_1_0.items(), start=1):
        roles.append({"id": role_id, "name": role})
        for code in perms:
            grants.append({"id": len(grants) + 1, "role_id": role_id,
                           "permission_id": perm_ids[code]})
        first, last = pools.first(), pools.last()
        staff.append({"id": role_id, "username": role, "full_name": f"{first} {last}",
                      "email": pools.email(first, last).split("@")[0] + "@isp-billing.example",
                      "password_hash": password_hash, "role_id": role_id, "active": True})
        cat.staff.append(role)
    _rows(conn, "roles", roles)
    _rows(conn, "role_permissions", grants)
    _rows(conn, "staff_users", staff)


def _insert_outbound(conn: Connection, pools: Pools) -> None:
    _rows(conn, "payment_processors", [
        {"id": 1, "name": "CardPay", "kind": "card",
         "gateway_url": "https://gateway.cardpay.example/api",
         "merchant_id": "cardpay-merchant-0042", "api_key": f"ck_live_{pools.hex_token(16)}",
         "enabled": True},
        {"id": 2, "name": "ACH Direct", "kind": "echeck",
         "gateway_url": "https://ach.echeck-direct.example/api",
         "merchant_id": "achdirect-7731", "api_key": f"ach_live_{pools.hex_token(16)}",
         "enabled": True},
    ])
    _rows(conn, "provisioning_config", [
        {"id": i, "service": service, "url": url, "username": f"billing-{service}",
         "password": pools.hex_token(12)}
        for i, (service, url) in enumerate(PROVISIONING_URLS.items(), start=1)
    ])
    _rows(conn, "mail_config", [
        {"id": 1, "smtp_host": "smtp.mail.isp-billing.example", "smtp_port": 25,
         "from_address": "billing@isp-billing.example", "username": "billing",
         "password": pools.hex_token(12)}
    ])
