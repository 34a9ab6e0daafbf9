"""The errors golive raises on purpose, each with one headline and one exit code.

The CLI and the pytest plugin turn these into a message and an exit status
instead of a traceback; anything else escaping is a bug in golive.

    GoliveError                  exit 2  base: a problem golive can explain
    ├── ConfigError              exit 2  profile, checklists or rules are invalid;
    │                                    carries every Problem found, not just the first
    ├── SafetyError              exit 2  refused to write to a database not marked staging,
    │                                    or a staging database that is production
    └── EnvironmentProblem       exit 3  something outside golive is missing or down
                                         (database unreachable, server did not start)

Exit code 1 is never an error: it is the NO-GO verdict (or findings of a scan).
Messages never contain a password: `redact` (`common.redaction`) hides every
credential of a database URL, query parameter or libpq setting in the text,
and every secret the profile loader registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.redaction import redact

__all__ = [
    "ConfigError",
    "EnvironmentProblem",
    "GoliveError",
    "Problem",
    "SafetyError",
    "redact",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, located well enough to fix it.

    ``key`` is the dotted path inside the file (``bill_run.on_drift``,
    ``items[3].severity``); ``valid`` lists the accepted values when there is a
    closed set; ``suggestion`` is the closest valid value ("did you mean").
    ``column`` and ``context`` (the offending line's text) are set for syntax
    errors, where the exact spot matters.
    """

    file: str
    line: int | None
    key: str | None
    message: str
    valid: list[str] | None = None
    suggestion: str | None = None
    column: int | None = None
    context: str | None = None

    def format(self) -> str:
        """``golive.yaml:12: bill_run.on_drift: 'fial' is not one of fail, warn — did you
        mean 'fail'?`` (plus the line's text and a caret for syntax errors)."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        if self.suggestion is not None:
            text += f" — did you mean '{self.suggestion}'?"
        if self.context is not None:
            text += f"\n    {self.context}"
            if self.column is not None:
                text += "\n    " + " " * (self.column - 1) + "^"
        return redact(text)

    def __str__(self) -> str:
        return self.format()


class GoliveError(Exception):
    """A problem golive can explain; the CLI prints ``headline: message`` and exits."""

    exit_code: int = 2
    headline: str = "golive error"

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message


class ConfigError(GoliveError):
    """The profile, a checklist or a rule file is invalid: every problem, each located."""

    exit_code = 2
    headline = "invalid configuration"

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''}; nothing was run:"]
        lines += ["  " + p.format().replace("\n", "\n  ") for p in self.problems]
        super().__init__("\n".join(lines))


class SafetyError(GoliveError):
    """golive refused to write: the database is not staging, or staging is production."""

    exit_code = 2
    headline = "refused for safety"


class EnvironmentProblem(GoliveError):
    """Something golive needs from the machine is missing or unreachable."""

    exit_code = 3
    headline = "environment problem"
