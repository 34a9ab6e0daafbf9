"""DemoTarget: the embedded demo platform behind the `Target` protocol.

The only module of golive that imports `demo` (ARCHITECTURE.md). Reads are
plain SQLAlchemy queries on `demo.models`; the bill run goes through the demo's
billing service, as a staging bill run does on a real platform, and restore
uses the demo's manifest-checked backup. Every write asks `harness.safety`
first. Demo modules are imported inside methods so golive loads without them.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from common.errors import ConfigError, EnvironmentProblem
from harness.safety import assert_staging, environment, reveal, safe_dsn
from harness.targets.base import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    OutboundEndpoint,
    PackageView,
    PaymentSandbox,
    PoolView,
    ServiceAction,
    TargetError,
    TransactionView,
)
from harness.targets.demo_ops import DemoOperations
from harness.targets.demo_portal import DemoPortals

if TYPE_CHECKING:
    from harness.config import Profile
    from harness.references import Finding

P = ParamSpec("P")
R = TypeVar("R")
PRODUCTION_RELEASE = "1.0"
SERVICE_POLL = 0.5  # seconds between the billing service's looks for a bill-run request


def demo_errors(method: Callable[P, R]) -> Callable[P, R]:
    """The demo's own errors as golive's: a database, tool or service that is not there
    is an EnvironmentProblem (exit 3); a bad backup or URL a TargetError."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from demo.backup import BackupEnvironmentError, BackupError
        from demo.paths import BadDatabaseUrl, DatabaseUnavailable
        from demo.service import ServiceError

        try:
            return method(*args, **kwargs)
        except (DatabaseUnavailable, BackupEnvironmentError, ServiceError) as exc:
            raise EnvironmentProblem(str(exc)) from exc
        except (BackupError, BadDatabaseUrl) as exc:
            raise TargetError(str(exc)) from exc

    return wrapper


def local_naive(when: dt.datetime) -> dt.datetime:
    """The demo stores local wall-clock times without a zone; compare like with like."""
    return when.astimezone().replace(tzinfo=None) if when.tzinfo is not None else when


