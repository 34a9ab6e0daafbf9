"""The ``golive`` fixture object: what a step may know about the run it verifies.

Steps get the profile, the staging `Target` (opened once per process), the
bill run this session prepared, what the lock-down sinks caught during it
(`outbound`), the checklists, production's values of an account beside
staging's (`against_production`, when the profile has a population section),
and `check_account` / `check_production`, which record an account check in the
run record *before* asserting it — so the report's accounts table shows every
expected-vs-actual pair, passed or not, and where the expected value came from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from common.errors import SafetyError
from harness.baseline.oracle import AccountComparison, AccountOracle, FieldCheck
from harness.checklists import Checklists, DiverseAccount
from harness.config import Profile
from harness.evidence import keep_file, keep_text
from harness.record import AccountCheck, Attachment, ExpectedFrom
from harness.targets.base import Target, TargetError

# what steps may name: the oracle's typed answers and where an expected value came from
__all__ = ["AccountComparison", "BillRunInfo", "ExpectedFrom", "FieldCheck", "GoliveContext",
           "normalise"]

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


@dataclass(frozen=True)
class BillRunInfo:
    """The bill run of this session, as preparation left it (None when unknown)."""

    id: int | str | None
    date: dt.date | None
    started_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date.isoformat() if self.date else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
        }

    @classmethod
    def unknown(cls) -> BillRunInfo:
        return cls(None, None, None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BillRunInfo:
        date, started = data.get("date"), data.get("started_at")
        return cls(
            id=data.get("id"),
            date=dt.date.fromisoformat(date) if date else None,
            started_at=dt.datetime.fromisoformat(started) if started else None,
        )


def normalise(value: object) -> str | None:
    """A comparable text form: 12.5 == "12.50" == Decimal("12.500"); dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return _decimal_text(Decimal(str(value)))
    text = str(value).strip()
    if _NUMBER.match(text.replace(",", "")):
        return _decimal_text(Decimal(text.replace(",", "")))
    return text


def _decimal_text(number: Decimal) -> str:
    try:
        text = format(number.normalize(), "f")
    except InvalidOperation:
        return str(number)
    return "0" if text in ("-0", "+0") else text


