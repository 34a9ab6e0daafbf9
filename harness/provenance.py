"""Provenance of a run: which golive, which profile, checklists, features and rules, who
ran it and where — so a signed report says what its verdict was computed from.

Folders are digested as a whole (every file's relative path and SHA-256, in
order), so adding, removing or editing a checklist or feature changes the
digest. The backup's digest is the backup stage's own evidence.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import platform
import shlex
import socket
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from harness.config import Profile
from harness.record import Provenance

__all__ = ["collect", "digest_files", "golive_version"]


def golive_version() -> str:
    try:
        return metadata.version("golive")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def digest_files(paths: Iterable[Path], root: Path | None = None) -> str:
    """One SHA-256 over files (a folder stands for every file in it, hidden ones aside):
    each file's path (relative to ``root``) and content digest, sorted by path."""
    entries: list[tuple[str, str]] = []
    for path in paths:
        files = ([p for p in sorted(path.rglob("*")) if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(path).parts)]
                 if path.is_dir() else [path] if path.is_file() else [])
        base = root or (path if path.is_dir() else path.parent)
        for file in files:
            try:
                name = file.relative_to(base).as_posix()
            except ValueError:
                name = file.name
            entries.append((name, _file_sha256(file)))
    digest = hashlib.sha256()
    for name, sha in sorted(entries):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


def _ci() -> str | None:
    env = os.environ
    if env.get("CI_JOB_URL"):  # GitLab
        return env["CI_JOB_URL"]
    if env.get("BUILD_URL"):  # Jenkins
        return env["BUILD_URL"]
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return "CI" if env.get("CI") else None


COMMAND_ENV = "GOLIVE_COMMAND"  # set by `golive run` for its pytest child
_PLUMBING = ("--golive-events", "--golive-parent", "--golive-run-id")


def _command() -> str:
    """The command a person typed: ``golive run …`` as `golive run` says, else pytest's."""
    told = os.environ.get(COMMAND_ENV)
    if told:
        return told
    args = [a for a in sys.argv[1:] if not a.startswith(_PLUMBING)]
    return " ".join(shlex.quote(a) for a in ["pytest", *args])


def collect(profile: Profile) -> Provenance:
    """The provenance of a run of ``profile`` started now, in this process."""
    rules = [p for p in [profile.sanitize.rules, *profile.sanitize.scripts] if p is not None]
    return Provenance(
        golive_version=golive_version(),
        user=_user(),
        host=socket.gethostname(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        command=_command(),
        profile_sha256=digest_files([profile.path]),
        checklists_sha256=digest_files([Path(profile.checklists.dir)]),
        features_sha256=digest_files([Path(profile.features.dir)]),
        rules_sha256=digest_files([Path(p) for p in rules]) if rules else None,
        ci=_ci(),
    )
