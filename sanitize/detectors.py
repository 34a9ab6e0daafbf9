"""What counts as residue in one text value: compiled patterns plus checksums, no I/O.

Each detector answers "does this value contain X" so the scanner can count
values per column without keeping any of them. Fakes are designed not to
trigger these: fake e-mails use allowed domains, fake phones the 555-01xx
range reserved for fiction.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DETECTORS", "Detectors", "iban_valid", "luhn_valid"]

DETECTORS = ("email", "phone", "card", "iban", "host", "original")

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
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_HOSTNAME = re.compile(r"^\s*((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
                       r"\.?\s*$")
# A bare dotted word ("billing.run", "accounts.view") is a host only when its last label is
# a common TLD or a private-network suffix; inside a URL or as an IP any host counts.
_HOST_TLDS = {"com", "net", "org", "io", "co", "biz", "info", "us", "uk", "de", "fr", "nl", "eu",
              "ca", "au", "example", "test", "local", "localdomain", "internal", "intranet",
              "lan", "corp", "home", "private", "cloud", "app", "dev", "svc"}


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


@dataclass
class Detectors:
    """The residue detectors with this scan's allowlists."""

    allow_domains: tuple[str, ...]
    allow_hosts: tuple[str, ...]

    @classmethod
    def make(cls, allow_domains: Iterable[str], allow_hosts: Iterable[str]) -> Detectors:
        return cls(tuple(d.lower().strip(".") for d in allow_domains),
                   tuple(h.lower() for h in allow_hosts))

    def _allowed_domain(self, domain: str) -> bool:
        domain = domain.lower().rstrip(".")
        return any(domain == d or domain.endswith("." + d) for d in self.allow_domains)

    def _allowed_host(self, host: str) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        return host in self.allow_hosts or self._allowed_domain(host)

    def find(self, value: str) -> set[str]:
        """The detectors that fire on ``value`` (at most one count each)."""
        found: set[str] = set()
        if "@" in value and any(not self._allowed_domain(m.group(1))
                                for m in _EMAIL.finditer(value)):
            found.add("email")
        # Digits inside an allowed address (a fake's keyed suffix) are not a card or phone.
        value = _EMAIL.sub(
            lambda m: " " if self._allowed_domain(m.group(1)) else m.group(), value
        )
        digits = sum(c.isdigit() for c in value)
        if digits >= 7 and self._phone(value):
            found.add("phone")
        if digits >= 13 and any(luhn_valid(re.sub(r"[ -]", "", m.group()))
                                for m in _CARD.finditer(value)):
            found.add("card")
        if digits >= 2 and any(iban_valid(m.group()) for m in _IBAN.finditer(value)):
            found.add("iban")
        if ("." in value or ":" in value) and self._host(value):
            found.add("host")
        return found

    def _phone(self, value: str) -> bool:
        for match in _PHONE.finditer(value):
            number = re.sub(r"\D", "", match.group().split("x")[0])
            if number.startswith("001"):
                number = number[2:]
            if not _FICTION.match(number):
                return True
        return False

    def _host(self, value: str) -> bool:
        for match in _URL_HOST.finditer(value):
            if not self._allowed_host(match.group(1)):
                return True
        for match in _IPV4.finditer(value):
            try:
                ipaddress.IPv4Address(match.group())
            except ValueError:
                continue
            if not self._allowed_host(match.group()):
                return True
        whole = _HOSTNAME.match(value)
        if whole and "@" not in value:
            host = whole.group(1)
            if host.rsplit(".", 1)[-1].lower() in _HOST_TLDS and not self._allowed_host(host):
                return True
        return False
