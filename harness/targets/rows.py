"""Turning result rows into views by column name, with the types the views promise.

Databases disagree on types (SQLite hands back dates as text and booleans as
0/1, PostgreSQL as date and bool), so a row is mapped field by field using the
view's annotations. A missing column is an error naming the query, the method
that needed it and the columns the query did return.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from harness.targets.base import TargetError

V = TypeVar("V")

_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off", ""}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.fromisoformat(str(value).strip())


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    number = _to_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


_CONVERTERS: dict[Any, Callable[[Any], Any]] = {
    bool: _to_bool, int: _to_int, Decimal: _to_decimal, dt.date: _to_date,
    dt.datetime: _to_datetime, str: str,
}


def _converter(hint: Any) -> tuple[Callable[[Any], Any], bool]:
    """(converter, accepts None) for a field annotation such as ``dt.date | None``."""
    optional = False
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        optional = type(None) in args
        hint = next(a for a in args if a is not type(None))
    if typing.get_origin(hint) is list:
        return (lambda v: [str(x) for x in v]), optional
    return _CONVERTERS[hint], optional


def build_view(cls: type[V], row: Mapping[str, Any], query: str, method: str) -> V:
    """``cls`` from ``row`` by column name; TargetError naming what is wrong."""
    hints = typing.get_type_hints(cls)
    columns = {str(k).lower(): v for k, v in row.items()}
    values: dict[str, Any] = {}
    missing: list[str] = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in columns:
            if _has_default(f):
                continue
            missing.append(f.name)
            continue
        convert, optional = _converter(hints[f.name])
        raw = columns[f.name]
        if raw is None:
            if not optional:
                raise TargetError(f"query target.queries.{query} (used by Target.{method}) "
                                  f"returned NULL for {f.name}, which must have a value")
            values[f.name] = None
            continue
        try:
            values[f.name] = convert(raw)
        except (ValueError, TypeError) as exc:
            raise TargetError(f"query target.queries.{query} (used by Target.{method}): column "
                              f"{f.name}: {exc}") from None
    if missing:
        raise TargetError(
            f"query target.queries.{query} (used by Target.{method}) returns no column "
            f"{', '.join(missing)}; it returns: {', '.join(columns) or 'nothing'} "
            "(name the columns with AS)"
        )
    return cls(**values)


def _has_default(f: Any) -> bool:
    return f.default is not MISSING or f.default_factory is not MISSING
