"""What each scenario needs of the target, from what its steps declare (`steps.needs`).

Two uses of one declaration. Before a step runs, `unmet` says whether the
target lacks a capability the step declared, and the plugin makes the
scenario NOT APPLICABLE before the step (or its fixtures, e.g. a browser)
starts. At collection, ``--golive-needs PATH`` writes every scenario with the
capabilities its matched step functions declare, for `golive checklist` —
found with pytest-bdd's own matcher, as `collect.undefined_steps` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_bdd.parser import Step
from pytest_bdd.scenario import find_fixturedefs_for_step, iterparentnodeids
from pytest_bdd.steps import step_function_context_registry

from harness.applicability import ScenarioNeeds, StepNeeds, write_needs
from harness.pytest.collect import is_checklist_id, relative, rendered_scenario, template_of
from harness.targets.base import CAPABILITIES, CapabilityMissing, Target
from steps.needs import needed_by

__all__ = ["export", "step_function", "unmet"]


def step_function(step: Step, item: pytest.Item) -> Callable[..., object] | None:
    """The function pytest-bdd runs for ``step`` in ``item`` (the most specific match)."""
    found = list(find_fixturedefs_for_step(step, item.session._fixturemanager, item))
    if not found:
        return None
    found.sort(key=lambda d: list(iterparentnodeids(d.baseid)))
    context = step_function_context_registry.get(found[-1].func)
    return context.step_func if context is not None else None


def unmet(step_func: Callable[..., object], target: Callable[[], Target]
          ) -> CapabilityMissing | None:
    """The first capability ``step_func`` declared that the target lacks (the target is
    opened only for a step that declares something)."""
    wanted = needed_by(step_func)
    if not wanted:
        return None
    opened = target()
    for name in CAPABILITIES:  # a stable order: the first missing one is named
        if name in wanted and getattr(opened, name, None) is None:
            return CapabilityMissing(name)
    return None


def _scenario(item: pytest.Item, project: Path) -> ScenarioNeeds | None:
    template = template_of(item)
    if template is None:
        return None
    scenario = rendered_scenario(item, template)
    rule_tags = template.rule.tags if template.rule else set()
    tags = sorted(template.tags | template.feature.tags | rule_tags)
    steps = []
    for step in scenario.steps:
        func = step_function(step, item)
        steps.append(StepNeeds(text=f"{step.keyword} {step.name}",
                               needs=sorted(needed_by(func)) if func is not None else []))
    return ScenarioNeeds(nodeid=item.nodeid, feature=relative(template.feature.filename, project),
                         name=scenario.name, checklist_ids=[t for t in tags if is_checklist_id(t)],
                         steps=steps)


def export(path: Path, items: list[pytest.Item], project: Path) -> None:
    """Write every collected scenario's needs to ``path`` (``--golive-needs``)."""
    found = [s for s in (_scenario(item, project) for item in items) if s is not None]
    write_needs(path, found)
