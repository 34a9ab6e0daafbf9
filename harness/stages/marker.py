"""The reuse marker: proof that staging was fully prepared for one backup, release and date.

Written only at the end of a successful preparation and removed before any
new one starts, so a half-prepared staging database is never reused. It lives
in the profile's state folder (``report.state_dir``) under a key of the staging
database.

It also keeps what golive's sinks received while staging was prepared
(``outbound``: the invoice emails, provisioning calls and payment attempts of
the bill run, already masked as in the run record): a reuse run bills nothing,
so that is the only evidence of what the bill run sent, and the reuse run
replays it (`harness.stages.lockdown.replay`) instead of failing every
lock-down and provisioning item for want of traffic.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from common.redaction import redact_data
from harness.config import Profile
from harness.record import now
from harness.safety import safe_dsn
from harness.sections import SanitizeSection


def marker_path(profile: Profile) -> Path:
    return profile.state_dir / f"prepared-{profile.environments.staging.dsn.digest()}.json"


def clear(profile: Profile) -> None:
    marker_path(profile).unlink(missing_ok=True)


def write(profile: Profile, key: dict[str, Any], stages: dict[str, Any],
          outbound: dict[str, Any] | None = None, run_id: str | None = None,
          sanitize: SanitizeSection | None = None,
          population: dict[str, Any] | None = None) -> Path:
    """``outbound``: what the sinks caught, replayed by a reusing run; ``sanitize``: the
    record's sanitize section, a reusing run's evidence of the scan (see `sanitized`);
    ``population``: the comparison made right after the bill run (a reused staging
    carries it, since comparing again would see what the scenarios wrote since)."""
    path = marker_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**key, "prepared_at": now().isoformat(), "run_id": run_id,
            "staging": safe_dsn(profile.environments.staging.dsn), "stages": stages,
            "outbound": outbound, "population": population,
            "sections": {"sanitize": sanitize.to_dict() if sanitize is not None else None}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(redact_data(data), indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def sanitized(found: dict[str, Any]) -> SanitizeSection | None:
    """The sanitize section a marker ``found`` by `read` kept, or None."""
    sections = found.get("sections")
    kept = sections.get("sanitize") if isinstance(sections, dict) else None
    return SanitizeSection.from_dict(kept) if isinstance(kept, dict) else None


def read(profile: Profile) -> dict[str, Any] | None:
    try:
        data = json.loads(marker_path(profile).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # a damaged marker proves nothing: prepare again
    return data if isinstance(data, dict) else None
