"""Fake value pools: Faker is called a few thousand times per run, never once per row.

Each kind gets up to ``size`` distinct values from one seeded Faker, so the
pools (and therefore every fake) are the same on every run with the same seed
and Faker version (drawn pools are also kept on disk, see `cache_dir`). The SQL
picks ``pool[keyed_hash(original) % n]``: from a temporary table on SQLite,
from one bound ``bytea`` of fixed-width slots (`pack`) on PostgreSQL.
Fake e-mails live under the reserved example.com/.org/.net domains and fake
phones in the 555-01xx range reserved for fiction, so the scanner never
mistakes a fake for residue.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import faker as faker_package
from faker import Faker

from sanitize.rules import FAKE_KINDS

__all__ = ["EMAIL_DOMAINS", "Pools", "build_pools", "cache_dir", "pack"]

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
        seen.setdefault(make().replace("\n", ", ").strip(), None)
        attempts += 1
    return list(seen)


def build_pools(kinds: Iterable[str], size: int, seed: int) -> Pools:
    """The pools of ``kinds``; the same arguments always give the same values."""
    return {kind: list(_pool(kind, size, seed)) for kind in sorted(set(kinds))}


def cache_dir() -> Path:
    """Where drawn pools are kept between runs (``$XDG_CACHE_HOME/golive/pools``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "golive" / "pools"


def _cache_file(kind: str, size: int, seed: int) -> Path:
    version = getattr(faker_package, "VERSION", "unknown")
    return cache_dir() / f"{kind}-{size}-{seed}-faker{version}.json"


@lru_cache(maxsize=64)
def _pool(kind: str, size: int, seed: int) -> tuple[str, ...]:
    """One kind's pool, cached per process and on disk: drawing costs seconds, and the
    values depend only on kind, size, seed and the Faker version (all in the file name)."""
    if kind not in FAKE_KINDS:
        raise ValueError(f"unknown fake kind {kind!r}")
    path = _cache_file(kind, size, seed)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = None  # absent or unreadable: draw again and rewrite it
    if isinstance(cached, list) and cached and all(isinstance(v, str) for v in cached):
        return tuple(cached)
    values = _draw(kind, size, seed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(list(values)), encoding="utf-8")
        os.replace(scratch, path)
    except OSError:
        pass  # a read-only home only costs the next run the drawing time
    return values


def _draw(kind: str, size: int, seed: int) -> tuple[str, ...]:
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


def pack(values: list[str], homes: Mapping[int, int]) -> tuple[bytes, int]:
    """``values`` as one blob of fixed-width UTF-8 slots (space padded) and the width.

    ``homes[i]`` is the slot the keyed hash of ``values[i]`` itself picks. A value
    is never left in its own home slot (the next value that is not at home
    there takes it), so an original that equals a pool value is always replaced
    by a different one; this is what makes a per-row fallback unnecessary.
    """
    size = len(values)
    slots: list[str] = []
    for i in range(size):
        chosen = values[i]
        for step in range(size):
            candidate = values[(i + step) % size]
            if homes.get((i + step) % size) != i:
                chosen = candidate
                break
        slots.append(chosen)
    encoded = [v.encode("utf-8") for v in slots]
    width = max((len(b) for b in encoded), default=1) or 1
    return b"".join(b.ljust(width) for b in encoded), width
