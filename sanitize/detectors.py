"""What counts as residue in one text value: compiled patterns plus checksums, no I/O.

Each detector answers "does this value contain X" so the scanner can count
values per column without keeping any of them. Fakes are designed not to
trigger these: fake e-mails use allowed domains, fake phones the 555-01xx
range reserved for fiction. What the scan settings allow (a vendor script's
own fake numbers, a pattern) is not residue; ``find`` reports it as
``allowed:<rule>`` so the scan can say how much each allowance hid.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sanitize.hosts import is_host_name

__all__ = ["ALLOWED", "DETECTORS", "Detectors", "NumberAllowance", "iban_valid", "luhn_valid"]

DETECTORS = ("email", "phone", "card", "iban", "host", "original")
ALLOWED = "allowed:"  # prefix of what `find` reports for a value an allow rule covered

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+?1[\s.-]?|001[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)"
    r"|(?<![\w+])\+(?:\d[\s.-]?){7,14}\d(?!\d)"
    r"|(?<![\w+.-])\d{10}(?:x\d{1,5})?(?![\w.-])")
_FICTION = re.compile(r"^1?[2-9]\d\d55501\d\d$")
_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_URL_HOST = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s\"']*@)?(\[[0-9a-fA-F:.]+\]|"
                       r"[^/:\s?#\"'<>\\,;)\]}]+)")
_IPV4 = re.compile(r"(?<![\d.vV])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")  # not v1.2.3.4
_HOSTNAME = re.compile(r"^\s*((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
                       r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}))\.?\s*$")
_NON_DIGITS = re.compile(r"\D")
# A date or time as databases write it (2026-11-01, 2026-12-02 07:41:07.216314,
# 2026-11-01T10:00:00+01:00): no detector can fire on one (proved by the tests against
# the detectors themselves), and they are a large share of a billing database's text.
_MOMENT = re.compile(r"\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?"
                     r"(?:Z|[+-]\d\d:?\d\d)?)?")
# Addresses that identify no machine: "this network", loopback, multicast, the reserved
# block (netmasks such as 255.255.255.0, broadcast) and the documentation ranges.
_ANONYMOUS_NETS = tuple(ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4",
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every payment card number passes."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (spaces allowed)."""
    iban = candidate.replace(" ", "")
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _anonymous(host: str) -> bool:
    """An IP that identifies no machine (loopback, netmask, documentation range…)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        return address.is_loopback or address.is_unspecified
    return any(address in net for net in _ANONYMOUS_NETS)


@dataclass(frozen=True)
class NumberAllowance:
    """Phone or card numbers that are not residue: a digit prefix, or a range of equally long
    numbers. ``label`` names the rule in the scan result."""

    label: str
    prefix: str = ""
    low: int = 0
    high: int = -1
    length: int = 0

    def covers(self, digits: str) -> bool:
        if self.length:
            return len(digits) == self.length and self.low <= int(digits) <= self.high
        return digits.startswith(self.prefix)


@dataclass
class Detectors:
    """The residue detectors with this scan's allowlists."""

    allow_domains: tuple[str, ...]
    allow_hosts: tuple[str, ...]
    allow_numbers: tuple[NumberAllowance, ...] = ()
    allow_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    _hosts: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.allow_domains = tuple(d.lower().strip(".") for d in self.allow_domains)
        self._hosts = frozenset(h.lower().strip("[]").rstrip(".") for h in self.allow_hosts)

    @classmethod
    def make(cls, allow_domains: Iterable[str], allow_hosts: Iterable[str],
             allow_numbers: Iterable[NumberAllowance] = (),
             allow_patterns: Iterable[tuple[str, re.Pattern[str]]] = ()) -> Detectors:
        return cls(tuple(allow_domains), tuple(allow_hosts), tuple(allow_numbers),
                   tuple(allow_patterns))

    def _allowed_domain(self, domain: str) -> bool:
        domain = domain.lower().rstrip(".")
        return any(domain == d or domain.endswith("." + d) for d in self.allow_domains)

    def _allowed_host(self, host: str) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        return host in self._hosts or self._allowed_domain(host)

    def _number_rule(self, digits: str) -> str | None:
        for rule in self.allow_numbers:
            if rule.covers(digits):
                return rule.label
        return None

    def find(self, value: str) -> set[str]:
        """The detectors that fire on ``value`` (at most one count each), plus
        ``allowed:<rule>`` for each allow rule that covered part of it."""
        if not self.allow_patterns and _MOMENT.fullmatch(value):
            return set()
        return self._find(value)

    def _find(self, value: str) -> set[str]:
        found: set[str] = set()
        for label, pattern in self.allow_patterns:
            value, hits = pattern.subn(" ", value)
            if hits:
                found.add(ALLOWED + label)
        if "@" in value:
            if any(not self._allowed_domain(m.group(1)) for m in _EMAIL.finditer(value)):
                found.add("email")
            # Digits inside an allowed address (a fake's keyed suffix) are no card or phone.
            value = _EMAIL.sub(
                lambda m: " " if self._allowed_domain(m.group(1)) else m.group(), value
            )
        digits = sum(map(str.isdigit, value))
        if digits >= 7 and self._phone(value, found):
            found.add("phone")
        if digits >= 13 and self._card(value, found):
            found.add("card")
        if digits >= 2 and any(iban_valid(m.group()) for m in _IBAN.finditer(value)):
            found.add("iban")
        if ("." in value or ":" in value) and self._host(value):
            found.add("host")
        return found

    def find_number(self, digits: str) -> set[str]:
        """Detectors for a number stored as a number (its decimal digits, no sign).

        Stricter than text: a phone is a valid North American number (ten digits,
        area code and exchange not starting with 0 or 1) and a card does not start
        with 1 — so epoch seconds and milliseconds, the commonest long integers,
        are neither.
        """
        found: set[str] = set()
        size = len(digits)
        if size == 10 and digits[0] > "1" and digits[3] > "1" and not _FICTION.match(digits):
            self._unless_allowed(digits, "phone", found)
        if 13 <= size <= 19 and digits[0] != "1" and luhn_valid(digits):
            self._unless_allowed(digits, "card", found)
        return found

    def _unless_allowed(self, digits: str, detector: str, found: set[str]) -> bool:
        rule = self._number_rule(digits) if self.allow_numbers else None
        if rule is None:
            found.add(detector)
            return True
        found.add(ALLOWED + rule)
        return False

    def _phone(self, value: str, found: set[str]) -> bool:
        hit = False
        for match in _PHONE.finditer(value):
            number = _NON_DIGITS.sub("", match.group().split("x")[0])
            if number.startswith("001"):
                number = number[2:]
            if not _FICTION.match(number) and self._unless_allowed(number, "phone", found):
                hit = True
        return hit

    def _card(self, value: str, found: set[str]) -> bool:
        hit = False
        for match in _CARD.finditer(value):
            number = _NON_DIGITS.sub("", match.group())
            if luhn_valid(number) and self._unless_allowed(number, "card", found):
                hit = True
        return hit

    def _host(self, value: str) -> bool:
        for match in _URL_HOST.finditer(value):
            host = match.group(1)
            if not self._allowed_host(host) and not _anonymous(host.strip("[]")):
                return True
        for match in _IPV4.finditer(value):
            address = match.group()
            if _is_ip(address) and not _anonymous(address) and not self._allowed_host(address):
                return True
        whole = _HOSTNAME.match(value)
        if whole and "@" not in value:
            host = whole.group(1)
            if is_host_name(host) and not self._allowed_host(host):
                return True
        return False
