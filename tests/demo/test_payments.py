"""Payments through the real gateway sandbox: the API contract and ``payments.charge``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from demo.db import session_factory
from demo.gateway import APPROVE_CARD, DECLINE_CARD, NSF_CARD, GatewayServer, decide
from demo.models import Account, EventLog, Transaction
from demo.payments import PaymentError, charge
from demo.releases import get_release
from tests.demo.billing_fixtures import build, new_db, point_outbound

R11 = get_release("1.1")
GOOD = {"merchant_id": "m", "api_key": "k", "amount": "12.34", "currency": "USD",
        "kind": "card", "card_number": APPROVE_CARD, "reference": "r1"}


def post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(
    ("change", "status", "outcome"),
    [
        ({}, 200, "approved"),
        ({"card_number": DECLINE_CARD}, 402, "declined"),
        ({"card_number": NSF_CARD}, 402, "insufficient_funds"),
        ({"card_number": None, "token": "tok_9f"}, 200, "approved"),
        ({"card_number": None, "token": "tok_9f_decline"}, 402, "declined"),
        ({"card_number": None, "token": "tok_9f_nsf"}, 402, "insufficient_funds"),
        ({"kind": "echeck", "card_number": None, "token": "tok_1", "routing": "021000021"},
         200, "approved"),
        ({"kind": "echeck", "card_number": None, "token": "tok_1"}, 400, "error"),
        ({"amount": 1234}, 400, "error"),
        ({"amount": "-1.00"}, 400, "error"),
        ({"merchant_id": None}, 400, "error"),
        ({"card_number": None}, 400, "error"),
        ({"kind": "crypto"}, 400, "error"),
    ],
)
def test_gateway_answers_over_http(change: dict[str, Any], status: int, outcome: str) -> None:
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with GatewayServer() as gw:
        got_status, answer = post(f"{gw.url}/api/charge", body)
        assert gw.requests[0]["body"] == body and gw.requests[0]["status"] == got_status
    assert (got_status, answer["status"]) == (status, outcome)
    if status == 200:
        assert answer["ref"].startswith("gw_")
    else:
        assert answer["reason"]


def test_gateway_rejects_non_json_and_checks_merchants() -> None:
    with GatewayServer(merchants={"m": "k"}) as gw:
        assert post(f"{gw.url}/charge", b"not json")[0] == 400
        assert post(f"{gw.url}/charge", {**GOOD, "api_key": "wrong"})[0] == 400
        assert post(f"{gw.url}/charge", GOOD)[0] == 200
    assert decide([1, 2])[0] == 400


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = new_db(db_url)
    yield engine
    engine.dispose()


def _account_with_method(engine: Engine, kind: str, token: str) -> tuple[int, int]:
    with build(engine) as b:
        a = b.account()
        m = b.method(a, kind=kind, token=token, routing="021000021")
        return a.id, m.id


@pytest.mark.parametrize(
    ("kind", "token", "card", "status", "balance"),
    [
        ("card", "tok_a1", None, "approved", "-20.00"),
        ("card", "tok_a1_decline", None, "declined", "0.00"),
        ("card", "tok_a1_nsf", None, "declined", "0.00"),
        ("echeck", "tok_e1", None, "approved", "-20.00"),
        ("card", "tok_a1", NSF_CARD, "declined", "0.00"),
        ("card", "tok_a1", APPROVE_CARD, "approved", "-20.00"),
    ],
)
def test_charge_records_payment_and_transaction(
    engine: Engine, kind: str, token: str, card: str | None, status: str, balance: str
) -> None:
    account_id, _ = _account_with_method(engine, kind, token)
    with GatewayServer() as gw:
        point_outbound(engine, gateway_url=gw.url)
        with session_factory(engine)() as session:
            payment = charge(session, account_id, "20", "portal", R11, card_number=card)
            session.commit()
            assert payment.status == status and payment.source == "portal"
            assert payment.amount == Decimal("20.00")
        sent = gw.requests[0]["body"]
    assert sent["amount"] == "20.00" and sent["kind"] == kind
    assert sent.get("card_number") == card
    with session_factory(engine)() as session:
        assert session.get(Account, account_id).balance == Decimal(balance)  # type: ignore[union-attr]
        payments = list(session.scalars(select(Transaction.amount).where(
            Transaction.kind == "payment")))
        assert payments == ([Decimal("-20.00")] if status == "approved" else [])
        level = session.scalar(select(EventLog.level).where(EventLog.source == "payments"))
        assert level == ("INFO" if status == "approved" else "WARNING")


def test_charge_bad_input_is_a_clear_error(engine: Engine) -> None:
    account_id, _ = _account_with_method(engine, "card", "tok_a1")
    with build(engine) as b:
        other = b.account()
        other_id = other.id
    with session_factory(engine)() as session:
        with pytest.raises(PaymentError, match="amount must be positive"):
            charge(session, account_id, "0", "portal", R11)
        with pytest.raises(PaymentError, match="not a number"):
            charge(session, account_id, "abc", "portal", R11)
        with pytest.raises(PaymentError, match="no payment method"):
            charge(session, other_id, "5", "portal", R11)
        with pytest.raises(PaymentError, match="does not belong"):
            charge(session, other_id, "5", "portal", R11, method_id=999)


def test_unreachable_gateway_is_a_failed_payment(engine: Engine) -> None:
    account_id, _ = _account_with_method(engine, "card", "tok_a1")
    with session_factory(engine)() as session:  # still production's .example gateway
        payment = charge(session, account_id, "5.00", "admin", R11)
        session.commit()
        assert payment.status == "failed"
        assert "gateway.cardpay.example" in payment.message
        assert session.get(Account, account_id).balance == Decimal("0.00")  # type: ignore[union-attr]
