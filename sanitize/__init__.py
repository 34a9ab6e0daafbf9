"""golive's sanitizer: deterministic set-based rules, vendor scripts, and the PII scanner.

    from sanitize import sanitize, scan, take_original_sample
    sample = take_original_sample(url, Path("sanitize/rules/demo.yaml"))
    result = sanitize(url, Path("sanitize/rules/demo.yaml"), sinks={"smtp": "127.0.0.1"})
    residue = scan(url, originals=sample)      # residue.clean is the verdict
"""

from __future__ import annotations

from sanitize.api import (
    DEFAULT_ALLOW_DOMAINS,
    DEFAULT_ALLOW_HOSTS,
    run_vendor_scripts,
    sanitize,
    scan,
    take_original_sample,
)
from sanitize.engine import SanitizeFailed
from sanitize.keyed import SaltMissing
from sanitize.originals import OriginalSample
from sanitize.report import Finding, SanitizeResult, ScanResult
from sanitize.rules import Rules, load_rules
from sanitize.scanconfig import ScanSettings, load_scan_settings
from sanitize.vendor import ScriptFailed

__all__ = [
    "DEFAULT_ALLOW_DOMAINS",
    "DEFAULT_ALLOW_HOSTS",
    "Finding",
    "OriginalSample",
    "Rules",
    "SaltMissing",
    "SanitizeFailed",
    "SanitizeResult",
    "ScanResult",
    "ScanSettings",
    "ScriptFailed",
    "load_rules",
    "load_scan_settings",
    "run_vendor_scripts",
    "sanitize",
    "scan",
    "take_original_sample",
]
