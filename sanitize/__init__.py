"""golive's sanitiser: deterministic set-based rules, vendor scripts, and the PII scanner.

    from sanitize import sanitise, scan, take_original_sample
    sample = take_original_sample(url, Path("sanitize/rules/demo.yaml"))
    result = sanitise(url, Path("sanitize/rules/demo.yaml"), sinks={"smtp": "127.0.0.1"})
    residue = scan(url, originals=sample)      # residue.clean is the verdict
"""

from __future__ import annotations

from sanitize.api import (
    DEFAULT_ALLOW_DOMAINS,
    DEFAULT_ALLOW_HOSTS,
    run_vendor_scripts,
    sanitise,
    scan,
    take_original_sample,
)
from sanitize.engine import SanitiseFailed
from sanitize.keyed import SaltMissing
from sanitize.originals import OriginalSample
from sanitize.report import Finding, SanitiseResult, ScanResult
from sanitize.rules import Rules, load_rules
from sanitize.vendor import ScriptFailed

__all__ = [
    "DEFAULT_ALLOW_DOMAINS",
    "DEFAULT_ALLOW_HOSTS",
    "Finding",
    "OriginalSample",
    "Rules",
    "SaltMissing",
    "SanitiseFailed",
    "SanitiseResult",
    "ScanResult",
    "ScriptFailed",
    "load_rules",
    "run_vendor_scripts",
    "sanitise",
    "scan",
    "take_original_sample",
]
