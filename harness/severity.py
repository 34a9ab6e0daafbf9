"""Severity levels of a failure and the resolution due date each implies.

From the support flow (seeds/001): severe 1 day, high 1–3 days, medium 3–4
days, low 5–10 days, enhancement at the provider's discretion. The due date
uses the upper bound of each range: a release manager plans with the latest
date the flow still allows.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Severity(StrEnum):
    SEVERE = "severe"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    ENHANCEMENT = "enhancement"

    @property
    def resolution(self) -> str:
        return _RESOLUTION[self][0]

    @property
    def max_days(self) -> int | None:
        return _RESOLUTION[self][1]

    @property
    def rank(self) -> int:
        """0 is the worst; used to sort failures."""
        return list(Severity).index(self)

    def due_date(self, found_on: dt.date) -> dt.date | None:
        days = self.max_days
        return None if days is None else found_on + dt.timedelta(days=days)


_RESOLUTION: dict[Severity, tuple[str, int | None]] = {
    Severity.SEVERE: ("1 day", 1),
    Severity.HIGH: ("1–3 days", 3),
    Severity.MEDIUM: ("3–4 days", 4),
    Severity.LOW: ("5–10 days", 10),
    Severity.ENHANCEMENT: ("at the provider's discretion", None),
}

SEVERITY_NAMES = [s.value for s in Severity]
