"""golive's pytest options, and the one rule that decides whether golive is active.

The plugin is installed as a ``pytest11`` entry point, so it is loaded for every
pytest run in the environment, golive's own test-suite included; activation
is therefore explicit:

golive is ACTIVE iff ``-p no:golive`` is not given AND either
  * ``--golive-profile PATH`` is given (``golive run`` always passes it), or
  * ``<rootdir>/golive.yaml`` exists and one of the paths pytest collects
    (its arguments, else ``testpaths``) is the profile's features directory,
    lies inside it or contains it (``pytest``, ``pytest .``, ``pytest features``).

So ``pytest tests/…`` (golive's own tests) never restores or bills anything,
while ``pytest features`` verifies the staging system of ``./golive.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.record import ShardInfo
from harness.shard import ShardError, parse_shard
from harness.terminal import inert

DEFAULT_PROFILE = "golive.yaml"
PLUGIN_NAME = "golive"


@dataclass(frozen=True)
class GoliveOptions:
    """The golive command-line options of one pytest session."""

    profile: Path
    explicit: bool  # --golive-profile was given
    reuse: bool
    release: str | None
    run_id: str | None
    reports: Path | None
    no_prepare: bool
    events: Path | None
    parent: int | None  # golive run's pid: stop when it is gone
    smoke: bool = False  # post-go-live smoke: @readonly scenarios against production
    needs: Path | None = None  # write each scenario's needs here (`golive checklist`)
    shard: ShardInfo | None = None  # run only this shard's scenarios (--golive-shard K/N)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("golive", "golive release verification")
    group.addoption(
        "--golive-profile",
        metavar="PATH",
        default=None,
        help=f"golive profile (default ./{DEFAULT_PROFILE}); giving it activates golive",
    )
    group.addoption(
        "--golive-reuse",
        action="store_true",
        default=False,
        help="reuse an already prepared staging database (the report says so)",
    )
    group.addoption(
        "--golive-release", metavar="NAME", default=None, help="override target.release"
    )
    group.addoption("--golive-run-id", metavar="ID", default=None, help="run id (default: new)")
    group.addoption(
        "--golive-reports", metavar="DIR", default=None, help="override report.dir of the profile"
    )
    group.addoption(
        "--golive-no-prepare",
        action="store_true",
        default=False,
        help="do not prepare staging (tests of golive itself); such a run is always NO-GO",
    )
    group.addoption(
        "--golive-smoke",
        action="store_true",
        default=False,
        help="post-go-live smoke: run only @readonly scenarios, against production, "
             "preparing nothing (`golive smoke`)",
    )
    group.addoption(
        "--golive-needs",
        metavar="PATH",
        default=None,
        help="write every collected scenario with the target capabilities its steps need "
             "to PATH as JSON (used by `golive checklist` with --collect-only)",
    )
    group.addoption(
        "--golive-shard",
        metavar="K/N",
        default=None,
        help="run shard K of N: every scenario is assigned to one shard by its node id; "
             "merge the shards' run folders with `golive report merge`",
    )
    group.addoption(
        "--golive-events",
        metavar="PATH",
        default=None,
        help="append progress events as JSON lines to PATH (used by `golive run`)",
    )
    group.addoption(
        "--golive-parent",
        metavar="PID",
        type=int,
        default=None,
        help="stop the run (as on SIGTERM) when process PID is no longer pytest's parent "
             "(used by `golive run`)",
    )


def _shard(config: pytest.Config) -> ShardInfo | None:
    text = config.getoption("golive_shard")
    if text is None:
        return None
    try:
        return parse_shard(str(text))
    except ShardError as exc:
        raise pytest.UsageError(inert(f"golive: {exc.headline}: {exc.message}")) from None


def read_options(config: pytest.Config) -> GoliveOptions:
    given = config.getoption("golive_profile")
    base = config.invocation_params.dir
    profile = Path(given) if given else config.rootpath / DEFAULT_PROFILE
    if not profile.is_absolute():
        profile = base / profile
    reports = config.getoption("golive_reports")
    events = config.getoption("golive_events")
    needs = config.getoption("golive_needs")
    return GoliveOptions(
        profile=profile,
        explicit=given is not None,
        reuse=bool(config.getoption("golive_reuse")),
        release=config.getoption("golive_release"),
        run_id=config.getoption("golive_run_id"),
        reports=(base / reports) if reports else None,
        no_prepare=bool(config.getoption("golive_no_prepare")),
        events=(base / events) if events else None,
        smoke=bool(config.getoption("golive_smoke")),
        parent=config.getoption("golive_parent"),
        needs=(base / needs) if needs else None,
        shard=_shard(config),
    )


def _features_dir_of(profile: Path) -> Path:
    """The features directory named by the profile, read leniently (errors come later)."""
    name: Any = "features"
    try:
        data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("features"), dict):
        name = data["features"].get("dir") or name
    path = Path(str(name))
    return path if path.is_absolute() else profile.parent / path


def _collects(config: pytest.Config, features: Path) -> bool:
    features = features.resolve()
    base = config.invocation_params.dir
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        path = (path if path.is_absolute() else base / path).resolve()
        if path == features or features in path.parents or path in features.parents:
            return True
    return False


def is_active(config: pytest.Config) -> bool:
    """See the module docstring."""
    if config.pluginmanager.is_blocked(PLUGIN_NAME):
        return False
    options = read_options(config)
    if options.explicit:
        return True
    return options.profile.is_file() and _collects(config, _features_dir_of(options.profile))
