"""Deploying a release: demo.upgrade.upgrade on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from demo.db import create_schema, make_engine
from demo.models import Permission, Role, RolePermission
from demo.releases import RELEASES, get_release
from demo.upgrade import upgrade
from tests.demo.portal_fixtures import ROLES_1_0, build_portal_db


def grants(engine: Engine) -> dict[str, set[str]]:
    with Session(engine) as s:
        rows = s.execute(
            select(Role.name, Permission.code)
            .join(RolePermission, RolePermission.role_id == Role.id)
            .join(Permission, Permission.id == RolePermission.permission_id)
        )
        found: dict[str, set[str]] = {}
        for role, code in rows:
            found.setdefault(role, set()).add(code)
        return found


def permission_codes(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return set(s.scalars(select(Permission.code)))


@pytest.fixture
def engine(db_url: str) -> Engine:
    return build_portal_db(db_url).engine


def test_1_0_changes_nothing(engine: Engine) -> None:
    before = grants(engine)
    assert upgrade(engine, get_release("1.0")) == []
    assert "adjustments.create" not in permission_codes(engine)
    assert grants(engine) == before


def test_1_1_adds_adjustments_create_for_admin_and_billing_once(engine: Engine) -> None:
    assert upgrade(engine, get_release("1.1")) == [
        "added permission adjustments.create",
        "granted adjustments.create to admin",
        "granted adjustments.create to billing",
    ]
    after = grants(engine)
    assert "adjustments.create" in after["admin"] and "adjustments.create" in after["billing"]
    assert "adjustments.create" not in after["support"] | after["sales"]
    assert after["support"] == set(ROLES_1_0["support"])  # support keeps tickets.edit
    assert upgrade(engine, get_release("1.1")) == []  # idempotent
    assert grants(engine) == after


def test_support_no_ticket_edit_release_revokes_tickets_edit(engine: Engine) -> None:
    release = get_release("1.1-support-no-ticket-edit")
    changes = upgrade(engine, release)
    assert "revoked tickets.edit from support" in changes
    assert "added permission adjustments.create" in changes
    after = grants(engine)
    assert after["support"] == set(ROLES_1_0["support"]) - {"tickets.edit"}
    assert "tickets.edit" in after["admin"]
    assert upgrade(engine, release) == []


@pytest.mark.parametrize(
    "name", [n for n in RELEASES if n.startswith("1.1-") and n != "1.1-support-no-ticket-edit"]
)
def test_other_regressed_releases_migrate_like_1_1(sqlite_url: str, name: str) -> None:
    engine = build_portal_db(sqlite_url).engine
    assert upgrade(engine, get_release(name)) == [
        "added permission adjustments.create",
        "granted adjustments.create to admin",
        "granted adjustments.create to billing",
    ]
    assert grants(engine)["support"] == set(ROLES_1_0["support"])


def test_upgrade_of_a_database_without_roles_only_adds_the_permission(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    create_schema(engine)
    assert upgrade(engine, get_release("1.1")) == ["added permission adjustments.create"]
    assert upgrade(engine, get_release("1.1")) == []
