"""The payment-gateway sandbox: a real HTTP server on 127.0.0.1 that approves, declines
or rejects charges by test card number or stored token, and records what it received.

API: ``POST <gateway_url>/charge`` with JSON ``{"merchant_id", "api_key", "amount":
"12.34", "currency", "kind": "card"|"echeck", "token"?, "card_number"?, "routing"?,
"account_number"?, "reference"}`` → 200 approved, 402 declined / insufficient_funds,
400 error for a malformed request.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from demo.httpserver import BackgroundServer

APPROVE_CARD = "4111111111111111"
DECLINE_CARD = "4000000000000002"
NSF_CARD = "4000000000009995"

_AMOUNT = re.compile(r"^\d{1,10}\.\d{2}$")
_TOKEN = re.compile(r"^tok_[0-9a-f]+(_decline|_nsf)?$")
_ROUTING = re.compile(r"^\d{9}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Malformed(ValueError):
    """The request breaks the API contract (answered with 400)."""


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _outcome_of_token(token: Any) -> str:
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise Malformed("token must look like tok_<hex>")
    if token.endswith("_decline"):
        return "declined"
    if token.endswith("_nsf"):
        return "insufficient_funds"
    return "approved"


def _outcome_of_card(number: Any) -> str:
    if not isinstance(number, str) or not number.isdigit() or not 12 <= len(number) <= 19:
        raise Malformed("card_number must be 12-19 digits")
    if number == DECLINE_CARD:
        return "declined"
    if number == NSF_CARD:
        return "insufficient_funds"
    return "approved" if _luhn_ok(number) else "declined"


def _require_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(f"{key} is required (string)")
    return value


def decide(body: Any, merchants: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """The gateway's answer (HTTP status, JSON) to one charge request body."""
    try:
        if not isinstance(body, dict):
            raise Malformed("body must be a JSON object")
        merchant = _require_str(body, "merchant_id")
        api_key = _require_str(body, "api_key")
        if merchants is not None and merchants.get(merchant) != api_key:
            raise Malformed("unknown merchant or wrong api_key")
        amount = body.get("amount")
        if not isinstance(amount, str) or not _AMOUNT.match(amount) or float(amount) <= 0:
            raise Malformed('amount must be a positive decimal string like "12.34"')
        if not _CURRENCY.match(str(body.get("currency", ""))):
            raise Malformed("currency must be a 3-letter code")
        _require_str(body, "reference")
        kind = body.get("kind")
        if kind == "card":
            if body.get("token") is not None:
                outcome = _outcome_of_token(body["token"])
            elif body.get("card_number") is not None:
                outcome = _outcome_of_card(body["card_number"])
            else:
                raise Malformed("card charge needs token or card_number")
        elif kind == "echeck":
            if not _ROUTING.match(str(body.get("routing", ""))):
                raise Malformed("echeck charge needs a 9-digit routing number")
            if body.get("token") is not None:
                outcome = _outcome_of_token(body["token"])
            elif isinstance(body.get("account_number"), str) and body["account_number"]:
                outcome = "approved"
            else:
                raise Malformed("echeck charge needs token or account_number")
        else:
            raise Malformed('kind must be "card" or "echeck"')
    except Malformed as exc:
        return 400, {"status": "error", "reason": str(exc)}
    if outcome == "approved":
        return 200, {"status": "approved", "ref": f"gw_{uuid.uuid4().hex[:16]}"}
    reason = "insufficient funds" if outcome == "insufficient_funds" else "card declined"
    return 402, {"status": outcome, "reason": reason}


class GatewayServer(BackgroundServer):
    """The sandbox on 127.0.0.1 (``port=0`` picks a free port); ``.requests`` holds every
    request received: ``{"method", "path", "body", "status", "response"}``."""

    thread_name = "gateway-sandbox"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, merchants: dict[str, str] | None = None
    ) -> None:
        self.merchants = merchants
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(self._app, host, port)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data(as_text=True)
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        if request.method == "POST" and request.path.rstrip("/").endswith("/charge"):
            status, answer = decide(body, self.merchants)
        elif request.method == "GET" and request.path in ("/", "/health"):
            status, answer = 200, {"status": "ok", "service": "payment gateway sandbox"}
        else:
            status, answer = 404, {"status": "error", "reason": "no such endpoint"}
        with self._lock:
            self.requests.append(
                {"method": request.method, "path": request.path, "body": body,
                 "status": status, "response": answer}
            )
        response = Response(json.dumps(answer), status=status, mimetype="application/json")
        return response(environ, start_response)


def main(argv: list[str] | None = None) -> int:
    """``python -m demo.gateway [--host 127.0.0.1] [--port 8800]``: run in the foreground."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m demo.gateway", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.exit(2, f"error: port must be 0-65535, got {args.port}\n")
    try:
        server = GatewayServer(args.host, args.port)
    except OSError as exc:
        parser.exit(2, f"error: cannot listen on {args.host}:{args.port}: {exc}\n")
    print(f"payment gateway sandbox on {server.url} (POST {server.url}/charge)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
