"""golive's pytest plugin: a dispatcher only.

It adds the options (``plugin_options``) and, when golive is active for this
session (the rule is in ``plugin_options``), loads the profile and checklists
once and registers one plugin per concern: feature validation
(``plugin_collect``), recording (``plugin_record``) and the run itself with the
``golive`` fixture (``plugin_session``). A configuration error stops pytest
with every problem and exit status 2, before anything is touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import GoliveError
from harness.checklists import load_checklists
from harness.config import load_profile
from harness.plugin_collect import CollectPlugin
from harness.plugin_options import GoliveOptions, add_options, is_active, read_options
from harness.plugin_record import RecordPlugin
from harness.pytest.lifecycle import SessionPlugin
from harness.record import new_run_id


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _run_dir(config: pytest.Config, options: GoliveOptions, reports: Path) -> tuple[str, Path]:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "golive_run_dir" in workerinput:
        return str(workerinput["golive_run_id"]), Path(workerinput["golive_run_dir"])
    run_id = options.run_id or new_run_id()
    return run_id, reports / run_id


def pytest_configure(config: pytest.Config) -> None:
    if not is_active(config):
        return
    options = read_options(config)
    overrides = {"target.release": options.release} if options.release else None
    try:
        if not options.profile.is_file():
            raise FileNotFoundError(options.profile)
        profile = load_profile(options.profile, overrides)
        checklists = load_checklists(Path(profile.checklists.dir))
    except GoliveError as exc:  # ConfigError above all: every problem, file and line
        pytest.exit(f"golive: {exc.headline}: {exc.message}", returncode=exc.exit_code)
    except FileNotFoundError:
        pytest.exit(f"golive: profile not found: {options.profile}", returncode=2)
    for item_id in sorted(checklists.ids):  # scenario tags become marks: --strict-markers
        config.addinivalue_line("markers", f"{item_id}: checklist item {item_id}")
    reports = options.reports or Path(profile.report.dir)
    run_id, run_dir = _run_dir(config, options, reports)

    session = SessionPlugin(config, options, profile, checklists, run_id, run_dir)
    recorder = RecordPlugin(
        profile.path.parent,
        session.worker,
        on_collected=session.collected,
        on_result=session.result,
    )
    session.recorder = recorder
    collect = CollectPlugin(profile.path.parent, Path(profile.features.dir), checklists.ids)
    config.pluginmanager.register(collect, "golive-collect")
    config.pluginmanager.register(recorder, "golive-record")
    config.pluginmanager.register(session, "golive-session")
