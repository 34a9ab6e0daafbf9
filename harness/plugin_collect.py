"""Feature validation at collection: unknown checklist tags and undefined steps are errors.

Both are mistakes a QA engineer must fix before anything is verified, so both
surface the way pytest shows any broken test file — "ERROR collecting …" with
``features/x.feature:12: …`` and exit status 2 — and never as a failed (or,
worse, skipped) scenario in the middle of a run. Two mechanisms, one result:

* every ``.feature`` file under the features directory is collected by
  :class:`FeatureFile`, whose ``collect()`` parses it with the Gherkin parser
  pytest-bdd uses and raises ``CollectError`` for syntax errors and unknown
  checklist ids (a tag shaped like ``CF-PAY-01`` that no checklist defines);
* after collection, every pytest-bdd scenario item is checked against the
  registered step definitions with pytest-bdd's own matcher; a step nothing
  matches is reported through ``pytest_collectreport`` as a failed collect
  report (which makes pytest stop with "N errors during collection").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import exceptions as bdd_exceptions
from pytest_bdd.gherkin_parser import Tag, get_gherkin_document
from pytest_bdd.parser import Scenario, ScenarioTemplate
from pytest_bdd.scenario import find_fixturedefs_for_step, scenario_wrapper_template_registry

CHECKLIST_ID = re.compile(r"^[A-Z]+(-[A-Z]+)*-\d+$")


def is_checklist_id(tag: str) -> bool:
    return CHECKLIST_ID.match(tag.lstrip("@")) is not None


def template_of(item: pytest.Item) -> ScenarioTemplate | None:
    """The pytest-bdd scenario behind a test item, or None for an ordinary test."""
    func = getattr(item, "obj", None)
    if func is None:
        return None
    try:
        return scenario_wrapper_template_registry.get(func)
    except TypeError:  # unhashable object: not a scenario
        return None


def rendered_scenario(item: pytest.Item, template: ScenarioTemplate) -> Scenario:
    """The scenario as it runs for this item (an outline's example row filled in)."""
    callspec = getattr(item, "callspec", None)
    example: dict[str, Any] = {}
    if callspec is not None:
        example = dict(callspec.params.get("_pytest_bdd_example", {}))
    return template.render(example)


def relative(path: str | Path, rootdir: Path) -> str:
    path = Path(path)
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _tags(doc_feature: Any) -> Iterator[Tag]:
    yield from doc_feature.tags
    for child in doc_feature.children:
        nodes = [child.scenario] if child.scenario else []
        if child.rule:
            yield from child.rule.tags
            nodes += [c.scenario for c in child.rule.children if c.scenario]
        for scenario in nodes:
            yield from scenario.tags
            for examples in scenario.examples:
                yield from examples.tags


def feature_problems(path: Path, rootdir: Path, known_ids: Collection[str]) -> list[str]:
    """Every problem of one feature file, as ``features/x.feature:12: …`` lines."""
    where = relative(path, rootdir)
    try:
        document = get_gherkin_document(str(path))
    except bdd_exceptions.GherkinParseError as exc:
        return [f"{where}:{exc.line}: {exc.message}\n    {exc.line_content.strip()}"]
    except KeyError:
        return [f"{where}:1: no 'Feature:' in the file"]
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{where}: cannot read: {exc}"]
    problems = []
    for tag in _tags(document.feature):
        name = tag.name.lstrip("@")
        if is_checklist_id(name) and name not in known_ids:
            close = difflib.get_close_matches(name, sorted(known_ids), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(
                f"{where}:{tag.location.line}: unknown checklist id @{name}{hint}"
            )
    return problems


class FeatureFile(pytest.File):
    """A .feature file under the features directory: validated, yields no items itself."""

    known_ids: Collection[str] = ()
    project: Path | None = None

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        project = self.project or self.config.rootpath
        problems = feature_problems(self.path, project, self.known_ids)
        if problems:
            raise self.CollectError("\n".join(problems))
        return []


def undefined_steps(item: pytest.Item, rootdir: Path) -> list[str]:
    """``features/x.feature:14: undefined step: When …`` for each step nothing matches."""
    template = template_of(item)
    if template is None:
        return []
    scenario = rendered_scenario(item, template)
    where = relative(scenario.feature.filename, rootdir)
    fixturemanager = item.session._fixturemanager
    problems = []
    for step in scenario.steps:
        if not any(True for _ in find_fixturedefs_for_step(step, fixturemanager, item)):
            problems.append(
                f"{where}:{step.line_number}: undefined step: {step.keyword} {step.name}"
            )
    return problems


class CollectPlugin:
    """Registered only while golive is active."""

    def __init__(self, project: Path, features_dir: Path, known_ids: Collection[str]) -> None:
        self.project = project  # paths in messages are relative to it (the profile's folder)
        self.features_dir = features_dir.resolve()
        self.known_ids = frozenset(known_ids)
        self.validated: set[Path] = set()
        self.reported: set[str] = set()  # an outline's rows share their undefined steps

    def _report_error(self, session: pytest.Session, nodeid: str, message: str) -> None:
        report = pytest.CollectReport(nodeid, "failed", message, [])
        session.config.hook.pytest_collectreport(report=report)

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        if file_path.suffix != ".feature":
            return None
        resolved = file_path.resolve()
        if self.features_dir not in resolved.parents:
            return None
        self.validated.add(resolved)
        node = FeatureFile.from_parent(parent, path=file_path)
        node.known_ids = self.known_ids
        node.project = self.project
        return node

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_apply_tag(self, tag: str, function: Callable[..., object]) -> bool | None:
        """Leave an unknown checklist id unmarked: it is reported with file and line instead
        of as pytest's "mark not registered" (known ids are registered as markers)."""
        if is_checklist_id(tag) and tag not in self.known_ids:
            return True
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        rootdir = self.project
        bad: list[pytest.Item] = []
        for item in items:
            template = template_of(item)
            if template is None:
                continue
            feature = Path(template.feature.filename).resolve()
            if feature not in self.validated:
                self.validated.add(feature)
                problems = feature_problems(feature, rootdir, self.known_ids)
                if problems:
                    self._report_error(session, relative(feature, rootdir), "\n".join(problems))
            problems = undefined_steps(item, rootdir)
            if problems:
                bad.append(item)
                new = [p for p in problems if p not in self.reported]
                self.reported.update(new)
                if new:
                    self._report_error(session, item.nodeid, "\n".join(new))
        if bad:
            config.hook.pytest_deselected(items=bad)
            gone = {id(i) for i in bad}
            items[:] = [i for i in items if id(i) not in gone]
