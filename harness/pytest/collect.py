"""Feature validation at collection: unknown checklist tags and undefined steps are errors.

Both are mistakes a QA engineer must fix before anything is verified, so both
surface the way pytest shows any broken test file — "ERROR collecting …" with
``features/x.feature:12: …`` and exit status 2 — and never as a failed (or,
worse, skipped) scenario in the middle of a run. Two mechanisms, one result:

* every ``.feature`` file under the features directory is collected by
  :class:`FeatureModule`, which parses it with the Gherkin parser pytest-bdd
  uses and raises ``CollectError`` for syntax errors and unknown checklist ids
  (a tag shaped like ``CF-PAY-01`` that no checklist defines), then binds its
  scenarios itself, so no ``test_*.py`` is needed;
* after collection, every pytest-bdd scenario item is checked against the
  registered step definitions with pytest-bdd's own matcher; a step nothing
  matches is reported through ``pytest_collectreport`` as a failed collect
  report (which makes pytest stop with "N errors during collection").
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
import types
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import exceptions as bdd_exceptions
from pytest_bdd.compat import getfixturedefs
from pytest_bdd.gherkin_parser import Tag, get_gherkin_document
from pytest_bdd.parser import Scenario, ScenarioTemplate, Step
from pytest_bdd.scenario import find_fixturedefs_for_step, scenario_wrapper_template_registry
from pytest_bdd.steps import step_function_context_registry

CHECKLIST_ID = re.compile(r"^[A-Z]+(-[A-Z]+)*-\d+$")
# What a scenario needs from the machine, known by the fixtures its steps use (directly or
# through other fixtures): checked before the first stage, not found half-way through a run.
NEEDS_BY_FIXTURE = {"portal_browser": "browser"}


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
    return _relative(str(path), str(rootdir))


@functools.lru_cache(maxsize=4096)  # asked once per scenario, of a handful of feature files
def _relative(path: str, rootdir: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(rootdir).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


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


_SCENARIOS = compile("from pytest_bdd import scenarios\n"
                     "scenarios(__file__, features_base_dir=__golive_features__)\n",
                     "<golive: the scenarios of a .feature file>", "exec")


class FeatureModule(pytest.Module):
    """A .feature file of the profile's features folder, collected as a test module.

    Validated first (syntax, unknown checklist ids: a collection error with
    file and line); then its scenarios are bound by pytest-bdd's own
    ``scenarios()`` into a module object made here, so a features folder needs
    no ``test_*.py`` and no ``conftest.py`` of its own.
    """

    known_ids: Collection[str] = ()
    project: Path | None = None

    def _getobj(self) -> types.ModuleType:
        project = self.project or self.config.rootpath
        problems = feature_problems(self.path, project, self.known_ids)
        if problems:
            raise self.CollectError("\n".join(problems))
        module = types.ModuleType(f"golive_feature.{self.path.stem}")
        module.__file__ = str(self.path)
        module.__dict__["__golive_features__"] = str(self.path.parent)
        try:
            exec(_SCENARIOS, module.__dict__)
        except bdd_exceptions.NoScenariosFound:
            pass  # a feature without scenarios verifies nothing; coverage says so
        except bdd_exceptions.GherkinParseError as exc:
            raise self.CollectError(f"{relative(self.path, project)}: {exc}") from None
        return module


def _step_definitions(item: pytest.Item, template: ScenarioTemplate
                      ) -> tuple[Scenario, list[tuple[Step, list[Any]]]]:
    """The scenario as it runs, and the step definitions that match each of its steps."""
    scenario = rendered_scenario(item, template)
    fixturemanager = item.session._fixturemanager
    return scenario, [(step, list(find_fixturedefs_for_step(step, fixturemanager, item)))
                      for step in scenario.steps]


def _fixture_closure(item: pytest.Item, names: list[str]) -> set[str]:
    """``names`` and every fixture they request, as pytest would resolve them for ``item``."""
    fixturemanager = item.session._fixturemanager
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for fixturedef in getfixturedefs(fixturemanager, name, item) or []:
            stack.extend(fixturedef.argnames)
    return seen


def scenario_needs(item: pytest.Item, matched: list[tuple[Step, list[Any]]]) -> set[str]:
    """What the scenario needs from the machine (``browser``), from its steps' fixtures."""
    requested: list[str] = []
    for _step, fixturedefs in matched:
        for fixturedef in fixturedefs:
            context = step_function_context_registry.get(fixturedef.func)
            if context is not None:
                requested += list(inspect.signature(context.step_func).parameters)
    closure = _fixture_closure(item, requested)
    return {need for fixture, need in NEEDS_BY_FIXTURE.items() if fixture in closure}


