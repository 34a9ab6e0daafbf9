"""Fake value pools: Faker is called a few thousand times per run, never once per row.

Each kind gets up to ``size`` distinct values from one seeded Faker, so the
pools (and therefore every fake) are the same on every run with the same seed
and Faker version. The engine loads them into a temporary table and the SQL
picks ``pool[keyed_hash(original) % n]``. Fake e-mails live under the reserved
example.com/.org/.net domains and fake phones in the 555-01xx range reserved
for fiction, so the scanner never mistakes a fake for residue.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from faker import Faker

from sanitize.rules import FAKE_KINDS

__all__ = ["EMAIL_DOMAINS", "Pools", "build_pools"]

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_NOT_LOCAL = re.compile(r"[^a-z0-9]+")
Pools = dict[str, list[str]]


def _fiction_phone(rng: random.Random) -> str:
    area = rng.randint(201, 989)
    line = rng.randint(0, 99)
    style = rng.randrange(3)
    if style == 0:
        return f"({area}) 555-01{line:02d}"
    if style == 1:
        return f"{area}-555-01{line:02d}"
    return f"+1 {area} 555 01{line:02d}"


def _email(fake: Faker, rng: random.Random) -> str:
    first = _NOT_LOCAL.sub("", fake.first_name().lower()) or "user"
    last = _NOT_LOCAL.sub("", fake.last_name().lower()) or "mail"
    local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{last}.{first}"))
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def _distinct(make: Callable[[], str], size: int) -> list[str]:
    """Up to ``size`` distinct values (fewer when the kind has fewer), in drawing order."""
    seen: dict[str, None] = {}
    attempts = 0
    while len(seen) < size and attempts < size * 4:
        seen.setdefault(make().replace("\n", ", "), None)
        attempts += 1
    return list(seen)


def build_pools(kinds: Iterable[str], size: int, seed: int) -> Pools:
    """The pools of ``kinds``; the same arguments always give the same values."""
    return {kind: list(_pool(kind, size, seed)) for kind in sorted(set(kinds))}


@lru_cache(maxsize=64)
def _pool(kind: str, size: int, seed: int) -> tuple[str, ...]:
    """One kind's pool (cached: a process that sanitises twice draws once)."""
    if kind not in FAKE_KINDS:
        raise ValueError(f"unknown fake kind {kind!r}")
    fake = Faker("en_US")
    fake.seed_instance(f"{seed}:{kind}")
    rng = random.Random(f"{seed}:{kind}")
    makers: dict[str, Callable[[], str]] = {
        "person_name": lambda: f"{fake.first_name()} {fake.last_name()}",
        "first_name": fake.first_name,
        "last_name": fake.last_name,
        "email": lambda: _email(fake, rng),
        "phone": lambda: _fiction_phone(rng),
        "street_address": fake.street_address,
        "city": fake.city,
        "postcode": fake.postcode,
        "company": fake.company,
        "free_text": lambda: fake.sentence(nb_words=10),
    }
    return tuple(_distinct(makers[kind], size))
