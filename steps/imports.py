"""Steps about regular data imports (seeds/002: "Any regular data that is imported can be
imported without issue").

An import writes to staging after the bill run, so the files it uses must not touch what
other scenarios check (see features/imports.feature). Relative file names are relative to
the profile's features folder.
"""

from __future__ import annotations

from pathlib import Path

from pytest_bdd import parsers, then, when

from harness.pytest.context import GoliveContext
from harness.targets.base import require
from harness.targets.views import ImportView


def _file(golive: GoliveContext, name: str) -> Path:
    path = Path(name)
    if not path.is_absolute():
        path = golive.profile.features.dir / path
    assert path.is_file(), f"import file {path} does not exist"
    return path


@when(parsers.parse('the "{kind}" file "{name}" is imported'), target_fixture="imported")
def run_import(golive: GoliveContext, kind: str, name: str) -> ImportView:
    return require(golive.target.imports, "imports").import_file(kind, _file(golive, name))


@then(parsers.parse("{count:d} lines were imported"))
@then(parsers.parse("{count:d} line was imported"))
def lines_imported(imported: ImportView, count: int) -> None:
    assert imported.rows_ok == count, (
        f"{imported.rows_ok} line(s) were imported, expected {count}; rejected: "
        + ("; ".join(f"line {n}: {why}" for n, why in imported.errors) or "none"))


@then("these lines were rejected:")
def lines_rejected(imported: ImportView, datatable: list[list[str]]) -> None:
    """Exactly the table's lines (by their number in the file), each for the reason given
    (a part of the platform's message, case-insensitive)."""
    header, *rows = datatable
    col = {h.strip().lower(): i for i, h in enumerate(header)}
    assert {"line", "reason"} <= col.keys(), "the table needs the columns line and reason"
    want = {int(r[col["line"]].strip()): r[col["reason"]].strip() for r in rows}
    got = dict(imported.errors)
    problems = [f"line {n} was not rejected (expected: {why})" for n, why in want.items()
                if n not in got]
    problems += [f"line {n} was rejected for {got[n]!r}, expected a reason about {why!r}"
                 for n, why in want.items() if n in got and why.lower() not in got[n].lower()]
    problems += [f"line {n} was rejected unexpectedly: {why}" for n, why in got.items()
                 if n not in want]
    assert imported.rows_failed == len(imported.errors), (
        f"the import counts {imported.rows_failed} failed lines but reports {len(got)}")
    assert not problems, "\n".join(problems)


@then("the imported accounts exist on the platform")
def accounts_exist(golive: GoliveContext, imported: ImportView) -> None:
    assert imported.created, "the import reports no account it created"
    missing = [n for n in imported.created if golive.target.account(n) is None]
    assert not missing, f"imported account(s) not found: {', '.join(missing)}"


@then(parsers.parse('the imported account "{name}" exists with bill day {day:d}'))
def imported_account(golive: GoliveContext, imported: ImportView, name: str, day: int) -> None:
    views = [v for v in (golive.target.account(n) for n in imported.created) if v is not None]
    found = [v for v in views if v.name == name]
    assert found, (f"no imported account named {name!r} "
                   f"(imported: {', '.join(v.name for v in views) or 'none'})")
    assert found[0].bill_day == day, f"{name} has bill day {found[0].bill_day}, expected {day}"