class GoliveContext:
    """Handed to steps as the ``golive`` fixture; one per scenario, sharing one target."""

    def __init__(
        self,
        *,
        profile: Profile,
        checklists: Checklists,
        bill_run: BillRunInfo,
        outbound: dict[str, Any] | None = None,
        open_target: Callable[[], Target],
        record_check: Callable[[AccountCheck], None],
        run_dir: Path,
        scenario: str | None = None,
        record_attachment: Callable[[Attachment], None] | None = None,
        open_production: Callable[[], AccountOracle] | None = None,
    ) -> None:
        self.profile = profile
        self.checklists = checklists
        self.bill_run = bill_run
        self.outbound: dict[str, Any] = dict(outbound or {})
        """What the lock-down sinks caught up to the end of preparation (the record's
        outbound section): ``mail``, ``http`` (provisioning calls: method, path, body),
        ``payment`` (gateway calls), ``sinks``, ``redirected``, ``escaped``. Empty when
        staging was not prepared (or lock-down was off)."""
        self.run_dir = run_dir  # where this run's evidence goes (screenshots, …)
        self.scenario = scenario
        self._open_target = open_target
        self._record_check = record_check
        self._open_production = open_production  # None: the profile has no population
        self._names: dict[str, str | None] = {}
        self._record_attachment = record_attachment

    @property
    def target(self) -> Target:
        """The staging target, opened on first use in this process."""
        return self._open_target()

    def attach_text(self, kind: str, label: str, text: str) -> Attachment | None:
        """Keep ``text`` as evidence of the running step (``kind``: mail, call, event_log,
        text); a long one goes to a sidecar file named by its digest."""
        if self._record_attachment is None:
            return None
        attachment = keep_text(self.run_dir, kind, label, text)
        self._record_attachment(attachment)
        return attachment

    def attach_file(self, path: Path, kind: str, label: str) -> Attachment | None:
        """Keep the file at ``path`` (e.g. a screenshot) as evidence of the running step,
        renamed to its SHA-256 in the run folder (``attachment.path``)."""
        if self._record_attachment is None or not path.is_file():
            return None
        attachment = keep_file(self.run_dir, path, kind, label)
        self._record_attachment(attachment)
        return attachment

    def require_writable(self, what: str) -> None:
        """Refuse (SafetyError) a step that writes unless the target is staging: the
        post-go-live smoke reads production and must never change it."""
        environment = getattr(self.target, "environment", None)
        if environment != "staging":
            raise SafetyError(f"refusing {what}: the target is {environment}, and golive "
                              "writes only to staging")

    def expected_account(self, account_id: str) -> DiverseAccount:
        """The diverse account ``account_id`` as ``checklists/accounts.yaml`` defines it."""
        try:
            return self.checklists.account(account_id)
        except KeyError:
            known = ", ".join(a.id for a in self.checklists.accounts) or "none"
            raise LookupError(
                f"no account {account_id!r} in the checklists' accounts (known: {known})"
            ) from None

    @property
    def has_production(self) -> bool:
        """Whether production's values can be asked for (the profile has a population)."""
        return self._open_production is not None

    def against_production(self, account: str) -> AccountComparison:
        """Every compared field of ``account`` (its key): its rows in production's baseline
        beside the same population queries asked of staging now, for that account alone.
        LookupError when the profile has no population section; BaselineRefused when the
        baseline is missing or of another bill run."""
        if self._open_production is None:
            raise LookupError("the profile has no population section: production's values "
                              "cannot be asked for")
        return self._open_production().account(account)

    def check_account(self, account: str, check: str, expected: object, actual: object, *,
                      name: str | None = None, label: str | None = None,
                      expected_from: ExpectedFrom = ExpectedFrom.FEATURE) -> None:
        """Record ``account``'s ``check`` in the run record, then assert it. ``account`` is
        the key the target knows it by; ``name`` its display name on staging (read from the
        target when not given), ``label`` the checklist's id for it (ACC-BOB);
        ``expected_from`` where the hand-written value was written."""
        want, got = normalise(expected), normalise(actual)
        ok = want == got
        self._record_check(
            AccountCheck(
                account=account,
                check=check,
                expected=want if want is not None else "None",
                actual=got,
                ok=ok,
                scenario=self.scenario,
                name=name if name is not None else self.display_name(account),
                label=label,
                expected_from=expected_from,
            )
        )
        shown = f"{label} ({account})" if label else account
        if not ok:  # raised, not asserted: pytest rewrites this plugin's asserts, and the
            # report shows the message alone
            raise AssertionError(f"account {shown}: {check}: expected {want}, got {got}")

    def check_production(self, account: str, check: FieldCheck, *, name: str | None = None,
                         label: str | None = None) -> None:
        """Record one field against production (`against_production`), then assert it: the
        message and the record carry production's value (or the hand-written override of
        it, recorded as from the checklist) beside staging's."""
        self._record_check(
            AccountCheck(
                account=account,
                check=check.name,
                expected=check.expected_text,
                actual=check.actual_text,
                ok=check.ok,
                scenario=self.scenario,
                name=name if name is not None else self.display_name(account),
                label=label,
                expected_from=(ExpectedFrom.CHECKLIST if check.overridden
                               else ExpectedFrom.PRODUCTION),
            )
        )
        shown = f"{label} ({account})" if label else account
        if not check.ok:
            raise AssertionError(f"account {shown}: {check.name}: {check.describe()}")

    def display_name(self, key: str) -> str | None:
        """The name staging shows for the account ``key`` (after sanitizing), None when the
        target has no such account or cannot say; asked once per scenario."""
        if key not in self._names:
            try:
                view = self.target.account(key)
            except TargetError:
                view = None
            self._names[key] = view.name if view is not None and view.number == key else None
        return self._names[key]
