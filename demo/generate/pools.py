"""Faker value pools: Faker is called a few thousand times up front, never once per row,
so 100,000 accounts can be made in seconds by combining pool values with random choices."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from faker import Faker

_NOT_EMAIL = re.compile(r"[^a-z]")

# Test card numbers a customer might read out over the phone (they end up in notes).
READ_OUT_CARDS = ("4111 1111 1111 1111", "5555 5555 5555 4444", "4000 0000 0000 0002")


@dataclass
class Pools:
    """Pre-drawn realistic values plus counters that keep emails unique."""

    rng: random.Random
    first_names: list[str]
    last_names: list[str]
    streets: list[str]
    places: list[tuple[str, str]]  # (city, postcode)
    phones: list[str]
    companies: list[str]
    domains: list[str]
    ibans: list[str]
    routings: list[str]
    sentences: list[str]
    _email_counter: int = 0

    def first(self) -> str:
        return self.rng.choice(self.first_names)

    def last(self) -> str:
        return self.rng.choice(self.last_names)

    def phone(self) -> str:
        return self.rng.choice(self.phones)

    def street(self) -> str:
        return self.rng.choice(self.streets)

    def place(self) -> tuple[str, str]:
        return self.rng.choice(self.places)

    def company(self) -> str:
        return self.rng.choice(self.companies)

    def iban(self) -> str:
        return self.rng.choice(self.ibans)

    def routing(self) -> str:
        return self.rng.choice(self.routings)

    def sentence(self) -> str:
        return self.rng.choice(self.sentences)

    def email(self, first: str, last: str) -> str:
        """A unique address: the trailing counter makes it unique (names hold no digits)."""
        self._email_counter += 1
        n = self._email_counter
        f = _NOT_EMAIL.sub("", first.lower()) or "user"
        last_part = _NOT_EMAIL.sub("", last.lower()) or "mail"
        pattern = self.rng.randrange(3)
        if pattern == 0:
            local = f"{f}.{last_part}{n}"
        elif pattern == 1:
            local = f"{f[0]}{last_part}{n}"
        else:
            local = f"{last_part}.{f}{n}"
        return f"{local}@{self.rng.choice(self.domains)}"

    def hex_token(self, nbytes: int = 8) -> str:
        return f"{self.rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"


def build_pools(seed: int, rng: random.Random, size: int = 2000) -> Pools:
    """Draw every pool from one seeded Faker so the same seed gives the same values."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    first_names = [fake.first_name() for _ in range(size)]
    last_names = [fake.last_name() for _ in range(size)]
    streets = [fake.street_address() for _ in range(size)]
    places = [(fake.city(), fake.zipcode()) for _ in range(size // 2)]
    phones = [fake.phone_number() for _ in range(size)]
    companies = [fake.company() for _ in range(size // 4)]
    domains = sorted({fake.free_email_domain() for _ in range(50)} | {
        fake.domain_name() for _ in range(30)
    })
    ibans = [fake.iban() for _ in range(200)]
    routings = [fake.aba() for _ in range(300)]
    sentences = [fake.sentence(nb_words=8) for _ in range(300)]
    return Pools(
        rng=rng,
        first_names=first_names,
        last_names=last_names,
        streets=streets,
        places=places,
        phones=phones,
        companies=companies,
        domains=domains,
        ibans=ibans,
        routings=routings,
        sentences=sentences,
    )
