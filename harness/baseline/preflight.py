"""Before comparing: every column must be of the same type on both sides.

A money column of scale 2 in production and 3 on staging, or a date that became a
timestamp, would make every row differ (or hide real differences behind rounding);
that is a problem of the comparison, said once and clearly, not a million findings.
Production's types were recorded when the baseline was captured; staging's are what
its query returns now. Declared types (PostgreSQL) must agree in family and scale;
SQLite declares nothing, so its values must at least suit the field's kind.
"""

from __future__ import annotations

from harness.baseline.profile import Dataset
from harness.baseline.sources import ColumnType, CompareError
from harness.baseline.values import Kind

__all__ = ["preflight"]

_SUITS: dict[Kind | None, frozenset[str]] = {
    Kind.MONEY: frozenset({"numeric", "integer", "float", "number"}),
    Kind.INT: frozenset({"integer", "numeric"}),
    Kind.DATE: frozenset({"date", "text"}),
    Kind.TEXT: frozenset({"text", "mixed", "integer", "number"}),
    None: frozenset({"text", "integer"}),  # keys: ordered as text or as numbers
}


def _problem(column: str, kind: Kind | None, production: ColumnType, staging: ColumnType
             ) -> str | None:
    if "unknown" in (production.family, staging.family):
        return None  # no values on a side: nothing can disagree
    both_declared = not production.observed and not staging.observed
    if both_declared:
        if production.family != staging.family:
            return f"type differs: production {production}, staging {staging}"
        if None not in (production.scale, staging.scale) and production.scale != staging.scale:
            return (f"scale differs: production {production}, staging {staging} "
                    f"({production.scale} and {staging.scale} decimals)")
        return None
    suits = _SUITS[kind]
    for side, found in (("production", production), ("staging", staging)):
        if found.family not in suits:
            what = f"a {kind.value} field" if kind is not None else "a key"
            return f"{side} gives {found} values for {what}"
    if kind is None and production.family != staging.family \
            and {production.family, staging.family} <= {"text", "integer"}:
        return f"key type differs: production {production}, staging {staging}"
    return None


def preflight(name: str, dataset: Dataset, production: dict[str, str],
              staging: dict[str, ColumnType]) -> None:
    """CompareError listing every column whose type differs between the sides."""
    problems = []
    for column in dataset.columns:
        if column not in production:
            continue  # recorded by an older golive: nothing to check against
        spec = dataset.fields.get(column)
        if column not in dataset.key and spec is None:
            continue  # the group column is shown, not compared
        kind = spec.kind if spec is not None else None
        problem = _problem(column, kind, ColumnType.decode(production[column]), staging[column])
        if problem is not None:
            problems.append(f"{name}.{column}: {problem}")
    if problems:
        raise CompareError("the sides do not hold the same types, so their values cannot be "
                           "compared (cast them alike in the population query): "
                           + "; ".join(problems))
