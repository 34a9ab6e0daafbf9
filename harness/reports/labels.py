"""The words every output uses for a scenario's and a checklist item's result.

Traceability speaks seven words — OK, NOK, NOT RUN, NOT APPLICABLE,
UNCOVERED, MANUAL, WAIVED — the same in the HTML report, the CSV and XLSX
matrix, pytest-html and the terminal, so a manager reads one vocabulary.
"""

from __future__ import annotations

from harness.record import ChecklistStatus, Coverage, Outcome

__all__ = ["ITEM_LABELS", "LABELS", "item_label", "scenario_label"]

OK, NOK, NOT_RUN, NOT_APPLICABLE = "OK", "NOK", "NOT RUN", "NOT APPLICABLE"
UNCOVERED, MANUAL, WAIVED = "UNCOVERED", "MANUAL", "WAIVED"
LABELS = (OK, NOK, NOT_RUN, NOT_APPLICABLE, UNCOVERED, MANUAL, WAIVED)
ITEM_LABELS = LABELS

_SCENARIO = {
    Outcome.PASSED: OK,
    Outcome.FAILED: NOK,
    Outcome.ERROR: NOK,
    Outcome.UNDEFINED: NOK,
    Outcome.NOT_APPLICABLE: NOT_APPLICABLE,
}


def scenario_label(outcome: Outcome) -> str:
    """OK only for a pass; a skipped, interrupted or unrun scenario is NOT RUN."""
    return _SCENARIO.get(outcome, NOT_RUN)


def item_label(status: ChecklistStatus, outcomes: list[Outcome] | None = None) -> str:
    """An item's word; ``outcomes`` (of its scenarios) tell NOT APPLICABLE from NOT RUN."""
    coverage = status.coverage
    if coverage is Coverage.VERIFIED:
        return OK
    if coverage is Coverage.FAILED:
        return NOK
    if coverage is Coverage.UNCOVERED:
        # a critical item nothing verified blocks, whatever the reason: it stays UNCOVERED
        if not status.critical and outcomes and \
                all(o is Outcome.NOT_APPLICABLE for o in outcomes):
            return NOT_APPLICABLE
        return UNCOVERED
    if coverage in (Coverage.MANUAL_PASS, Coverage.MANUAL_FAIL):
        return MANUAL
    if coverage is Coverage.WAIVED:
        return WAIVED
    if outcomes and all(o is Outcome.NOT_APPLICABLE for o in outcomes):
        return NOT_APPLICABLE
    return NOT_RUN
