"""ARCHITECTURE.md's import rules, checked on every module's source (imports inside
functions included): a layer that imports upward fails here, naming file and line."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLIVE = ("common", "demo", "harness", "sanitize", "steps")

# The steps' whole view of golive: the fixture object, the Target views, profile types,
# the browser wrapper and pure helpers — never SQL, HTTP, the demo or the pipeline.
STEPS_MAY = ("harness.pytest.context", "harness.targets.base", "harness.targets.capabilities",
             "harness.targets.views",
             "harness.config", "harness.checklists", "harness.browser", "harness.outbound",
             "steps")
NEVER_IN_STEPS = ("sqlalchemy", "psycopg", "sqlite3", "requests", "httpx", "urllib.request",
                  "http.client", "smtplib", "socket", "harness.pipeline", "harness.stages",
                  "demo")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:  # `from harness import pipeline` names a module too
                yield node.lineno, f"{node.module}.{alias.name}"


def under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def rule_for(relative: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(golive packages it may import, modules it must never import) for one file."""
    top = relative.split("/", 1)[0]
    if top in ("demo", "common"):
        return (top,), ()
    if top == "sanitize":
        return ("common", "sanitize"), ()
    if top == "steps":
        return STEPS_MAY, NEVER_IN_STEPS
    if relative.startswith("harness/pytest/"):
        return ("common", "sanitize", "harness", "steps"), ("demo",)
    if relative.startswith("harness/targets/demo"):
        return ("common", "sanitize", "harness", "demo"), ("harness.pytest", "pytest")
    if relative == "harness/cli.py":
        return ("common", "sanitize", "harness"), ("harness.pytest", "pytest", "pytest_bdd")
    return ("common", "sanitize", "harness"), ("harness.pytest", "pytest", "pytest_bdd")


def sources() -> list[Path]:
    return sorted(p for package in GOLIVE for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_what_its_layer_may(path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    allowed, never = rule_for(relative)
    wrong = []
    for line, module in imports(path):
        if under(module, *never):
            wrong.append(f"{relative}:{line}: imports {module}")
        elif under(module, *GOLIVE) and not under(module, *allowed):
            wrong.append(f"{relative}:{line}: imports {module} (its layer may import "
                         f"only {', '.join(allowed)} of golive)")
    assert not wrong, "\n".join(wrong)


def test_the_rules_catch_an_upward_import(tmp_path: Path) -> None:
    """The check itself: a sanitize module importing harness is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from harness.config import Profile\n")
    allowed, _ = rule_for("sanitize/bad.py")
    found = [m for _, m in imports(bad) if under(m, *GOLIVE) and not under(m, *allowed)]
    assert found == ["harness.config", "harness.config.Profile"]
