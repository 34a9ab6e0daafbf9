"""Is a bare dotted name a host, or a code identifier that only looks like one?

ERP and application data are full of dotted identifiers: model names
(``account.tax``, ``res.partner.bank``), Python attributes (``logging.info``),
Java packages (``com.example.Foo``), file names (``setup.py``), SQL qualified
names (``public.events``). Most end in a label that *is* a top-level domain
today, so "ends in a TLD" flags hundreds of them. A bare name counts as a host
here only when all of this holds:

- its suffix is an ICANN public suffix with a registrable label before it
  (the Public Suffix List bundled with ``publicsuffixlist``, read from the
  package, never fetched; unknown and reserved suffixes such as ``.test``,
  ``.internal``, ``.local`` are not registrable, so never a host);
- the suffix is not written in mixed case (``com.example.Foo``,
  ``System.Web.UI``: hosts are written lower case or all capitals);
- it is not a reverse domain (3+ labels starting with ``com.``, ``org.``…);
- its top-level domain is a strong one (a country code, or one of the legacy
  generic TLDs ``com``, ``net``, ``org``…) — or, for the generic-word TLDs
  (``.tax``, ``.page``, ``.bank``, ``.app``, ``.info``, ``.name``…) and the
  country codes that read as file extensions or attributes (``.py``, ``.md``,
  ``.id``…), the name also carries a mark of a host: a digit or hyphen in a
  label, or a service label in front (``www``, ``smtp``, ``mx``…).

Inside a URL or an e-mail address and as an IP, any host counts: this module
only judges names standing alone. What it gets wrong either way is what the
scan settings are for (``allow_hosts``, ``allow_patterns``, exclusions).
"""

from __future__ import annotations

from functools import cache

from publicsuffixlist import PublicSuffixList

__all__ = ["is_host_name"]

# Legacy generic TLDs: almost never the last word of a code identifier.
_STRONG_GENERIC = frozenset({
    "com", "net", "org", "edu", "gov", "mil", "int", "biz", "pro", "mobi", "asia", "tel",
    "travel", "coop", "aero", "museum", "cat", "post",
})
# Country codes that are also file extensions or attribute names (setup.py, README.md,
# build.sh, main.rs, libc.so, main.cc, Foo.pm, messages.mo, model.ml, obj.id).
_CODE_WORD_COUNTRIES = frozenset({"py", "md", "sh", "rs", "so", "cc", "pm", "mo", "ml", "id"})
# First labels that make a name a host whatever its TLD.
_SERVICE_LABELS = frozenset({
    "www", "smtp", "imap", "pop", "pop3", "ftp", "sftp", "mx", "ns", "webmail", "vpn",
    "ldap", "ldaps", "radius",
})
# Roots of reverse-domain identifiers (Java/Android packages, bundle ids).
_REVERSED_ROOTS = frozenset({"com", "org", "net", "edu", "gov", "mil", "int", "io", "biz",
                             "info"})


@cache
def _psl() -> PublicSuffixList:
    """The bundled list, parsed once (ICANN section only: private entries such as
    ``blogspot.com`` would make ``x.blogspot.com`` look more registrable than it is)."""
    return PublicSuffixList(accept_unknown=False, only_icann=True)


def _strong(suffix: str) -> bool:
    if "." in suffix:  # co.uk, com.au, co.id: no identifier ends like that by chance
        return True
    if len(suffix) == 2 or suffix.startswith("xn--"):
        return suffix not in _CODE_WORD_COUNTRIES
    return suffix in _STRONG_GENERIC


def _marked(labels: list[str]) -> bool:
    """A digit or hyphen in a label, or a service label in front: written as a host."""
    if labels[0] in _SERVICE_LABELS:
        return True
    return any(c.isdigit() or c == "-" for label in labels for c in label)


def is_host_name(name: str) -> bool:
    """Whether ``name`` (a bare dotted name, already syntactically a host name) is a host."""
    name = name.rstrip(".")
    suffix = _psl().publicsuffix(name, keep_case=True)
    if suffix is None or len(suffix) >= len(name):
        return False  # unknown or reserved suffix, or nothing registrable in front of it
    if suffix != suffix.lower() and name != name.upper():
        return False  # com.example.Foo, System.Web.UI
    lower = name.lower()
    labels = lower.split(".")
    if len(labels) >= 3 and labels[0] in _REVERSED_ROOTS:
        return False  # com.example.billing.app
    suffix = suffix.lower()
    if _strong(suffix):
        return True
    return _marked(labels[: len(labels) - suffix.count(".") - 1])