def undefined_steps(item: pytest.Item, rootdir: Path,
                    matched: list[tuple[Step, list[Any]]] | None = None) -> list[str]:
    """``features/x.feature:14: undefined step: When …`` for each step nothing matches."""
    template = template_of(item)
    if template is None:
        return []
    if matched is None:
        _scenario, matched = _step_definitions(item, template)
    where = relative(template.feature.filename, rootdir)
    return [f"{where}:{step.line_number}: undefined step: {step.keyword} {step.name}"
            for step, fixturedefs in matched if not fixturedefs]


class Validator:
    """What collection must prove before anything is restored or billed; the plugin
    forwards pytest's collection hooks here."""

    def __init__(self, project: Path, features_dir: Path, known_ids: Collection[str]) -> None:
        self.project = project  # paths in messages are relative to it (the profile's folder)
        self.features_dir = features_dir.resolve()
        self.known_ids = frozenset(known_ids)
        self.validated: set[Path] = set()
        self.reported: set[str] = set()  # an outline's rows share their undefined steps
        self.needs: set[str] = set()  # what the selected scenarios need (see NEEDS_BY_FIXTURE)

    def _report_error(self, session: pytest.Session, nodeid: str, message: str) -> None:
        report = pytest.CollectReport(nodeid, "failed", message, [])
        session.config.hook.pytest_collectreport(report=report)

    def collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        """A .feature file inside the features folder becomes a `FeatureModule`."""
        if file_path.suffix != ".feature":
            return None
        resolved = file_path.resolve()
        if self.features_dir not in resolved.parents:
            return None
        self.validated.add(resolved)
        node = FeatureModule.from_parent(parent, path=file_path)
        node.known_ids = self.known_ids
        node.project = self.project
        return node

    def leave_unmarked(self, tag: str) -> bool:
        """An unknown checklist id is reported with file and line, not as pytest's
        "mark not registered" (known ids are registered as markers)."""
        return is_checklist_id(tag) and tag not in self.known_ids

    def validate(self, session: pytest.Session, config: pytest.Config,
                 items: list[pytest.Item]) -> None:
        """Report undefined steps (and features bound elsewhere) as collection errors,
        drop those items, and drop a scenario a ``test_*.py`` binds a second time."""
        rootdir = self.project
        bad: list[pytest.Item] = []
        seen: set[tuple[str, str]] = set()
        for item in sorted(items, key=lambda i: not isinstance(i.parent, FeatureModule)):
            template = template_of(item)
            if template is None:
                continue
            key = (template.feature.filename, item.name)
            if key in seen:  # also bound by a test module of the user's: run it once
                bad.append(item)
                continue
            seen.add(key)
            feature = Path(template.feature.filename).resolve()
            if feature not in self.validated:
                self.validated.add(feature)
                problems = feature_problems(feature, rootdir, self.known_ids)
                if problems:
                    self._report_error(session, relative(feature, rootdir), "\n".join(problems))
            _scenario, matched = _step_definitions(item, template)
            problems = undefined_steps(item, rootdir, matched)
            if not problems:
                self.needs |= scenario_needs(item, matched)
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
