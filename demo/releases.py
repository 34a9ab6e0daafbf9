"""The demo platform's releases: what production runs, the new release, and the new
release with one known regression each.

Code that behaves differently per release asks ``release.has(Fault.X)`` or
``release.at_least("1.1")`` at a place marked ``# REGRESSION(<fault>)`` so that a
reader can find every injected fault with one grep.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    YEARLY_ONE_MONTH = "yearly-one-month"
    POOL_NOT_SHARED = "pool-not-shared"
    DISCOUNT_TWICE = "discount-twice"
    ECHECK_BROKEN = "echeck-broken"
    SUPPORT_NO_TICKET_EDIT = "support-no-ticket-edit"
    MAIL_HARDCODED_HOST = "mail-hardcoded-host"
    BILLDAY31_ERRORS = "billday31-errors"
    PORTAL_STALE_BALANCE = "portal-stale-balance"


@dataclass(frozen=True)
class Release:
    name: str
    base: str  # "1.0" or "1.1"
    summary: str
    notes: tuple[str, ...] = ()
    faults: frozenset[Fault] = field(default_factory=frozenset)

    def has(self, fault: Fault) -> bool:
        return fault in self.faults

    def at_least(self, version: str) -> bool:
        return tuple(int(p) for p in self.base.split(".")) >= tuple(
            int(p) for p in version.split(".")
        )

    @property
    def regressed(self) -> bool:
        return bool(self.faults)


NOTES_1_1 = (
    "New feature: staff can post a credit adjustment to an account from the admin "
    "portal (Account > Credit adjustment); it appears on the next invoice.",
    "New permission: adjustments.create gates the credit adjustment; it is granted "
    "to the admin and billing roles only.",
)


def _regressed(fault: Fault, summary: str) -> Release:
    return Release(
        name=f"1.1-{fault.value}",
        base="1.1",
        summary=f"1.1 with a regression: {summary}",
        notes=NOTES_1_1,
        faults=frozenset({fault}),
    )


RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release("1.0", "1.0", "what production runs (the baseline release)"),
        Release("1.1", "1.1", "the new release: credit adjustments", NOTES_1_1),
        _regressed(Fault.YEARLY_ONE_MONTH, "yearly packages advance by one month"),
        _regressed(Fault.POOL_NOT_SHARED, "pooled minutes are not shared across children"),
        _regressed(Fault.DISCOUNT_TWICE, "a discount is applied twice"),
        _regressed(Fault.ECHECK_BROKEN, "the eCheck processor integration is broken"),
        _regressed(Fault.SUPPORT_NO_TICKET_EDIT, "the support role loses tickets.edit"),
        _regressed(
            Fault.MAIL_HARDCODED_HOST,
            "invoice emails go to a hard-coded host, not the configured one",
        ),
        _regressed(Fault.BILLDAY31_ERRORS, "the bill run logs errors for bill-day-31 accounts"),
        _regressed(
            Fault.PORTAL_STALE_BALANCE,
            "the customer portal shows the balance from before the bill run",
        ),
    )
}

DEFAULT_RELEASE = "1.1"
RELEASE_ENV = "DEMO_RELEASE"


class UnknownRelease(ValueError):
    pass


def get_release(name: str | None = None) -> Release:
    """The named release, else ``$DEMO_RELEASE``, else the new release (1.1)."""
    name = name or os.environ.get(RELEASE_ENV) or DEFAULT_RELEASE
    try:
        return RELEASES[name]
    except KeyError:
        known = ", ".join(RELEASES)
        raise UnknownRelease(f"unknown demo release {name!r}; known releases: {known}") from None
