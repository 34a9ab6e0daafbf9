"""Remember, within one run, the hosts that failed to resolve or connect."""

from __future__ import annotations

from dataclasses import dataclass, field


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
