"""The demo's production schedule: the pre-bill-run backup, then production's own bill run
on 1.0 in production's world (its gateway, provisioning and mail stood in on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo.backup import BackupError, backup, restore
from demo.cli import main as demo_main
from demo.db import make_engine
from demo.generate import generate
from demo.models import BillRun, Payment, PaymentMethod, PaymentProcessor, ProvisioningRequest
from demo.outbound.hosts import route, routed

RUN_DATE = dt.date(2026, 11, 1)


def bill_runs(url: str) -> list[tuple[dt.date, str, str]]:
    engine = make_engine(url)
    with Session(engine) as s:
        rows = [(r.run_date, r.release, r.status)
                for r in s.scalars(select(BillRun).order_by(BillRun.id))]
    engine.dispose()
    return rows


def test_backup_is_taken_before_production_runs_its_bill_run(db_url: str, tmp_path: Path,
                                                             request: pytest.FixtureRequest
                                                             ) -> None:
    generate(db_url, 40, 3)
    manifest = backup(db_url, tmp_path / "backups")
    billed = manifest.then_billed
    assert billed is not None and billed.run_date == RUN_DATE and billed.release == "1.0"
    assert billed.invoices > 0 and billed.errors == 0
    # production's world answered: cards charged through the gateway, services provisioned
    assert billed.world["payments"] > 0 and billed.world["provisioning"] > 0
    assert billed.world["mail"] == billed.invoices
    assert bill_runs(db_url) == [(RUN_DATE, "1.0", "done")]
    engine = make_engine(db_url)
    with Session(engine) as s:
        kinds = dict(s.execute(
            select(PaymentMethod.kind, func.count()).join(Payment, Payment.method_id ==
                                                          PaymentMethod.id)
            .where(Payment.status == "approved").group_by(PaymentMethod.kind)).all())
        assert kinds.get("card", 0) > 0 and kinds.get("echeck", 0) > 0
        # the configuration still names production's real hosts: the world was only routed
        urls = set(s.scalars(select(PaymentProcessor.gateway_url)))
        assert all(".example" in u for u in urls)
        assert s.scalar(select(func.count()).select_from(ProvisioningRequest)
                        .where(ProvisioningRequest.status == "sent")) > 0
    engine.dispose()
    # the backup holds production before that bill run
    if db_url.startswith("sqlite"):
        copy = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        copy = request.getfixturevalue("pg_server").create_database()
    assert manifest.path is not None
    restore(manifest.path, copy)
    assert bill_runs(copy) == []


def test_a_production_that_already_billed_is_not_backed_up_again(sqlite_url: str,
                                                                  tmp_path: Path) -> None:
    generate(sqlite_url, 20, 5)
    backup(sqlite_url, tmp_path / "first")
    with pytest.raises(BackupError, match="already ran its scheduled bill run of 2026-11-01"):
        backup(sqlite_url, tmp_path / "second")
    assert not list((tmp_path / "second").glob("*.manifest.json"))


def test_the_bill_run_can_be_left_for_later(sqlite_url: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    generate(sqlite_url, 20, 5)
    assert demo_main(["backup", "--db", sqlite_url, "--out", str(tmp_path),
                      "--no-bill-run"]) == 0
    assert bill_runs(sqlite_url) == []
    assert demo_main(["backup", "--db", sqlite_url, "--out", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert "then production's scheduled bill run for 2026-11-01 on release 1.0" in said
    assert bill_runs(sqlite_url) == [(RUN_DATE, "1.0", "done")]
    assert demo_main(["backup", "--db", sqlite_url, "--out", str(tmp_path)]) == 2
    assert "already ran its scheduled bill run" in capsys.readouterr().err


def test_routes_apply_only_inside_the_block() -> None:
    assert route("gateway.cardpay.example", 443) == ("gateway.cardpay.example", 443)
    with routed({"gateway.cardpay.example:443": ("127.0.0.1", 9)}):
        assert route("gateway.cardpay.example", 443) == ("127.0.0.1", 9)
        assert route("other.example", 443) == ("other.example", 443)
    assert route("gateway.cardpay.example", 443) == ("gateway.cardpay.example", 443)
