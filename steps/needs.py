"""`needs`: a step declares the target capabilities it cannot do without.

Declared once, used twice: `golive checklist` predicts from it which checklist
items a target can verify (the plugin's collect-only export reads it through
pytest-bdd's matcher), and the plugin checks it before the step runs, so a
step never starts on a target that lacks what it declared — the scenario is
NOT APPLICABLE, exactly as predicted. Declare what a step *always* needs; a
need that depends on the data (an account's pooled minutes) stays a
`require` inside the step.

    @needs("provisioning")
    @then("no provisioning request of the bill run failed")
    def none_failed(golive: GoliveContext) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from harness.targets.base import CAPABILITIES

__all__ = ["needed_by", "needs"]

F = TypeVar("F", bound=Callable[..., object])
_ATTRIBUTE = "__golive_needs__"


def needs(*capabilities: str) -> Callable[[F], F]:
    """Mark a step function as needing ``capabilities`` (attribute names of the Target,
    e.g. ``"provisioning"``); an unknown name is an error when the step module loads."""
    unknown = [c for c in capabilities if c not in CAPABILITIES]
    if unknown or not capabilities:
        raise ValueError(f"needs({', '.join(map(repr, capabilities))}): "
                         f"{'unknown capability ' + ', '.join(unknown) if unknown else 'name one'}"
                         f" (known: {', '.join(CAPABILITIES)})")

    def mark(function: F) -> F:
        setattr(function, _ATTRIBUTE, needed_by(function) | frozenset(capabilities))
        return function

    return mark


def needed_by(function: object) -> frozenset[str]:
    """The capabilities ``function`` declared with `needs` (empty when none)."""
    found: object = getattr(function, _ATTRIBUTE, None)
    return found if isinstance(found, frozenset) else frozenset()
