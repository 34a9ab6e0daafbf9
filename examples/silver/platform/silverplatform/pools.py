"""Realistic names, addresses and phones, made once per locale with Faker, then picked.

Faker is slow per call (tens of microseconds to milliseconds), so it fills a small pool per
locale once and the generator draws from the pools with its own seeded random stream:
thousands of customers cost a few thousand Faker calls, not one per field per row. Names repeat,
as they do in real customer bases.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker

POOL = {"first": 150, "last": 200, "street": 250, "city": 80, "postcode": 150, "phone": 300,
        "company": 80, "state": 40}


@dataclass(frozen=True)
class Pool:
    first: tuple[str, ...]
    last: tuple[str, ...]
    street: tuple[str, ...]
    city: tuple[str, ...]
    postcode: tuple[str, ...]
    phone: tuple[str, ...]
    company: tuple[str, ...]
    state: tuple[str, ...]
    domains: tuple[str, ...]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def email(first: str, last: str, number: int, domain: str) -> str:
    return f"{_ascii(first)}.{_ascii(last)}{number}@{domain}"


def build(locale: str, seed: int) -> Pool:
    fake = Faker(locale)
    fake.seed_instance(seed)

    def many(n: int, make: Callable[[], object]) -> tuple[str, ...]:
        return tuple(str(make()) for _ in range(n))

    state = getattr(fake, "state", None) if locale == "en_US" else None
    domains = sorted({fake.free_email_domain() for _ in range(40)})
    return Pool(
        first=many(POOL["first"], fake.first_name),
        last=many(POOL["last"], fake.last_name),
        street=many(POOL["street"], fake.street_address),
        city=many(POOL["city"], fake.city),
        postcode=many(POOL["postcode"], fake.postcode),
        phone=many(POOL["phone"], fake.phone_number),
        company=many(POOL["company"], fake.company),
        state=many(POOL["state"], state) if state else (),
        domains=tuple(domains),
    )


def pools(locales: list[str], seed: int) -> dict[str, Pool]:
    """One pool per locale, each seeded from ``seed`` and the locale's position."""
    return {loc: build(loc, seed * 1009 + i) for i, loc in enumerate(sorted(set(locales)))}


def pick(rng: random.Random, values: tuple[str, ...]) -> str:
    return values[rng.randrange(len(values))]
