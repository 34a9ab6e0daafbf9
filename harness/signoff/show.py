"""Terminal output of the sign-off commands: plain lines and one table that stays readable
at 80 columns (a list when a table would cut words: `harness.termtable`).

Every string that came from a person or a file (names, comments, item titles)
is shown as text, never as rich markup: lines are printed with ``markup=False``
and table cells are `rich.text.Text`.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from harness.signoff.history import RunSummary, compare
from harness.signoff.verify import VerifyResult
from harness.terminal import styled
from harness.termtable import fit_table

__all__ = ["duration", "history_table", "verify_lines"]


def verify_lines(result: VerifyResult) -> list[str]:
    lines = [f"run {result.run_id}: {result.entries} ledger entries"]
    if result.changed:
        lines.append(f"CHANGED — {len(result.changed)} finding(s):")
        lines += [f"  {c}" for c in result.changed]
    else:
        lines.append("intact: the ledger's chain holds and every file is as golive wrote it")
    for v in result.signatures:
        lines.append(f"  signature #{v.seq}: {v.role} {v.name} {v.decision} at {v.at}: "
                     f"{v.state.upper()}")
        lines += [f"    {w}" for w in v.why]
    if result.missing:
        lines.append(f"sign-off incomplete: no valid approval from {', '.join(result.missing)}")
    elif result.required and result.intact:
        lines.append(f"signed: {', '.join(result.required)} approved the run as it is")
    lines.append("golive verify: " + ("OK" if result.ok else "FAILED"))
    return lines


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def history_table(runs: list[RunSummary], last: int, width: int = 80) -> RenderableType:
    """The last ``last`` runs, newest first: run, release, verdict, open failures (waived),
    duration, and new/fixed items against the run before it; a list when ``width`` is too
    narrow for a table."""
    shown = runs[-last:]
    rows: list[list[Text]] = []
    for index in range(len(runs) - 1, len(runs) - len(shown) - 1, -1):
        run = runs[index]
        before = next((r for r in reversed(runs[:index]) if r.mode == run.mode), None)
        change = compare(run.checklist, before.checklist if before else None)
        delta = (f"+{len(change.new_failures)} -{len(change.fixed)}"
                 if before is not None else "first")
        failures = f"{run.failures}" + (f" ({run.waived}w)" if run.waived else "")
        mode = "" if run.mode == "verify" else " " + run.mode.removeprefix("verify ")
        style = "green" if run.verdict == "GO" else ("yellow" if "WAIVERS" in run.verdict
                                                      else "red")
        rows.append([styled(run.run_id + mode), styled(run.release or "—"),
                     styled(run.verdict, style), styled(failures),
                     styled(duration(run.duration)), styled(delta)])
    return fit_table(f"last {len(shown)} of {len(runs)} run(s)",
                     ("run", "release", "verdict", "fail", "time", "+new -fix"), rows,
                     width, right=("fail", "time"))
