"""Write a new golive project: profile, checklists, features, README (and an adapter).

The templates are package data (``harness/scaffold/templates``); the profile is
rendered per target kind with every section of the profile model present and
commented. A non-empty folder is refused unless ``force``; even then no file
is overwritten: one that exists is kept and reported as kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from jinja2 import Environment, StrictUndefined

from common.errors import GoliveError
from harness.config import PortalSelectors

__all__ = ["KINDS", "Scaffolded", "scaffold"]

Kind = Literal["demo", "sql", "python"]
KINDS: tuple[Kind, ...] = ("sql", "python", "demo")
_COMMON = ("checklists/critical.yaml", "checklists/accounts.yaml", "features/billrun.feature",
           "features/accounts.feature", "features/eventlog.feature")


class NotEmpty(GoliveError):
    exit_code = 2
    headline = "refusing to scaffold"


@dataclass
class Scaffolded:
    """What `scaffold` did: files written, and files that existed and were kept."""

    root: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    @property
    def profile(self) -> Path:
        return self.root / "golive.yaml"


def _template(name: str) -> str:
    return resources.files("harness.scaffold").joinpath("templates", name).read_text("utf-8")


def _render(name: str, kind: Kind, title: str) -> str:
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                      lstrip_blocks=True, autoescape=False)  # YAML and Markdown, not HTML
    selectors = [(key, json.dumps(value)) for key, value in PortalSelectors().model_dump().items()]
    return env.from_string(_template(name)).render(kind=kind, name=json.dumps(title),
                                                   title=title, selectors=selectors)


def files(kind: Kind, title: str) -> dict[str, str]:
    """Every file of a new project of ``kind``: relative path → text."""
    out = {"golive.yaml": _render("golive.yaml.j2", kind, title),
           "README.md": _render("README.md.j2", kind, title)}
    out.update({name: _template(name) for name in _COMMON})
    if kind == "python":
        out["platform_adapter.py"] = _template("platform_adapter.py")
    return out


def scaffold(root: Path, kind: Kind, force: bool = False, title: str | None = None
             ) -> Scaffolded:
    """Write a new project of ``kind`` into ``root`` (created when missing)."""
    if root.exists() and not root.is_dir():
        raise NotEmpty(f"{root} is a file, not a folder")
    present = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    if present and not force:
        shown = ", ".join(present[:5]) + (" …" if len(present) > 5 else "")
        raise NotEmpty(f"{root} is not empty ({shown}); give --force to add the project's "
                       "files to it (a file that exists is kept, never overwritten)")
    done = Scaffolded(root)
    for relative, text in files(kind, title or f"{root.resolve().name} billing").items():
        path = root / relative
        if path.exists():
            done.kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:  # "x": never over a file made meanwhile
            out.write(text)
        done.written.append(path)
    return done
