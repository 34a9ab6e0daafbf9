"""What a step may ask of the platform under test: the `Target` protocol.

Steps never speak SQL or HTTP; they ask a `Target`. Its **core** is what every
platform can answer (accounts and balances, packages and next bill dates, the
run's transactions and invoices, the latest bill run, the event log, billing
settings) plus the pipeline's operations (`restore`, `run_bill_run`,
`billing_service`), which are for staging only and ask `harness.safety` first.

Everything else is an optional **capability** (`harness.targets.capabilities`):
an attribute that is an object, or None when the platform cannot answer.
`require` turns a None into `CapabilityMissing`, which makes the scenario NOT
APPLICABLE — never passed, never a crash. The answers are the frozen views of
`harness.targets.views`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from harness.config import Profile
from harness.safety import reveal
from harness.targets.capabilities import (
    BackupLocator,
    CustomActions,
    Imports,
    Outbound,
    Payments,
    Permissions,
    Pools,
    Portals,
    Provisioning,
    StaffPayments,
    SubAccounts,
)
from harness.targets.views import (
    AccountView,
    BillRunView,
    EventView,
    InvoiceView,
    PackageView,
    TransactionView,
)

ServiceAction = Literal["start", "stop", "status"]
C = TypeVar("C")

# capability attribute → the protocol its object satisfies (order: as `golive checklist` lists)
CAPABILITIES: dict[str, type] = {
    "sub_accounts": SubAccounts,
    "pools": Pools,
    "outbound": Outbound,
    "provisioning": Provisioning,
    "payments": Payments,
    "staff_payments": StaffPayments,
    "permissions": Permissions,
    "imports": Imports,
    "custom_actions": CustomActions,
    "portals": Portals,
    "backup": BackupLocator,
}


class TargetError(Exception):
    """The target cannot answer: misconfigured (a missing query, a bad adapter path)
    or unable to do what was asked. The message says which and what to change."""


class CapabilityMissing(TargetError):
    """The target has no such capability: what needs it is NOT APPLICABLE, not failed.
    ``capability`` is its attribute name (``custom_actions``), the message says it in words."""

    def __init__(self, capability: str) -> None:
        super().__init__(f"the target has no {capability.replace('_', ' ')}")
        self.capability = capability


class AmbiguousAccount(TargetError):
    """A name that several accounts share (sanitized names repeat): an error naming their
    keys, never a guess. Accounts are named by their stable key (number, code)."""

    def __init__(self, ref: str, keys: Sequence[str], shown: int = 10) -> None:
        listed = ", ".join(keys[:shown]) + (f" and {len(keys) - shown} more"
                                            if len(keys) > shown else "")
        super().__init__(f"{ref!r} matches {len(keys)} accounts: {listed} — name the account "
                         "by its key (account number or code)")
        self.ref = ref
        self.keys = list(keys)


def require(capability: C | None, name: str) -> C:
    """``capability`` itself; CapabilityMissing naming it (``name``: the attribute, e.g.
    ``"provisioning"``) when the target has none."""
    if capability is None:
        raise CapabilityMissing(name)
    return capability


@runtime_checkable
class Target(Protocol):
    """The platform under test, as the checklist speaks of it."""

    name: str  # "demo", "sql", or the adapter's own name
    environment: str  # "staging" or "production"

    @property
    def release(self) -> str | None:
        """The release deployed in this environment, when the target knows it."""
        ...

    # --- the core: read-only questions ---------------------------------------------
    def account(self, ref: str) -> AccountView | None: ...

    def packages(self, ref: str) -> list[PackageView]: ...

    def transactions(self, ref: str, bill_run_id: int | None = None) -> list[TransactionView]: ...

    def invoices(self, ref: str, bill_run_id: int | None = None) -> list[InvoiceView]: ...

    def events(
        self, since: dt.datetime, levels: Sequence[str] = ("ERROR",)
    ) -> list[EventView]: ...

    def billing_settings(self) -> dict[str, str]: ...

    def latest_bill_run(self) -> BillRunView | None: ...

    # --- the core: the staging pipeline's operations ------------------------------------
    def restore(self, backup: Path) -> dict[str, Any]: ...

    def run_bill_run(self, run_date: dt.date) -> BillRunView: ...

    def billing_service(self, action: ServiceAction) -> str: ...

    def close(self) -> None: ...

    # --- optional capabilities: None when the platform cannot answer -------------------
    @property
    def sub_accounts(self) -> SubAccounts | None: ...

    @property
    def pools(self) -> Pools | None: ...

    @property
    def outbound(self) -> Outbound | None: ...

    @property
    def provisioning(self) -> Provisioning | None: ...

    @property
    def payments(self) -> Payments | None: ...

    @property
    def staff_payments(self) -> StaffPayments | None: ...

    @property
    def permissions(self) -> Permissions | None: ...

    @property
    def imports(self) -> Imports | None: ...

    @property
    def custom_actions(self) -> CustomActions | None: ...

    @property
    def portals(self) -> Portals | None: ...

    @property
    def backup(self) -> BackupLocator | None: ...


@runtime_checkable
class StageEvidence(Protocol):
    """A target that reports what its operations did (commands run, a watermark taken):
    the pipeline adds it to the evidence of the stage that asked for them."""

    def take_evidence(self) -> dict[str, Any]:
        """What happened since the last call; forgets it."""
        ...


@runtime_checkable
class Installation(Protocol):
    """A target on a platform golive cannot ask directly (an HTTP API, not a database it
    connects to) that can still say which installation it reached: the identifier the
    platform itself reports, the same through every URL, alias or proxy that reaches
    it. golive compares staging's with production's before every write; without it,
    such a target is refused (identity unknown), never assumed to be another system."""

    def installation(self) -> str:
        """The platform's own identifier of this installation (empty: it cannot say)."""
        ...


@runtime_checkable
class CommandEnvironment(Protocol):
    """A target that runs the platform's own commands and can give them environment
    variables (lock-down redirecting a channel by environment)."""

    def give_environment(self, env: dict[str, str]) -> None: ...


def capabilities(target: Target) -> dict[str, bool]:
    """Which optional capabilities ``target`` has, in `CAPABILITIES` order."""
    return {name: getattr(target, name, None) is not None for name in CAPABILITIES}


def environment_dsn(profile: Profile, environment: str) -> str:
    """The database URL of the profile's ``environment``, password included (to connect)."""
    if environment not in ("staging", "production"):
        raise TargetError(f"unknown environment {environment!r} (staging or production)")
    env = profile.environments.staging if environment == "staging" \
        else profile.environments.production
    return reveal(env.dsn)