class DemoTarget(DemoOperations, DemoPortals):
    """The demo ISP billing platform in one environment of the profile."""

    name = "demo"

    def __init__(self, profile: Any, environment_name: str = "staging") -> None:
        from demo.releases import DEFAULT_RELEASE, UnknownRelease, get_release

        env = environment(profile, environment_name)
        if env is None or not reveal(getattr(env, "dsn", None)):
            raise TargetError(f"the profile has no environments.{environment_name}.dsn")
        self.profile = profile
        self.environment = environment_name
        self.dsn = reveal(env.dsn)
        wanted = PRODUCTION_RELEASE
        if environment_name == "staging":  # the profile's release, else the demo's newest
            wanted = str(getattr(profile.target, "release", None) or DEFAULT_RELEASE)
        try:
            self._release = get_release(wanted)
        except UnknownRelease as exc:
            raise TargetError(f"target.release: {exc}") from None
        self.release: str | None = self._release.name
        self._engine: Engine | None = None

    # --- plumbing -------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from demo.paths import BadDatabaseUrl, DatabaseUnavailable, open_database

            try:
                self._engine = open_database(self.dsn)
            except DatabaseUnavailable as exc:
                raise EnvironmentProblem(str(exc)) from None
            except BadDatabaseUrl as exc:
                raise TargetError(str(exc)) from None
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _account_id(self, session: Session, ref: str) -> int | None:
        from demo.models import Account

        found = session.scalar(select(Account.id).where(Account.number == ref))
        if found is not None:
            return int(found)
        ids = session.scalars(select(Account.id).where(Account.name == ref).limit(2)).all()
        if len(ids) > 1:
            raise TargetError(f"more than one account is named {ref!r}: use its account number")
        return int(ids[0]) if ids else None

    def _require(self, session: Session, ref: str) -> int:
        account_id = self._account_id(session, ref)
        if account_id is None:
            raise TargetError(f"no account {ref!r} (neither an account number nor a name)")
        return account_id

    # --- read-only questions -----------------------------------------------------
    def account(self, ref: str) -> AccountView | None:
        from demo.models import Account

        with Session(self.engine) as session:
            account_id = self._account_id(session, ref)
            if account_id is None:
                return None
            acct = session.get(Account, account_id)
            assert acct is not None
            parent = session.get(Account, acct.parent_id) if acct.parent_id else None
            children = session.scalars(
                select(Account.number).where(Account.parent_id == acct.id).order_by(Account.number)
            ).all()
            return AccountView(
                number=acct.number, name=acct.name, status=acct.status,
                balance=Decimal(acct.balance), parent_number=parent.number if parent else None,
                bill_day=acct.bill_day, children=list(children),
            )

    def packages(self, ref: str) -> list[PackageView]:
        from demo.models import Product, UserPackage

        with Session(self.engine) as session:
            account_id = self._require(session, ref)
            rows = session.execute(
                select(UserPackage, Product).join(Product, Product.id == UserPackage.product_id)
                .where(UserPackage.account_id == account_id)
                .order_by(Product.code, UserPackage.id)
            ).all()
            return [
                PackageView(code=p.code, name=p.name, period=p.period, quantity=up.quantity,
                            next_bill_date=up.next_bill_date, status=up.status,
                            provisioned=bool(up.provisioned))
                for up, p in rows
            ]

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]:
        from demo.models import Transaction

        with Session(self.engine) as session:
            query = select(Transaction).where(Transaction.account_id == self._require(session, ref))
            if bill_run_id is not None:
                query = query.where(Transaction.bill_run_id == bill_run_id)
            return [
                TransactionView(kind=t.kind, amount=Decimal(t.amount), description=t.description,
                                posted_on=t.posted_on, bill_run_id=t.bill_run_id)
                for t in session.scalars(query.order_by(Transaction.id))
            ]

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]:
        from demo.models import Invoice

        with Session(self.engine) as session:
            query = select(Invoice).where(Invoice.account_id == self._require(session, ref))
            if bill_run_id is not None:
                query = query.where(Invoice.bill_run_id == bill_run_id)
            return [
                InvoiceView(number=i.number, issue_date=i.issue_date, due_date=i.due_date,
                            subtotal=Decimal(i.subtotal), discount_total=Decimal(i.discount_total),
                            tax_total=Decimal(i.tax_total), total=Decimal(i.total),
                            status=i.status, bill_run_id=i.bill_run_id)
                for i in session.scalars(query.order_by(Invoice.id))
            ]

    def bucket_pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None:
        """The pool of ``ref``'s family: a child's pool is its top-level ancestor's."""
        from demo.models import Account, MinuteBucket

        with Session(self.engine) as session:
            owner = session.get(Account, self._require(session, ref))
            assert owner is not None
            while owner.parent_id is not None:
                parent = session.get(Account, owner.parent_id)
                assert parent is not None
                owner = parent
            query = select(MinuteBucket).where(MinuteBucket.account_id == owner.id)
            if bill_run_id is not None:
                query = query.where(MinuteBucket.bill_run_id == bill_run_id)
            bucket = session.scalars(
                query.order_by(MinuteBucket.period_start.desc(), MinuteBucket.id.desc())
            ).first()
            if bucket is None:
                return None
            return PoolView(owner=owner.number, included=bucket.included_minutes,
                            used=bucket.used_minutes, overage=bucket.overage_minutes,
                            bill_run_id=bucket.bill_run_id)

    def events(self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)) -> list[EventView]:
        from demo.models import Account, EventLog

        acct = aliased(Account)
        with Session(self.engine) as session:
            rows = session.execute(
                select(EventLog, acct.number).outerjoin(acct, acct.id == EventLog.account_id)
                .where(EventLog.at >= local_naive(since), EventLog.level.in_(list(levels)))
                .order_by(EventLog.at, EventLog.id)
            ).all()
            return [EventView(at=e.at, level=e.level, source=e.source, message=e.message,
                              account=number) for e, number in rows]

    def billing_settings(self) -> dict[str, str]:
        from demo.models import BillingSetting

        with Session(self.engine) as session:
            return {s.key: s.value for s in session.scalars(select(BillingSetting))}

    def latest_bill_run(self) -> BillRunView | None:
        from demo.models import BillRun

        with Session(self.engine) as session:
            last = session.scalar(select(func.max(BillRun.id)))
            if last is None:
                return None
            return self._bill_run_view(session, int(last))

    def _bill_run_view(self, session: Session, bill_run_id: int) -> BillRunView:
        from demo.models import BillRun

        run = session.get(BillRun, bill_run_id)
        if run is None:
            raise TargetError(f"bill run #{bill_run_id} is not in {safe_dsn(self.dsn)}")
        return BillRunView(id=run.id, run_date=run.run_date, status=run.status,
                           started_at=run.started_at, finished_at=run.finished_at,
                           accounts_billed=run.accounts_billed, invoices=run.invoices,
                           errors=run.errors, total=Decimal(run.total))

    def outbound(self) -> list[OutboundEndpoint]:
        from demo.models import MailConfig, PaymentProcessor, ProvisioningConfig

        with Session(self.engine) as session:
            found: list[OutboundEndpoint] = []
            for mail in session.scalars(select(MailConfig).order_by(MailConfig.id)):
                name = "mail" if not found else f"mail:{mail.id}"
                found.append(OutboundEndpoint("mail", name,
                                              f"smtp://{mail.smtp_host}:{mail.smtp_port}"))
            for prov in session.scalars(select(ProvisioningConfig).order_by(ProvisioningConfig.id)):
                found.append(OutboundEndpoint("provisioning", f"provisioning:{prov.service}",
                                              prov.url))
            for proc in session.scalars(select(PaymentProcessor).order_by(PaymentProcessor.id)):
                found.append(OutboundEndpoint("payment", f"payment:{proc.kind}:{proc.name}",
                                              proc.gateway_url))
            return found

    # --- destructive operations (staging only) -------------------------------------
    def _guard(self) -> None:
        assert_staging(self.profile, self.dsn)

    @demo_errors
    def restore(self, backup: Path) -> dict[str, Any]:
        """Restore the manifest-checked backup, then deploy this target's release on it."""
        from demo import service
        from demo.backup import find_manifest
        from demo.backup import restore as demo_restore
        from demo.paths import open_database
        from demo.upgrade import upgrade

        self._guard()
        manifest = find_manifest(backup)
        stopped = service.stop(self.dsn)  # never restore under a running billing service
        self.close()
        demo_restore(backup, self.dsn)
        engine = open_database(self.dsn)
        try:
            changes = upgrade(engine, self._release)
        finally:
            engine.dispose()
        return {"backup": str(manifest.path), "sha256": manifest.sha256,
                "backup_release": manifest.release, "seed": manifest.seed,
                "as_of": manifest.as_of, "accounts": manifest.row_counts.get("accounts"),
                "rows": sum(manifest.row_counts.values()), "database": safe_dsn(self.dsn),
                "deployed_release": self._release.name, "upgrade": changes,
                "stopped_billing_service": stopped.was_running}

    @demo_errors
    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        """Ask the billing service for the bill run and wait for it, as staff would."""
        from demo import service

        self._guard()
        service.start(self.dsn, self._release, poll=SERVICE_POLL)
        try:
            outcome = service.request_bill_run(self.dsn, run_date)
        except service.ServiceError:
            service.stop(self.dsn)  # nothing may bill again behind our back
            raise
        if outcome.status != "done" or outcome.bill_run_id is None:
            service.stop(self.dsn)
            raise TargetError(
                f"the billing service failed bill-run request #{outcome.request_id}: "
                f"{outcome.message}"
            )
        with Session(self.engine) as session:
            return self._bill_run_view(session, outcome.bill_run_id)

    @demo_errors
    def billing_service(self, action: ServiceAction) -> str:
        from demo import service

        if action == "status":
            return "running" if service.status(self.dsn).running else "stopped"
        self._guard()
        if action == "start":
            service.start(self.dsn, self._release, poll=SERVICE_POLL)
        elif action == "stop":
            service.stop(self.dsn)
        else:
            raise TargetError(f"billing_service: unknown action {action!r} (start|stop|status)")
        return self.billing_service("status")

    def redirect_outbound(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        """Point the named outbound endpoints at new URLs; returns {name: {from, to}}."""
        from demo.models import MailConfig, PaymentProcessor, ProvisioningConfig

        self._guard()
        current = {e.name: e for e in self.outbound()}
        unknown = sorted(set(mapping) - set(current))
        if unknown:
            raise TargetError(f"redirect_outbound: no endpoint named {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(current))})")
        done: dict[str, Any] = {}
        with Session(self.engine) as session, session.begin():
            for name, new in mapping.items():
                kind, _, rest = name.partition(":")
                if kind == "mail":
                    parts = urlsplit(new)
                    mails = select(MailConfig).order_by(MailConfig.id)
                    row = session.scalars(
                        mails.where(MailConfig.id == int(rest)) if rest else mails).first()
                    assert row is not None  # outbound() just listed it
                    row.smtp_host, row.smtp_port = parts.hostname or "", parts.port or 25
                elif kind == "provisioning":
                    prov = session.scalars(
                        select(ProvisioningConfig).where(ProvisioningConfig.service == rest)
                    ).one()
                    prov.url = new
                else:
                    proc_name = rest.partition(":")[2]
                    proc = session.scalars(
                        select(PaymentProcessor).where(PaymentProcessor.name == proc_name)
                    ).one()
                    proc.gateway_url = new
                done[name] = {"from": current[name].url, "to": new}
        return done

    def start_payment_sandbox(self) -> PaymentSandbox:
        """The demo's payment-gateway sandbox on 127.0.0.1, for lock-down."""
        from demo.gateway import GatewayServer

        return _GatewaySandbox(GatewayServer().start())

    # --- the demo's own pre-bill-run backup ------------------------------------------
    @demo_errors
    def locate_backup(self, path: Path, generate: Any, run_date: dt.date) -> dict[str, Any]:
        """The backup at ``path``; when missing and ``generate`` is set, make it: generate
        production (only while it holds no demo data: never over real rows) and back it up."""
        from demo.backup import backup, find_manifest

        made: dict[str, Any] = {}
        if not path.exists():
            if generate is None:
                raise TargetError(f"backup.path {path} does not exist and backup.generate is "
                                  "not set")
            production = environment(self.profile, "production")
            prod_dsn = reveal(getattr(production, "dsn", None))
            if not prod_dsn:
                raise TargetError("backup.generate needs environments.production.dsn")
            if _empty(prod_dsn):
                made = self._generate(prod_dsn, generate, run_date)
            else:  # production's data is backed up as it is: it must be what generate says
                self._matches_generate(prod_dsn, generate)
            manifest = backup(prod_dsn, path.parent)
            assert manifest.path is not None
            if manifest.path != path:
                shutil.move(manifest.path, path)
            made["backed_up"] = safe_dsn(prod_dsn)
        manifest = find_manifest(path)
        return {"path": str(path), "sha256": manifest.sha256, "size": manifest.size,
                "release": manifest.release, "seed": manifest.seed, "as_of": manifest.as_of,
                "accounts": manifest.row_counts.get("accounts"), "created_at": manifest.created_at,
                **made}

    def _matches_generate(self, prod_dsn: str, generate: Any) -> None:
        """ConfigError (exit 2) naming both values when production's demo data is not what
        ``backup.generate`` asks for: golive never backs up other data silently."""
        from demo.backup import describe_database

        found = describe_database(prod_dsn)
        wrong = generate_mismatch(generate, found.get("row_counts", {}).get("accounts"),
                                  found.get("seed"), f"production ({safe_dsn(prod_dsn)})")
        if wrong is not None:
            loc, message = wrong
            raise ConfigError([self.profile.problem(loc, message)])

    def _generate(self, prod_dsn: str, generate: Any, run_date: dt.date) -> dict[str, Any]:
        from demo.generate import generate as demo_generate

        accounts, seed = int(generate.accounts), int(generate.seed)
        summary = demo_generate(prod_dsn, accounts, seed, as_of=run_date - dt.timedelta(days=1))
        return {"generated": {"accounts": summary.accounts, "seed": summary.seed,
                              "as_of": summary.as_of.isoformat(), "database": summary.url}}


def generate_mismatch(generate: Any, accounts: object, seed: object,
                      holder: str) -> tuple[tuple[str, ...], str] | None:
    """(profile key, message) when ``holder``'s demo data (``accounts`` rows, generator
    ``seed``) is not what ``backup.generate`` asks for, else None."""
    said = {"accounts": f"asks for {generate.accounts} accounts, but {holder} already holds "
                        f"{accounts}",
            "seed": f"asks for seed {generate.seed}, but {holder} was generated with seed {seed}"}
    for key, wanted, found in (("accounts", generate.accounts, accounts),
                               ("seed", generate.seed, seed)):
        if found is not None and str(found) != str(wanted):
            return (("backup", "generate", key),
                    f"{said[key]}; set backup.generate.{key}: {found}, or remove that data (and "
                    "the backup) to generate it again")
    return None


def profile_problems(profile: Profile) -> list[Finding]:
    """The demo's part of loading a profile (`harness.references`): ``target.release``
    names a demo release, and an existing backup still matches ``backup.generate``."""
    from common.yamlsource import suggest
    from demo.backup import BackupError, find_manifest
    from demo.releases import RELEASES
    from harness.references import Finding

    found: list[Finding] = []
    release = getattr(profile.target, "release", None)
    if release is not None and str(release) not in RELEASES:
        names = list(RELEASES)
        found.append(Finding(("target", "release"), f"{release!r} is not a demo release (one "
                             f"of {', '.join(names)}; see python -m demo releases)",
                             valid=names, suggestion=suggest(str(release), names)))
    generate, path = profile.backup.generate, Path(profile.backup.path)
    if generate is not None and path.exists():
        try:
            manifest = find_manifest(path)
        except BackupError as exc:
            return [*found, Finding(("backup", "path"), str(exc))]
        wrong = generate_mismatch(generate, manifest.row_counts.get("accounts"), manifest.seed,
                                  f"the backup {manifest.path}")
        if wrong is not None:
            found.append(Finding(*wrong))
    return found


def _empty(dsn: str) -> bool:
    """Whether the demo's production database has no demo data yet (no file, no tables)."""
    from demo.db import make_engine, sqlite_path

    path = sqlite_path(dsn)
    if path is not None and not path.exists():
        return True
    engine = make_engine(dsn)
    try:
        with engine.connect() as conn:
            return not inspect(conn).has_table("accounts")
    except OperationalError as exc:
        raise EnvironmentProblem(f"cannot connect to {safe_dsn(dsn)}: "
                                 f"{str(exc.orig or exc).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()


_PAYMENT_FIELDS = ("amount", "currency", "kind", "reference")  # never keys, cards or accounts


class _GatewaySandbox:
    """demo.gateway.GatewayServer seen as a `PaymentSandbox` (secrets left out)."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self.url: str = server.url

    def captured(self) -> list[dict[str, Any]]:
        out = []
        for req in list(self._server.requests):
            body = req.get("body") if isinstance(req.get("body"), dict) else {}
            out.append({"method": req.get("method"), "path": req.get("path"),
                        "status": req.get("status"),
                        "outcome": (req.get("response") or {}).get("status"),
                        **{k: body.get(k) for k in _PAYMENT_FIELDS if k in body}})
        return out

    def stop(self) -> None:
        self._server.stop()
