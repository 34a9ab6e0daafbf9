"""The sanitizer's public functions: what the CLI, the pipeline and the tests call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sanitize import keyed
from sanitize.engine import apply_rules
from sanitize.originals import OriginalSample, sample_originals
from sanitize.report import SanitizeResult, ScanResult
from sanitize.rules import Rules, load_rules
from sanitize.scanner import scan_connection
from sanitize.schema import connect
from sanitize.vendor import run_scripts

__all__ = ["DEFAULT_ALLOW_DOMAINS", "DEFAULT_ALLOW_HOSTS", "run_vendor_scripts", "sanitize",
           "scan", "take_original_sample"]

DEFAULT_ALLOW_DOMAINS = ("example.com", "example.org", "example.net", "invalid")
DEFAULT_ALLOW_HOSTS = ("127.0.0.1", "localhost")


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


def scan(url: str, allow_domains: Sequence[str] = DEFAULT_ALLOW_DOMAINS,
         allow_hosts: Sequence[str] = DEFAULT_ALLOW_HOSTS,
         originals: OriginalSample | None = None) -> ScanResult:
    """Scan every text column of every table at ``url`` for residue; counts, never values."""
    with connect(url) as conn:
        return scan_connection(conn, allow_domains, allow_hosts, originals)
