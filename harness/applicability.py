"""Which checklist items this target can verify, and why not, before anything runs.

`golive checklist` puts three facts together: what each scenario needs (the
capabilities its steps declare with `steps.needs`, exported by the plugin in
a ``pytest --collect-only`` subprocess, so the command never imports the
step library), what the profile's target has (`capabilities`, read from the
target opened on staging and closed again — opening writes nothing), and
the checklist items with the scenarios tagged for them. An item is
*verifiable* when one of its scenarios needs nothing the target lacks, *not
on this target* when every one does (saying which capability), *manual* when
a person records its result, and *no scenario* when nothing covers it yet.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from common.errors import GoliveError
from harness.checklists import Item
from harness.config import Profile
from harness.targets.base import TargetError, capabilities
from harness.targets.loader import open_target

__all__ = ["ItemPlan", "ScenarioNeeds", "StepNeeds", "collect_needs", "plan", "read_needs",
           "target_capabilities", "write_needs"]

State = Literal["verifiable", "not_here", "manual", "no_scenario"]


class CannotTell(GoliveError):
    """The target or the features could not be read, so applicability is unknown."""

    exit_code = 2
    headline = "cannot tell what this target can verify"


@dataclass(frozen=True)
class StepNeeds:
    text: str  # "Then no provisioning request of the bill run failed"
    needs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScenarioNeeds:
    """One collected scenario, its checklist ids and what each of its steps declares."""

    nodeid: str
    feature: str
    name: str
    checklist_ids: list[str]
    steps: list[StepNeeds]

    @property
    def needs(self) -> frozenset[str]:
        return frozenset(n for step in self.steps for n in step.needs)


def write_needs(path: Path, scenarios: Sequence[ScenarioNeeds]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"scenarios": [asdict(s) for s in scenarios]}, indent=1),
                    encoding="utf-8")


def read_needs(path: Path) -> list[ScenarioNeeds]:
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    return [ScenarioNeeds(nodeid=s["nodeid"], feature=s["feature"], name=s["name"],
                          checklist_ids=list(s["checklist_ids"]),
                          steps=[StepNeeds(t["text"], list(t["needs"])) for t in s["steps"]])
            for s in data["scenarios"]]


def target_capabilities(profile: Profile) -> dict[str, bool]:
    """What the profile's staging target has; the target is opened (nothing is written or
    connected to by opening) and closed at once."""
    try:
        target = open_target(profile, "staging")
    except TargetError as exc:
        raise CannotTell(f"the target cannot be opened: {exc}") from None
    try:
        return capabilities(target)
    finally:
        target.close()


def collect_needs(profile: Profile, profile_path: Path) -> list[ScenarioNeeds]:
    """Every scenario of the profile's features with its needs: ``pytest --collect-only``
    with golive's plugin, which validates the features as a run would (nothing is
    prepared, nothing is written but the answer, in a temporary folder). No features
    folder yet (a profile still being written): no scenario, every item says so."""
    if not Path(profile.features.dir).is_dir():
        return []
    with tempfile.TemporaryDirectory(prefix="golive-needs-") as tmp:
        answer = Path(tmp) / "needs.json"
        cmd = [sys.executable, "-P", "-m", "pytest", "--collect-only", "-q", "--no-header",
               "-p", "no:cacheprovider", f"--golive-profile={profile_path}",
               f"--golive-needs={answer}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 5) or not answer.is_file():  # 5: no scenario at all
            raise CannotTell("collecting the features failed:\n" + _errors(done))
        return read_needs(answer)


def _errors(done: subprocess.CompletedProcess[str]) -> str:
    """pytest's own words about what is wrong (collection errors, a bad profile)."""
    text = (done.stdout + "\n" + done.stderr).strip()
    lines = [ln for ln in text.splitlines()
             if ln.strip() and not ln.startswith(("=", "_")) and "Interrupted" not in ln]
    return "\n".join(f"  {ln}" for ln in lines[-20:]) or f"  pytest exit code {done.returncode}"


@dataclass(frozen=True)
class ItemPlan:
    """One checklist item on this target."""

    item: Item
    state: State
    scenarios: int = 0  # scenarios tagged with the item
    applicable: int = 0  # of them, those that need nothing the target lacks
    missing: tuple[str, ...] = ()  # capabilities the inapplicable scenarios need

    @property
    def says(self) -> str:
        """``verifiable``, ``not on this target (needs provisioning: the target has no
        provisioning)``, ``manual`` or ``no scenario``."""
        if self.state == "verifiable":
            if self.applicable < self.scenarios:
                return (f"verifiable ({self.applicable} of {self.scenarios} scenarios; "
                        f"the others need {_words(self.missing)})")
            return "verifiable"
        if self.state == "not_here":
            return (f"not on this target (needs {', '.join(self.missing)}: the target has "
                    f"no {_words(self.missing, ' and no ')})")
        if self.state == "manual":
            return "manual"
        return "no scenario"


def _words(names: Iterable[str], joiner: str = ", ") -> str:
    return joiner.join(n.replace("_", " ") for n in names)


def plan(items: Sequence[Item], scenarios: Sequence[ScenarioNeeds],
         present: Mapping[str, bool]) -> list[ItemPlan]:
    """Each item's state on a target with the capabilities ``present`` (name → has it)."""
    out = []
    for item in items:
        tagged = [s for s in scenarios if item.id in s.checklist_ids]
        lacking = [sorted(n for n in s.needs if not present.get(n, False)) for s in tagged]
        applicable = sum(1 for missing in lacking if not missing)
        missing = tuple(sorted({n for m in lacking for n in m}))
        if item.mode == "manual":
            state: State = "manual"
        elif not tagged:
            state = "no_scenario"
        elif applicable:
            state = "verifiable"
        else:
            state = "not_here"
        out.append(ItemPlan(item, state, len(tagged), applicable, missing))
    return out
