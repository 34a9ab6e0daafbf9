"""Every hostile input of ``tests/data/hostile/**/*.yaml``, run as a user would run it.

One YAML file per case, grouped by area (``tests/data/hostile/<area>/<case>.yaml``)::

    about: staging is a hard link to production's SQLite file   # what the user did
    project: demo        # demo: the demo profile on a 20-account production (made once per
                         #   session, copied per case); fake: tests/harness/plugin_project.py's
    setup: [ln var/production.db var/staging.db]   # bash lines in the project, before argv
    edit: {environments.staging.dsn: "sqlite:///var/staging.db"}  # dotted key -> YAML value
                         #   (null deletes the key)
    files: {checklists/extra.yaml: "items: []"}    # files to write, relative to the project
    env: {NAME: value}   # extra environment variables (GOLIVE_* and PYTEST_* are cleared)
    argv: [golive, run]  # `golive`/`python`/`pytest` are the venv's; {project} is the copy,
                         #   {tmp} the folder holding it (nothing may appear there)
    exit: 2
    message: is the production database          # substring(s) of stdout+stderr
    absent: [Traceback]                          # must not appear (this is the default)
    check: production_untouched                  # named extra assertion(s), see CHECKS
    timeout: 600                                 # seconds (optional)
    skip_unless: mount -t tmpfs tmpfs x && umount x   # optional: a bash line this machine
                                                 #   must pass (run in an empty folder), else skip
    teardown: [umount reports]                   # optional: bash lines after the checks

Order: copy the project, write ``files``, apply ``edit``, run ``setup``, run ``argv``,
check, ``teardown``. After every case no process may be left running in the project.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile_cases import (
    CASES,
    case_files,
    load_case,
    run_case,
    skip_reason,
    teardown,
    verify,
)


@pytest.fixture(scope="session")
def hostile_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the base projects are built, once per session (shared by xdist workers)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    base = root / "golive-hostile"
    base.mkdir(exist_ok=True)
    return base


@pytest.mark.parametrize("path", case_files(),
                         ids=lambda p: p.relative_to(CASES).with_suffix("").as_posix())
def test_hostile_case(path: Path, hostile_base: Path, tmp_path: Path) -> None:
    case = load_case(path)
    reason = skip_reason(case)
    if reason is not None:
        pytest.skip(reason)
    ran = run_case(case, hostile_base, tmp_path)
    try:
        verify(ran)
    finally:
        teardown(ran)


def test_every_case_file_is_valid() -> None:
    """A broken case file fails here by name, not as a puzzling run."""
    files = case_files()
    assert files, f"no cases in {CASES}"
    for path in files:
        load_case(path)
