"""Remember, within one run, the hosts that failed to resolve or connect; and, for the
demo's production, where its real hosts are stood in (`routed`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

_ROUTES: ContextVar[Mapping[str, tuple[str, int]] | None] = ContextVar("demo_outbound_routes",
                                                                        default=None)


@contextlib.contextmanager
def routed(routes: Mapping[str, tuple[str, int]]) -> Iterator[None]:
    """Within the block, a connection to ``host:port`` in ``routes`` goes to the address it
    maps to. The demo's production uses it to reach stand-ins of its real hosts on
    127.0.0.1 while its configuration keeps naming the real ones."""
    token = _ROUTES.set(dict(routes))
    try:
        yield
    finally:
        _ROUTES.reset(token)


def route(host: str, port: int) -> tuple[str, int]:
    """Where a connection to ``host:port`` really goes (itself unless `routed`)."""
    routes = _ROUTES.get()
    return routes.get(f"{host}:{port}", (host, port)) if routes else (host, port)


class HostDown(OSError):
    """A host already known to be unreachable in this run (no new attempt was made)."""


@dataclass
class HostCache:
    """Hosts (``host:port``) that failed this run, with the first failure's reason."""

    down: dict[str, str] = field(default_factory=dict)

    def check(self, host: str, port: int) -> None:
        """Raise HostDown if ``host:port`` already failed in this run."""
        key = f"{host}:{port}"
        if key in self.down:
            raise HostDown(f"{key} unreachable (earlier in this run: {self.down[key]})")

    def mark_down(self, host: str, port: int, reason: str) -> None:
        self.down.setdefault(f"{host}:{port}", reason)
