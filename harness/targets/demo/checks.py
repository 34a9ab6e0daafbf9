"""The demo's part of loading a profile, called by `harness.references` before anything
moves: ``target.release`` names a demo release, and ``backup.generate`` still matches the
demo data it would stand for (the existing backup here; production in `backup`)."""

from __future__ import annotations

from pathlib import Path

from common.yamlsource import suggest
from demo.backup import BackupError, find_manifest
from demo.releases import RELEASES
from harness.config import Generate, Profile
from harness.references import Finding

__all__ = ["generate_mismatch", "profile_problems"]


def generate_mismatch(generate: Generate, accounts: object, seed: object,
                      holder: str) -> tuple[tuple[str, ...], str] | None:
    """(profile key, message) when ``holder``'s demo data (``accounts`` rows, generator
    ``seed``) is not what ``backup.generate`` asks for, else None."""
    said = {"accounts": f"asks for {generate.accounts} accounts, but {holder} already holds "
                        f"{accounts}",
            "seed": f"asks for seed {generate.seed}, but {holder} was generated with seed {seed}"}
    for key, wanted, found in (("accounts", generate.accounts, accounts),
                               ("seed", generate.seed, seed)):
        if found is not None and str(found) != str(wanted):
            return (("backup", "generate", key),
                    f"{said[key]}; set backup.generate.{key}: {found}, or remove that data (and "
                    "the backup) to generate it again")
    return None


def profile_problems(profile: Profile) -> list[Finding]:
    """Every problem of the profile only the demo can see (see the module docstring)."""
    found: list[Finding] = []
    release = getattr(profile.target, "release", None)
    if release is not None and str(release) not in RELEASES:
        names = list(RELEASES)
        found.append(Finding(("target", "release"), f"{release!r} is not a demo release (one "
                             f"of {', '.join(names)}; see python -m demo releases)",
                             valid=names, suggestion=suggest(str(release), names)))
    generate, path = profile.backup.generate, Path(profile.backup.path)
    if generate is not None and path.exists():
        try:
            manifest = find_manifest(path)
        except BackupError as exc:
            return [*found, Finding(("backup", "path"), str(exc))]
        wrong = generate_mismatch(generate, manifest.row_counts.get("accounts"), manifest.seed,
                                  f"the backup {manifest.path}")
        if wrong is not None:
            found.append(Finding(*wrong))
    return found
