"""Steps about staff role permissions (seeds/002: "Can staff access all the functions they
need … Upgrades often bring new permissions and increased security").

The table names, per role, the functions its staff need; every one must be granted.
Extra grants are not a failure here (tightening is a separate review).
"""

from __future__ import annotations

from pytest_bdd import then

from harness.pytest.context import GoliveContext
from harness.targets.base import require


def _codes(cell: str) -> list[str]:
    return [c.strip() for c in cell.split(",") if c.strip()]


@then("each role has the permissions its staff need:")
def roles_have_permissions(golive: GoliveContext, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    col = {h.strip().lower(): i for i, h in enumerate(header)}
    assert {"role", "permissions"} <= col.keys(), "the table needs the columns role and permissions"
    granted = require(golive.target.permissions, "permissions").roles()
    problems: list[str] = []
    for row in rows:
        role = row[col["role"]].strip()
        if role not in granted:
            problems.append(f"role {role!r} does not exist (roles: {', '.join(sorted(granted))})")
            continue
        missing = [c for c in _codes(row[col["permissions"]]) if c not in granted[role]]
        if missing:
            problems.append(f"role {role} lacks {', '.join(missing)}")
    assert not problems, "\n".join(problems)
