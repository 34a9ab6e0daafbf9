"""Form field parsing: each helper returns the value or raises FormError with one line."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_AMOUNT = Decimal("100000")


class FormError(ValueError):
    """A field the user filled in wrongly; the message is shown on the form."""


def text(form: MultiDict[str, str], name: str, label: str, max_len: int = 200) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise FormError(f"{label} is required")
    if len(value) > max_len:
        raise FormError(f"{label} is too long (at most {max_len} characters)")
    return value


def optional_text(form: MultiDict[str, str], name: str, max_len: int = 200) -> str:
    return form.get(name, "").strip()[:max_len]


def email(form: MultiDict[str, str], name: str = "email") -> str:
    value = text(form, name, "Email")
    if not EMAIL_RE.match(value):
        raise FormError(f"not a valid email address: {value!r}")
    return value


def amount(form: MultiDict[str, str], name: str = "amount") -> Decimal:
    raw = form.get(name, "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FormError(f"amount must be a number like 12.34, not {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise FormError("amount must be greater than zero")
    if value > MAX_AMOUNT:
        raise FormError(f"amount must be at most {MAX_AMOUNT}")
    if value != value.quantize(Decimal("0.01")):
        raise FormError("amount must have at most two decimal places")
    return value.quantize(Decimal("0.01"))


def optional_date(form: MultiDict[str, str], name: str, default: dt.date) -> dt.date:
    raw = form.get(name, "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FormError(f"date must be YYYY-MM-DD, not {raw!r}") from None


def integer(form: MultiDict[str, str], name: str, label: str, low: int, high: int) -> int:
    raw = form.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        raise FormError(f"{label} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise FormError(f"{label} must be between {low} and {high}")
    return value


def card_number(form: MultiDict[str, str], name: str = "card_number") -> str:
    value = re.sub(r"[\s-]", "", form.get(name, ""))
    if not value.isdigit() or not 12 <= len(value) <= 19:
        raise FormError("card number must be 12 to 19 digits")
    return value


def choice(form: MultiDict[str, str], name: str, label: str, options: tuple[str, ...]) -> str:
    value = form.get(name, "").strip()
    if value not in options:
        raise FormError(f"{label} must be one of {', '.join(options)}")
    return value
