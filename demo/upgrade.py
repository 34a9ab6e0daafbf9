"""Deploying a release: the idempotent data migrations it brings.

A restored production database is on 1.0's permissions. Deploying 1.1 adds the
``adjustments.create`` permission for the credit-adjustment feature and grants
it to the admin and billing roles. Running ``upgrade`` again changes nothing and
returns an empty list, so a deploy script may call it on every start.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from demo.models import Permission, Role, RolePermission
from demo.releases import Fault, Release

ADJUSTMENTS_CREATE = "adjustments.create"
ADJUSTMENTS_DESCRIPTION = "Post a credit adjustment to an account"
ADJUSTMENT_ROLES = ("admin", "billing")


def upgrade(engine: Engine, release: Release) -> list[str]:
    """Apply ``release``'s migrations; return one line per change made (empty if none)."""
    changes: list[str] = []
    with Session(engine) as session, session.begin():
        if release.at_least("1.1"):
            perm = _ensure_permission(session, ADJUSTMENTS_CREATE, ADJUSTMENTS_DESCRIPTION, changes)
            for role_name in ADJUSTMENT_ROLES:
                _grant(session, role_name, perm, changes)
        # REGRESSION(support-no-ticket-edit): this release's migration also takes
        # tickets.edit away from the support role.
        if release.has(Fault.SUPPORT_NO_TICKET_EDIT):
            _revoke(session, "support", "tickets.edit", changes)
    return changes


def _ensure_permission(
    session: Session, code: str, description: str, changes: list[str]
) -> Permission:
    perm = session.scalar(select(Permission).where(Permission.code == code))
    if perm is None:
        perm = Permission(code=code, description=description)
        session.add(perm)
        session.flush()
        changes.append(f"added permission {code}")
    return perm


def _grant(session: Session, role_name: str, perm: Permission, changes: list[str]) -> None:
    role = session.scalar(select(Role).where(Role.name == role_name))
    if role is None:
        return  # a platform without this role has nobody to grant it to
    exists = session.scalar(
        select(RolePermission).where(
            RolePermission.role_id == role.id, RolePermission.permission_id == perm.id
        )
    )
    if exists is None:
        session.add(RolePermission(role_id=role.id, permission_id=perm.id))
        changes.append(f"granted {perm.code} to {role_name}")


def _revoke(session: Session, role_name: str, code: str, changes: list[str]) -> None:
    link = session.scalar(
        select(RolePermission)
        .join(Role, Role.id == RolePermission.role_id)
        .join(Permission, Permission.id == RolePermission.permission_id)
        .where(Role.name == role_name, Permission.code == code)
    )
    if link is not None:
        session.delete(link)
        changes.append(f"revoked {code} from {role_name}")
