"""What production sells: providers, plans and metered features (fixed, not random).

Four providers in three currencies, each set up differently the way silver allows: the invoice
flow and the proforma flow, plans billed before the cycle (prebill) and after it, trial cycles
kept whole or split per interval, monthly, quarterly, yearly, weekly and bi-weekly plans, metered
features with included units (some with their own allowance during the trial), one plan that
waits an hour after the cycle starts (``generate_after``). Customers are tied to a region, and
a region to the providers of its currency, because silver cannot issue a document whose
currency differs from the customer's enforced currency (no exchange rates configured).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ProviderSpec:
    key: str
    name: str
    company: str
    currency: str
    country: str
    city: str
    flow: str  # invoice | proforma
    invoice_series: str
    invoice_start: int
    proforma_series: str
    proforma_start: int
    prebill_plan: bool = True
    generate_documents_on_trial_end: bool = True
    separate_cycles_during_trial: bool = False


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    unit: str
    price: str  # per unit
    included: str  # per interval
    included_during_trial: str | None = None


@dataclass(frozen=True)
class PlanSpec:
    code: str  # the plan's product code
    provider: str  # ProviderSpec.key
    name: str
    interval: str  # day | week | month | year
    interval_count: int
    amount: str
    trial_days: int | None = None
    generate_after: int = 0
    features: tuple[FeatureSpec, ...] = ()

    @property
    def price(self) -> Decimal:
        return Decimal(self.amount)


PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec("northwind", "Northwind Telecom", "Northwind Telecom Inc.", "USD", "US",
                 "Portland", "invoice", "NWT", 1001, "NWP", 1),
    ProviderSpec("pacific", "Pacific Data", "Pacific Data Co.", "USD", "US", "Seattle",
                 "proforma", "PDI", 1, "PDP", 500, prebill_plan=False),
    ProviderSpec("eurolink", "Eurolink Networks", "Eurolink Networks GmbH", "EUR", "DE",
                 "Hamburg", "invoice", "EUL", 20261, "EUP", 1,
                 generate_documents_on_trial_end=False, separate_cycles_during_trial=True),
    ProviderSpec("albion", "Albion Hosting", "Albion Hosting Ltd", "GBP", "GB", "Leeds",
                 "invoice", "ALB", 1, "ALP", 1),
)

PLANS: tuple[PlanSpec, ...] = (
    # Northwind Telecom (USD, invoices, plan billed at the start of the cycle)
    PlanSpec("NW-FIBER-100", "northwind", "Fiber 100", "month", 1, "39.99",
             features=(FeatureSpec("Data overage", "GB", "0.10", "500"),)),
    PlanSpec("NW-FIBER-1000", "northwind", "Fiber 1000", "month", 1, "79.00",
             features=(FeatureSpec("Data overage", "GB", "0.05", "2000"),)),
    PlanSpec("NW-VOICE", "northwind", "Voice Unlimited", "month", 1, "19.99", trial_days=14,
             features=(FeatureSpec("International minutes", "min", "0.12", "60", "30"),)),
    PlanSpec("NW-FIBER-1000-Y", "northwind", "Fiber 1000 Annual", "year", 1, "799.00"),
    PlanSpec("NW-HOTSPOT-W", "northwind", "Hotspot Weekly", "week", 1, "4.99",
             features=(FeatureSpec("Hotspot data", "GB", "0.25", "10"),)),
    # Pacific Data (USD, proformas, plan billed after the cycle ends)
    PlanSpec("PD-COLO-1U", "pacific", "Colocation 1U", "month", 1, "120.00",
             features=(FeatureSpec("Power", "kWh", "0.18", "150"),
                       FeatureSpec("Bandwidth", "TB", "8.00", "5"))),
    PlanSpec("PD-BACKUP-Q", "pacific", "Managed Backup", "month", 3, "270.00",
             features=(FeatureSpec("Backup storage", "TB", "12.00", "10"),)),
    PlanSpec("PD-SANDBOX-2W", "pacific", "Dev Sandbox", "week", 2, "15.00", trial_days=14,
             features=(FeatureSpec("Compute", "vCPU-h", "0.02", "200", "100"),)),
    # Eurolink Networks (EUR, invoices, trial cycles split per interval, no bill at trial end)
    PlanSpec("EU-VPS-S", "eurolink", "Cloud VPS S", "month", 1, "12.00",
             features=(FeatureSpec("vCPU hours", "h", "0.005", "720"),
                       FeatureSpec("Traffic", "GB", "0.01", "1000"))),
    PlanSpec("EU-VPS-L", "eurolink", "Cloud VPS L", "month", 1, "48.00", trial_days=30,
             features=(FeatureSpec("vCPU hours", "h", "0.004", "2880", "1440"),
                       FeatureSpec("Traffic", "GB", "0.008", "4000"))),
    PlanSpec("EU-OBJ", "eurolink", "Object Storage", "month", 1, "5.00", generate_after=3600,
             features=(FeatureSpec("Storage", "GB-month", "0.02", "250"),)),
    PlanSpec("EU-BACKUP-Y", "eurolink", "Backup Yearly", "year", 1, "99.00"),
    PlanSpec("EU-SUPPORT-Q", "eurolink", "Support Quarterly", "month", 3, "150.00"),
    # Albion Hosting (GBP, invoices)
    PlanSpec("AL-WEB", "albion", "Web Hosting", "month", 1, "9.50",
             features=(FeatureSpec("Emails sent", "k-mails", "0.40", "10"),)),
    PlanSpec("AL-WP", "albion", "Managed WordPress", "month", 1, "29.00", trial_days=7,
             features=(FeatureSpec("Visits", "k-visits", "0.15", "25", "25"),)),
    PlanSpec("AL-DOMAIN-Y", "albion", "Domain Yearly", "year", 1, "12.00"),
    PlanSpec("AL-SMS-W", "albion", "SMS Weekly Bundle", "week", 1, "3.00",
             features=(FeatureSpec("SMS", "sms", "0.045", "100"),)),
)


@dataclass(frozen=True)
class Region:
    key: str
    currency: str
    providers: tuple[str, ...]
    share: float  # of all customers
    locales: tuple[tuple[str, str, str | None, str | None], ...]  # (faker locale, country,
    #                                                               tax name, tax percent)


REGIONS: tuple[Region, ...] = (
    Region("us", "USD", ("northwind", "pacific"), 0.5,
           (("en_US", "US", None, None), ("en_US", "US", "Sales tax", "7.25"),
            ("en_US", "US", "Sales tax", "8.88"))),
    Region("eu", "EUR", ("eurolink",), 0.35,
           (("de_DE", "DE", "VAT", "19.00"), ("fr_FR", "FR", "VAT", "20.00"),
            ("nl_NL", "NL", "VAT", "21.00"), ("de_AT", "AT", "VAT", "20.00"))),
    Region("uk", "GBP", ("albion",), 0.15, (("en_GB", "GB", "VAT", "20.00"),)),
)


def plan_weights(provider: str) -> list[tuple[PlanSpec, int]]:
    """How popular each of a provider's plans is (monthly plans dominate, as they do)."""
    weights = {"month": 10, "year": 3, "week": 3}
    out = []
    for plan in PLANS:
        if plan.provider != provider:
            continue
        w = weights[plan.interval]
        if plan.interval == "month" and plan.interval_count == 3:
            w = 3
        out.append((plan, w))
    return out
