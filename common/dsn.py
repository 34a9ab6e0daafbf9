"""Database URLs in a profile: `Dsn` hides its password whenever it is printed.

Only `Dsn.reveal` gives the real URL, to the code that connects. `identity`
and `same_database` compare two URLs as databases (host, port, database,
resolved SQLite path), so "staging equals production" is caught under any
spelling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import GetCoreSchemaHandler, ValidationInfo
from pydantic_core import core_schema
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["Dsn", "profile_root"]


def profile_root(info: ValidationInfo) -> Path | None:
    """The profile's folder, passed to validation as context: relative paths start there."""
    context = info.context if isinstance(info.context, dict) else {}
    root = context.get("root")
    return Path(root) if root is not None else None


_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}


class Dsn:
    """A database URL whose ``str``/``repr`` hide the password; `reveal` gives it back.

    A bare path is a SQLite file. A relative SQLite path is made absolute
    against the profile's directory when loaded from a profile.
    """

    __slots__ = ("_text", "_url")

    def __init__(self, value: str, root: Path | None = None) -> None:
        text = value.strip()
        if "://" not in text:
            text = f"sqlite:///{text}"
        url = make_url(text)  # ArgumentError / ValueError on nonsense
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and database not in ("", ":memory:") \
                and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not path.is_absolute() and root is not None:
                url = url.set(database=str(root / path))
                text = url.render_as_string(hide_password=False)
        self._url: URL = url
        self._text = text

    def reveal(self) -> str:
        """The real URL, password included: only for the code that connects."""
        return self._text

    @property
    def masked(self) -> str:
        return self._url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql``, … (the driver suffix dropped)."""
        return self._url.get_backend_name()

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL, else None."""
        database = self._url.database or ""
        if self.backend != "sqlite" or database in ("", ":memory:"):
            return None
        return Path(database)

    def identity(self) -> tuple[str, str, int | None, str]:
        """(backend, host, port, database): equal for two spellings of one database.

        When in doubt two spellings compare equal (loopback names and sockets
        are all "local"), so a safety check refuses rather than writes.
        """
        url = self._url
        path = self.sqlite_path
        if self.backend == "sqlite":
            return ("sqlite", "", None, str(path.resolve()) if path else ":memory:")
        host = (url.host or str(url.query.get("host") or "")).lower()
        host = "local" if host in _LOCAL_HOSTS or host.startswith("/") else host
        port = url.port or _DEFAULT_PORTS.get(self.backend)
        return (self.backend, host, port, url.database or "")

    def same_database(self, other: Dsn) -> bool:
        return self.identity() == other.identity()

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Dsn({self.masked!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dsn) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(
            cls._validate,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def _validate(cls, value: str, info: ValidationInfo) -> Dsn:
        try:
            return cls(value, profile_root(info))
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a database URL (e.g. sqlite:///var/staging.db or "
                "postgresql://user:${PGPASSWORD}@host/db)"
            ) from None
