"""The sanitizer's public functions: what the CLI, the pipeline and the tests call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sanitize import keyed
from sanitize.engine import apply_rules
from sanitize.originals import OriginalSample, sample_originals
from sanitize.report import SanitizeResult, ScanResult
from sanitize.rules import Rules, load_rules
from sanitize.scanconfig import DEFAULT_ALLOW_DOMAINS, DEFAULT_ALLOW_HOSTS, ScanSettings
from sanitize.scanner import scan_connection
from sanitize.schema import connect
from sanitize.vendor import run_scripts

__all__ = ["DEFAULT_ALLOW_DOMAINS", "DEFAULT_ALLOW_HOSTS", "run_vendor_scripts", "sanitize",
           "scan", "take_original_sample"]


def _rules(rules: Rules | Path) -> Rules:
    return rules if isinstance(rules, Rules) else load_rules(Path(rules))


def sanitize(url: str, rules_path: Path | Rules, salt: str | None = None,
             sinks: Mapping[str, str] | None = None) -> SanitizeResult:
    """Sanitize the database at ``url`` with the rule file ``rules_path``, all or nothing.

    ``salt`` defaults to the environment variable the rules name (SaltMissing
    when unset); ``sinks`` maps a redirect rule's sink name to its address.
    Callers check ``harness.safety.assert_staging`` first.
    """
    rules = _rules(rules_path)
    secret = keyed.resolve_salt(salt, rules.model.salt_env)
    with connect(url) as conn:
        return apply_rules(conn, rules, secret, sinks)


def run_vendor_scripts(url: str, scripts: Sequence[Path]) -> SanitizeResult:
    """Run the vendor's own .sql scripts as they are, in one transaction."""
    with connect(url) as conn:
        return run_scripts(conn, scripts)


def take_original_sample(url: str, rules: Path | Rules, salt: str | None = None,
                         limit: int = 5000) -> OriginalSample:
    """Keyed digests of originals the rules will replace (call it before `sanitize`)."""
    loaded = _rules(rules)
    secret = keyed.resolve_salt(salt, loaded.model.salt_env)
    with connect(url) as conn:
        return sample_originals(conn, loaded, secret, limit)


def scan(url: str, settings: ScanSettings | None = None,
         originals: OriginalSample | None = None, *,
         allow_domains: Sequence[str] | None = None,
         allow_hosts: Sequence[str] | None = None) -> ScanResult:
    """Scan everything readable at ``url`` for residue; counts, never values.

    ``settings`` carries the allowlists, exclusions and schemas (defaults:
    `ScanSettings()`); ``allow_domains``/``allow_hosts`` replace its lists.
    """
    settings = settings or ScanSettings()
    changes = {k: list(v) for k, v in (("allow_domains", allow_domains),
                                       ("allow_hosts", allow_hosts)) if v is not None}
    if changes:
        settings = settings.model_copy(update=changes)
    with connect(url) as conn:
        return scan_connection(conn, settings, originals)
