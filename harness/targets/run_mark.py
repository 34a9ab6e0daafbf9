"""What golive knows of the bill run it started on a staging database: the run's mark.

Many platforms keep no record of their bill runs. golive then identifies the run itself:
just before it starts the bill-run command it takes a **watermark** — the profile's
``bill_run_watermark`` query, e.g. the highest invoice id — and notes the time; the run is
what appeared above the watermark. Queries may use ``:watermark``, ``:started_at`` and
``:run_date``. The mark is kept in golive's state folder under a key of the staging
database, so every process that opens the target (pytest workers, a reused staging) binds
the same values; a restore clears it (the restored data holds no run of golive's).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.config import Profile

__all__ = ["RunMark", "clear", "load", "save"]

Watermark = int | float | Decimal | str | dt.datetime | dt.date | None


@dataclass(frozen=True)
class RunMark:
    """The watermark taken before golive's bill run, when it started, and for which date."""

    watermark: Watermark
    started_at: dt.datetime  # aware
    run_date: dt.date

    def to_dict(self) -> dict[str, Any]:
        return {"watermark": _encode(self.watermark), "started_at": self.started_at.isoformat(),
                "run_date": self.run_date.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunMark:
        return cls(watermark=_decode(data.get("watermark")),
                   started_at=dt.datetime.fromisoformat(str(data["started_at"])),
                   run_date=dt.date.fromisoformat(str(data["run_date"])))

    def binds(self, dialect: str) -> dict[str, Any]:
        """``:watermark``, ``:started_at``, ``:run_date`` as a query on ``dialect`` compares
        them: SQLite keeps dates and times as text (local time, like ``:since``)."""
        if dialect != "sqlite":
            return {"watermark": self.watermark, "started_at": self.started_at,
                    "run_date": self.run_date}
        local = self.started_at.astimezone().replace(tzinfo=None)
        return {"watermark": self.watermark, "started_at": local.isoformat(sep=" "),
                "run_date": self.run_date.isoformat()}

    def shown(self) -> dict[str, Any]:
        """As stage evidence: plain JSON values."""
        value = self.watermark
        plain = value.isoformat() if isinstance(value, dt.date) else (
            str(value) if isinstance(value, Decimal) else value)
        return {"watermark": plain, "started_at": self.started_at.isoformat(),
                "run_date": self.run_date.isoformat()}


def _encode(value: Watermark) -> dict[str, Any]:
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": str(value)}
    return {"type": "plain", "value": value}


def _decode(data: Any) -> Watermark:
    if not isinstance(data, dict):
        return None
    kind, value = data.get("type"), data.get("value")
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value))
    if kind == "date":
        return dt.date.fromisoformat(str(value))
    if kind == "decimal":
        return Decimal(str(value))
    return value if isinstance(value, int | float | str) else None


def path(profile: Profile) -> Path:
    return profile.state_dir / f"bill-run-{profile.environments.staging.dsn.digest()}.json"


def save(profile: Profile, mark: RunMark) -> None:
    target = path(profile)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(mark.to_dict(), indent=2), encoding="utf-8")
    os.replace(tmp, target)


def load(profile: Profile) -> RunMark | None:
    """The mark of golive's latest bill run on staging; None when there is none (or it is
    unreadable: then no run of golive's can be identified, which queries see as NULL)."""
    try:
        return RunMark.from_dict(json.loads(path(profile).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def clear(profile: Profile) -> None:
    path(profile).unlink(missing_ok=True)
