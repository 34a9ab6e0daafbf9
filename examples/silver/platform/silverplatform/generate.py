"""Production's database the morning before the bill run: customers, subscriptions, usage, history.

Runs on production's release (0.10.0) inside Django, on an empty migrated database. Seeded and
fast: one random stream, Faker only for small pools (see ``pools``), rows written with
``bulk_create`` and explicit ids, so the same seed, customer count and bill-run date give the same
rows on SQLite and PostgreSQL. The history is made in two steps (see ``dates``): a cut-over
billing log per older subscription, computed with silver's own cycle arithmetic, then
production's previous bill run executed for real by silver (clock set to that morning), some of
its documents paid or cancelled, then the month's cancellations. What the bill run under test
will see is therefore what silver itself left behind, not a guess of it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from silver.documents_generator import DocumentsGenerator
from silver.models import (
    PDF,
    BillingDocumentBase,
    BillingLog,
    Customer,
    MeteredFeature,
    MeteredFeatureUnitsLog,
    Plan,
    ProductCode,
    Provider,
    Subscription,
)

from silverplatform import catalogue, dates, pools
from silverplatform.catalogue import PlanSpec, Region

ONE_DAY = dt.timedelta(days=1)
BATCH = 500

# what happens to a subscription, and how often
OLD, NEW, CANCEL_END, CANCEL_NOW, CANCEL_EARLY, ENDED, INACTIVE = (
    "old", "new", "cancel_end", "cancel_now", "cancel_early", "ended", "inactive")
LIFECYCLES = ((OLD, 60), (NEW, 14), (CANCEL_END, 5), (CANCEL_NOW, 5), (CANCEL_EARLY, 4),
              (ENDED, 8), (INACTIVE, 4))
SUBS_PER_CUSTOMER = ((1, 55), (2, 28), (3, 12), (4, 4), (5, 1))
# back-office roles (Django groups) and the silver permissions each holds
_VIEW = ["view_customer", "view_subscription", "view_plan", "view_invoice", "view_proforma",
         "view_billingdocumentbase", "view_transaction"]
ROLES = {
    "Billing": [*_VIEW, "change_invoice", "change_proforma", "add_invoice", "add_proforma",
                "change_subscription", "add_transaction", "change_transaction"],
    "Support": ["view_customer", "view_subscription", "view_invoice", "change_customer"],
    "Auditor": [],
}


@dataclass
class Options:
    customers: int
    seed: int
    bill_date: dt.date


@dataclass
class Summary:
    options: Options
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """silver reads ``timezone.now()`` for issue dates, ended_at and created_at: replay history
    at the time it happened, and give PDFs seeded uuids so the rows come out the same."""
    real_now = timezone.now
    pdf_uuid = PDF._meta.get_field("uuid")
    real_default = pdf_uuid.default
    rng = random.Random(moment.toordinal())
    timezone.now = lambda: moment  # type: ignore[assignment]
    pdf_uuid.default = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    pdf_uuid.__dict__.pop("_get_default", None)
    try:
        yield
    finally:
        timezone.now = real_now  # type: ignore[assignment]
        pdf_uuid.default = real_default
        pdf_uuid.__dict__.pop("_get_default", None)


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...] | list[Any]) -> Any:
    values = [c for c, _ in choices]
    weights = [w for _, w in choices]
    return rng.choices(values, weights)[0]


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _at(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


class Generator:
    """Builds the rows; ``run`` writes them."""

    def __init__(self, options: Options) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.cutover = dates.cutover(options.bill_date)
        self.previous = dates.previous(options.bill_date)
        self.last_day = options.bill_date - ONE_DAY
        self.summary = Summary(options)
        self.providers: dict[str, Provider] = {}
        self.plans: dict[str, Plan] = {}
        self.plan_features: dict[str, list[MeteredFeature]] = {}
        locales = [loc for r in catalogue.REGIONS for loc, *_ in r.locales]
        self.pools = pools.pools(locales, options.seed)

    # --- timing ---------------------------------------------------------------------------
    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self.summary.seconds[name] = round(time.perf_counter() - t0, 2)

    def run(self) -> Summary:
        with self.step("catalogue"), transaction.atomic():
            self.write_catalogue()
        with self.step("customers"), transaction.atomic():
            later = self.customers()
            self.reset_sequences()
        with self.step("previous_bill_run"), clock(_at(self.previous)), transaction.atomic():
            DocumentsGenerator().generate(billing_date=self.previous)
        with self.step("after_previous"), transaction.atomic():
            with clock(_at(self.previous + dt.timedelta(days=12), 10)):
                self.settle_previous_documents()
            self.apply_cancellations(later)
            self.staff()
            self.reset_sequences()
        for model in (Provider, Plan, MeteredFeature, Customer, Subscription,
                      MeteredFeatureUnitsLog, BillingLog, BillingDocumentBase):
            manager = getattr(model, "all_objects", model.objects)
            self.summary.rows[model._meta.db_table] = manager.count()
        return self.summary

    # --- catalogue ------------------------------------------------------------------------
    def write_catalogue(self) -> None:
        for i, ps in enumerate(catalogue.PROVIDERS, start=1):
            self.providers[ps.key] = Provider(
                id=i, name=ps.name, company=ps.company, country=ps.country,
                city=ps.city, address_1=f"{100 + 7 * i} Harbour Street",
                zip_code=f"{10000 + 1111 * i}", email=f"billing@{ps.key}.example",
                phone=f"+1 555 010 {1000 + i}", flow=ps.flow,
                invoice_series=ps.invoice_series, invoice_starting_number=ps.invoice_start,
                proforma_series=ps.proforma_series,
                proforma_starting_number=ps.proforma_start,
                default_document_state=Provider.DEFAULT_DOC_STATE.ISSUED,
                prebill_plan=ps.prebill_plan,
                generate_documents_on_trial_end=ps.generate_documents_on_trial_end,
                separate_cycles_during_trial=ps.separate_cycles_during_trial, meta={})
        Provider.objects.bulk_create(self.providers.values())
        codes: list[ProductCode] = []
        features: list[MeteredFeature] = []
        plans: list[Plan] = []
        links: list[Any] = []
        through = Plan.metered_features.through
        for spec in catalogue.PLANS:
            plan_code = ProductCode(id=len(codes) + 1, value=spec.code)
            codes.append(plan_code)
            plan = Plan(id=len(plans) + 1, name=spec.name, interval=spec.interval,
                        interval_count=spec.interval_count, amount=Decimal(spec.amount),
                        currency=self._provider_spec(spec.provider).currency,
                        trial_period_days=spec.trial_days, generate_after=spec.generate_after,
                        product_code=plan_code, provider=self.providers[spec.provider],
                        enabled=True, private=False)
            plans.append(plan)
            self.plans[spec.code] = plan
            self.plan_features[spec.code] = []
            for f in spec.features:
                code = ProductCode(id=len(codes) + 1,
                                   value=f"{spec.code}-{f.unit.upper().replace('-', '')}")
                codes.append(code)
                mf = MeteredFeature(
                    id=len(features) + 1, name=f.name, unit=f.unit,
                    price_per_unit=Decimal(f.price), included_units=Decimal(f.included),
                    included_units_during_trial=(Decimal(f.included_during_trial)
                                                 if f.included_during_trial else None),
                    product_code=code)
                features.append(mf)
                self.plan_features[spec.code].append(mf)
                links.append(through(id=len(links) + 1, plan_id=plan.id,
                                     meteredfeature_id=mf.id))
        ProductCode.objects.bulk_create(codes)
        MeteredFeature.objects.bulk_create(features)
        Plan.objects.bulk_create(plans)
        through.objects.bulk_create(links)

    @staticmethod
    def _provider_spec(key: str) -> catalogue.ProviderSpec:
        return next(p for p in catalogue.PROVIDERS if p.key == key)

    # --- customers and subscriptions ------------------------------------------------------
    def customers(self) -> list[tuple[Subscription, str, dt.date]]:
        """Writes customers, subscriptions, cut-over logs and usage; returns the cancellations
        that happen after the previous bill run (subscription, kind, date)."""
        rng = self.rng
        regions = [(r, int(r.share * 100)) for r in catalogue.REGIONS]
        customers: list[Customer] = []
        subs: list[Subscription] = []
        logs: list[BillingLog] = []
        usage: list[MeteredFeatureUnitsLog] = []
        later: list[tuple[Subscription, str, dt.date]] = []
        for number in range(1, self.o.customers + 1):
            region: Region = _weighted(rng, regions)
            deleted = rng.random() < 0.01
            customer = self._customer(number, region, deleted)
            customers.append(customer)
            count = _weighted(rng, SUBS_PER_CUSTOMER)
            seen_providers: set[str] = set()
            for _ in range(count):
                provider = rng.choice(region.providers)
                if customer.consolidated_billing and seen_providers:
                    provider = next(iter(seen_providers))  # bundle at one provider
                spec = _weighted(rng, catalogue.plan_weights(provider))
                kind = ENDED if deleted else _weighted(rng, LIFECYCLES)
                sub = self._subscription(len(subs) + 1, customer, spec, kind,
                                         first_at_provider=provider not in seen_providers)
                seen_providers.add(provider)
                subs.append(sub)
                logs.extend(self._cutover_log(len(logs) + 1, sub, kind))
                cancel = self._cancellation(sub, kind)
                if cancel is not None:
                    later.append((sub, kind, cancel))
                usage.extend(self._usage(len(usage) + 1, sub, spec, kind, cancel))
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        Subscription.objects.bulk_create(subs, batch_size=BATCH)
        with clock(_at(self.cutover)):
            BillingLog.objects.bulk_create(logs, batch_size=BATCH)
        MeteredFeatureUnitsLog.objects.bulk_create(usage, batch_size=BATCH)
        return later

    def _customer(self, number: int, region: Region, deleted: bool) -> Customer:
        rng = self.rng
        locale, country, tax_name, tax_percent = rng.choice(region.locales)
        pool = self.pools[locale]
        first, last = pools.pick(rng, pool.first), pools.pick(rng, pool.last)
        business = rng.random() < 0.3
        company = pools.pick(rng, pool.company) if business else None
        vat_number = None
        if business and region.key != "us" and rng.random() < 0.7:
            vat_number = _vat_number(rng, country)
            if country != "DE":  # intra-EU reverse charge: no VAT on the invoice
                tax_percent = None
        meta: dict[str, Any] = {"segment": "business" if business else "consumer",
                                "signup": rng.choice(("web", "partner", "sales", "store"))}
        if rng.random() < 0.2:
            meta["billing_contact"] = {
                "name": f"{pools.pick(rng, pool.first)} {pools.pick(rng, pool.last)}",
                "phone": pools.pick(rng, pool.phone)}
        extra = None
        if rng.random() < 0.08:
            extra = f"PO {rng.randint(10000, 99999)} – attn. {first} {last}, accounts payable"
        return Customer(
            id=number, customer_reference=f"CUS-{number:06d}", first_name=first, last_name=last,
            company=company, email=pools.email(first, last, number, pools.pick(rng, pool.domains)),
            phone=pools.pick(rng, pool.phone), address_1=pools.pick(rng, pool.street),
            address_2=f"Apt {rng.randint(1, 40)}" if rng.random() < 0.15 else None,
            city=pools.pick(rng, pool.city), zip_code=pools.pick(rng, pool.postcode),
            state=pools.pick(rng, pool.state) if pool.state else None, country=country,
            sales_tax_number=vat_number, sales_tax_name=tax_name if tax_percent else None,
            sales_tax_percent=Decimal(tax_percent) if tax_percent else None,
            currency=region.currency if rng.random() < 0.4 else None,
            payment_due_days=rng.choice((7, 14, 14, 30)),
            consolidated_billing=rng.random() < 0.15, extra=extra, meta=meta,
            live=not deleted)

    def _subscription(self, sub_id: int, customer: Customer, spec: PlanSpec, kind: str,
                      first_at_provider: bool) -> Subscription:
        rng, bill = self.rng, self.o.bill_date
        plan = self.plans[spec.code]
        sub = Subscription(id=sub_id, plan=plan, customer=customer, reference=f"SUB-{sub_id:07d}",
                           state=Subscription.STATES.ACTIVE, meta={})
        if kind == INACTIVE:
            sub.state = Subscription.STATES.INACTIVE
            return sub
        if kind == NEW:
            sub.start_date = _day_between(rng, self.cutover, self.last_day)
        elif kind == ENDED:
            sub.start_date = _day_between(rng, dates.months_before(bill, 36),
                                          self.cutover - dt.timedelta(days=90))
        else:
            sub.start_date = _day_between(rng, dates.months_before(bill, 30),
                                          self.cutover - ONE_DAY)
        if spec.trial_days and (first_at_provider or kind != NEW):
            sub.trial_end = sub.start_date + dt.timedelta(days=spec.trial_days - 1)
        if kind == ENDED:
            sub.state = Subscription.STATES.ENDED
            sub.cancel_date = min(sub.start_date + dt.timedelta(days=rng.randint(20, 400)),
                                  self.cutover - dt.timedelta(days=20))
            sub.ended_at = sub.cancel_date + dt.timedelta(days=rng.randint(0, 15))
        elif kind == CANCEL_EARLY:  # cancelled before the previous bill run, which ends it
            sub.state = Subscription.STATES.CANCELED
            sub.cancel_date = _day_between(rng, self.cutover, self.previous - ONE_DAY)
        return sub

    def _cutover_log(self, log_id: int, sub: Subscription, kind: str) -> list[BillingLog]:
        """What the previous system had billed when production moved onto silver."""
        if kind not in (OLD, CANCEL_END, CANCEL_NOW, CANCEL_EARLY):
            return []
        day = self.cutover
        if sub.prebill_plan:
            plan_up_to = sub.cycle_end_date(day)
        else:
            start = sub.cycle_start_date(day)
            plan_up_to = start - ONE_DAY if start else None
        bucket = sub.bucket_start_date(day)
        if plan_up_to is None or bucket is None:
            return []
        return [BillingLog(id=log_id, subscription=sub, billing_date=day,
                           plan_billed_up_to=plan_up_to,
                           metered_features_billed_up_to=bucket - ONE_DAY)]

    def _cancellation(self, sub: Subscription, kind: str) -> dt.date | None:
        """The cancel date of a cancellation made between the two bill runs."""
        if kind == CANCEL_NOW:
            return _day_between(self.rng, self.previous, self.last_day)
        if kind == CANCEL_END:
            asked = _day_between(self.rng, self.previous, self.last_day)
            return sub.cycle_end_date(asked)
        if kind == CANCEL_EARLY:
            return sub.cancel_date
        return None

    def _usage(self, first_id: int, sub: Subscription, spec: PlanSpec, kind: str,
               cancel: dt.date | None) -> list[MeteredFeatureUnitsLog]:
        """Consumption per metered feature and bucket, from the cut-over to the bill run."""
        features = self.plan_features[spec.code]
        if not features or kind in (ENDED, INACTIVE) or sub.start_date is None:
            return []
        out: list[MeteredFeatureUnitsLog] = []
        ref = max(sub.start_date, self.cutover)
        end = min(self.last_day, cancel) if cancel else self.last_day
        while ref <= end:
            start, stop = sub.bucket_start_date(ref), sub.bucket_end_date(ref)
            if start is None or stop is None or stop < ref:
                break
            if cancel and start <= cancel <= stop:
                stop = cancel  # silver's cancel(now) closes the running bucket on that day
            for mf in features:
                out.append(MeteredFeatureUnitsLog(
                    id=first_id + len(out), metered_feature=mf, subscription=sub,
                    consumed_units=self._consumed(mf.included_units), start_date=start,
                    end_date=stop))
            ref = stop + ONE_DAY
        return out

    def _consumed(self, included: Decimal) -> Decimal:
        band = _weighted(self.rng, (((0.0, 0.3), 25), ((0.3, 0.95), 40), ((0.95, 1.3), 20),
                                    ((1.3, 3.0), 15)))
        value = float(included) * self.rng.uniform(*band)
        step = Decimal("0.01") if included < 50 else Decimal("1")
        return Decimal(str(value)).quantize(step)

    # --- after the previous bill run ------------------------------------------------------
    def settle_previous_documents(self) -> None:
        """Customers pay most of last month's documents; a few are cancelled (disputes)."""
        rng = self.rng
        # in subscription order, not id order: silver numbers documents in its customer order,
        # which follows the database's collation and differs between SQLite and PostgreSQL
        order: dict[int, None] = {}
        for log in BillingLog.objects.filter(billing_date=self.previous).order_by(
                "subscription_id"):
            document = log.proforma_id or log.invoice_id
            if document is not None:
                order.setdefault(document, None)
        issued = BillingDocumentBase.objects.filter(state="issued", id__in=list(order))
        by_id = {doc.id: doc for doc in issued}
        for doc in (by_id[i] for i in order if i in by_id):
            roll = rng.random()
            if roll < 0.75:
                doc.pay(paid_date=str(self.previous + dt.timedelta(days=rng.randint(1, 20))))
            elif roll < 0.77:
                doc.cancel(cancel_date=str(self.previous + dt.timedelta(days=rng.randint(2, 9))))

    def apply_cancellations(self, later: list[tuple[Subscription, str, dt.date]]) -> None:
        for sub, kind, day in later:
            if kind in (CANCEL_NOW, CANCEL_END):
                Subscription.objects.filter(id=sub.id).update(
                    state=Subscription.STATES.CANCELED, cancel_date=day)

    def staff(self) -> None:
        """Back-office users, as every installation has (PII too: names and e-mails)."""
        pool = self.pools["en_US"]
        password = make_password("silver-staff", salt="goliveexample")
        users = []
        for i, role in enumerate(("admin", "billing", "support"), start=1):
            first, last = pool.first[i * 7 % len(pool.first)], pool.last[i * 11 % len(pool.last)]
            users.append(User(id=i, username=role, first_name=first, last_name=last,
                              email=pools.email(first, last, i, "northwind.example"),
                              is_staff=True, is_superuser=role == "admin", password=password,
                              date_joined=_at(self.cutover, 9)))
        User.objects.bulk_create(users)
        for role, grants in ROLES.items():
            group = Group.objects.create(name=role)
            group.permissions.set(Permission.objects.filter(
                content_type__app_label="silver", codename__in=grants).order_by("id"))
            group.user_set.add(*[u for u in users if u.username == role.lower()])

    def reset_sequences(self) -> None:
        """Explicit ids leave PostgreSQL's sequences at 1: move them past the rows."""
        from django.apps import apps

        if connection.vendor != "postgresql":
            return
        models = apps.get_models(include_auto_created=True)
        sql = connection.ops.sequence_reset_sql(no_style(), models)
        with connection.cursor() as cur:
            for statement in sql:
                cur.execute(statement)


def _vat_number(rng: random.Random, country: str) -> str:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(9))
    return {"FR": f"FR{digits[:2]}{digits}", "NL": f"NL{digits}B01",
            "AT": f"ATU{digits[:8]}"}.get(country, f"{country}{digits}")


def generate(options: Options) -> Summary:
    return Generator(options).run()
