"""golive's pytest plugin (the ``pytest11`` entry point ``golive``): hooks that forward.

Installed with golive, so ``pytest DIR/features --golive-profile DIR/golive.yaml``
works in any folder, with no conftest.py or test module there. When golive is
active for the session (the rule is in `harness.pytest.options`), it loads
the profile and checklists once, loads the step library (golive's
``steps.MODULES`` and the profile's ``features.steps``), and registers one
`GolivePlugin`, whose hooks only forward: collection to `collect.Validator`,
results to `record.Recorder`, and the run itself to `lifecycle.Run`, which a
reader can follow top to bottom. A configuration error stops pytest with
every problem and exit status 2, before anything is touched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, Step

from common.errors import GoliveError
from harness.channels import lockdown_items
from harness.checklists import Checklists, load_checklists
from harness.config import Profile, load_profile
from harness.pytest import htmlreport, signals
from harness.pytest.collect import Validator, template_of
from harness.pytest.context import GoliveContext
from harness.pytest.lifecycle import Run
from harness.pytest.needs import export as export_needs
from harness.pytest.needs import unmet
from harness.pytest.options import GoliveOptions, add_options, is_active, read_options
from harness.pytest.record import (
    Recorder,
    add_account_check,
    add_attachment,
    mark_not_prepared,
)
from harness.pytest.sharding import take_share
from harness.record import ScenarioResult, new_run_id
from harness.runid import check_run_id
from harness.smoke import READONLY_TAG
from harness.terminal import inert
from steps import MODULES

PLUGIN = "golive-run"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    if not is_active(config):
        return
    options = read_options(config)
    profile, checklists = _load(options, bool(config.option.collectonly))
    for item_id in sorted(checklists.ids):  # scenario tags become marks: --strict-markers
        config.addinivalue_line("markers", f"{item_id}: checklist item {item_id}")
    config.addinivalue_line("markers", f"{READONLY_TAG}: safe against production "
                                       "(writes nothing): run by golive smoke")
    _load_steps(config, profile)
    if options.explicit and config.args_source is not pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(profile.features.dir)]  # no paths given: the profile's features
    config.pluginmanager.register(GolivePlugin(config, options, profile, checklists), PLUGIN)
    signals.install()


def _load(options: GoliveOptions, collect_only: bool) -> tuple[Profile, Checklists]:
    """The profile and checklists; a ``--collect-only`` session (``golive checklist``)
    moves nothing, so what the profile points at need not exist yet."""
    overrides = {"target.release": options.release} if options.release else None
    if not options.profile.is_file():
        pytest.exit(inert(f"golive: profile not found: {options.profile}"), returncode=2)
    try:
        if options.run_id is not None:  # one folder name: never a path out of the reports
            check_run_id(options.run_id)
        profile = load_profile(options.profile, overrides, references=not collect_only)
        implied = lockdown_items(profile.lockdown.channels, profile.path)
        return profile, load_checklists(profile.checklists.dir, implied,
                                        production=profile.population is not None)
    except GoliveError as exc:  # ConfigError above all: every problem, file and line
        pytest.exit(inert(f"golive: {exc.headline}: {exc.message}"), returncode=exc.exit_code)


def _load_steps(config: pytest.Config, profile: Profile) -> None:
    """golive's step library, then the profile's own step modules. The profile's folder
    goes on ``sys.path`` so its own modules (steps, a Python adapter) import by name."""
    root = str(profile.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    for name in [*MODULES, *profile.features.steps]:
        try:
            config.pluginmanager.import_plugin(name)
        except Exception as exc:  # an ImportError or the module's own error
            pytest.exit(inert(f"golive: invalid configuration: features.steps: cannot load step "
                        f"module {name!r}: {type(exc).__name__}: {exc}"), returncode=2)


def _run_dir(config: pytest.Config, options: GoliveOptions, profile: Profile
             ) -> tuple[str, Path]:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "golive_run_dir" in workerinput:
        return str(workerinput["golive_run_id"]), Path(workerinput["golive_run_dir"])
    run_id = options.run_id or new_run_id()
    return run_id, (options.reports or profile.report.dir) / run_id


class GolivePlugin:
    """Registered in every process while golive is active."""

    def __init__(self, config: pytest.Config, options: GoliveOptions, profile: Profile,
                 checklists: Checklists) -> None:
        worker: str | None = getattr(config, "workerinput", {}).get("workerid")
        run_id, run_dir = _run_dir(config, options, profile)
        self.profile = profile
        self.validator = Validator(profile.root, profile.features.dir, checklists.ids)
        self.recorder = Recorder(profile.root, worker)
        self.run = Run(options, profile, checklists, run_id, run_dir, worker)
        self.session: pytest.Session | None = None
        self.html = htmlreport.wanted(config)  # pytest --html: steps and evidence per row
        self.html_results: dict[str, ScenarioResult] = {}

    # -- start ---------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        self.run.start(bool(session.config.option.collectonly))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["golive_run_id"] = self.run.run_id
        node.workerinput["golive_run_dir"] = str(self.run.run_dir)

    # -- collection ----------------------------------------------------------------
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector
                            ) -> pytest.Collector | None:
        return self.validator.collect_file(file_path, parent)

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_apply_tag(self, tag: str, function: Callable[..., object]) -> bool | None:
        return True if self.validator.leave_unmarked(tag) else None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        self.validator.validate(session, config, items)
        skeletons = self.recorder.skeletons(items)
        if self.run.options.shard is not None:
            take_share(config, items, skeletons, self.run.options.shard)
        self.run.collected(skeletons, self.validator.needs)
        if self.run.options.needs is not None and self.run.controller:
            export_needs(self.run.options.needs, items, self.profile.root)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.collection_error(report.longreprtext or report.nodeid)

    # -- preparation -----------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.run.controller:
            self.run.prepare_once(session)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """xdist: a worker collected; scheduling waits until this returns."""
        if self.session is not None:
            self.run.prepare_once(self.session)

    # -- running ---------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if template_of(item) is None:
            return
        if self.run.options.smoke and item.get_closest_marker(READONLY_TAG) is None:
            reason = "golive: not run: not tagged @readonly, never run against production"
            mark_not_prepared(item, reason)
            pytest.skip(reason)
        state = self.run.state()
        if not state.ok:
            reason = f"golive: not run: {state.reason}"
            mark_not_prepared(item, reason)
            pytest.skip(reason)

    @pytest.fixture
    def golive(self, request: pytest.FixtureRequest) -> GoliveContext:
        """The run as steps see it (see harness.pytest.context)."""
        item = request.node
        return self.run.context(item.nodeid, lambda check: add_account_check(item, check),
                                lambda attachment: add_attachment(item, attachment))

    @pytest.fixture(scope="session")
    def golive_profile(self) -> Profile:
        """The profile, for session-scoped fixtures of step modules (e.g. one browser)."""
        return self.profile

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Feature,
                                   scenario: Scenario) -> None:
        self.recorder.before_scenario(request)

    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, feature: Feature,
                               scenario: Scenario, step: Step,
                               step_func: Callable[..., object]) -> None:
        self.recorder.before_step(request, scenario, step)
        missing = unmet(step_func, self.run.target)
        if missing is not None:  # declared with @needs: NOT APPLICABLE before it starts
            self.recorder.finish_step(request, scenario, step, missing)
            raise missing

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, feature: Feature,
                              scenario: Scenario, step: Step, step_func: Callable[..., object],
                              step_func_args: dict[str, object]) -> None:
        self.recorder.finish_step(request, scenario, step)

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, feature: Feature,
                              scenario: Scenario, step: Step, step_func: Callable[..., object],
                              step_func_args: dict[str, object], exception: Exception) -> None:
        self.recorder.finish_step(request, scenario, step, exception)

    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest,
                                          feature: Feature, scenario: Scenario, step: Step,
                                          exception: Exception) -> None:
        self.recorder.undefined_step(request, scenario, step)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        self.recorder.report(item, report)
        if self.html and report.when == "teardown":
            finished = self.recorder.received(report)
            if finished is not None:
                htmlreport.add_extras(report, *finished, self.run.run_dir)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        received = self.recorder.received(report)
        if received is not None:
            self.run.scenario_finished(*received)
            if self.html:
                self.html_results[received[0].nodeid] = received[0]

    # -- pytest-html -----------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        htmlreport.header(cells)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport,
                                      cells: list[str]) -> None:
        htmlreport.row(report, cells, self.html_results)

    # -- the end ---------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            if self.run.controller:
                self.run.finish(session, int(exitstatus), self.recorder.interrupted())
                if self.run.exit_status is not None:
                    session.exitstatus = self.run.exit_status
        finally:
            self.run.close()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        try:
            self.run.release()
        finally:
            signals.restore()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        line = self.run.line
        if line is not None:
            go = self.run.record is not None and self.run.record.passed
            terminalreporter.write_sep("=", "golive", green=go, red=not go)
            for notice in self.run.notices:  # text of users and targets: never escapes
                terminalreporter.write_line(inert(notice))
            terminalreporter.write_line(inert(line), bold=True)
