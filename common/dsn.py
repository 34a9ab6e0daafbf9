"""Database URLs, in one place: parsing, normalising, hiding credentials, SQLite files.

A profile may name a database as a URL (``postgresql://…``, ``postgres://…``,
``sqlite:///var/x.db``, ``sqlite:///file:var/x.db?uri=true``), as a libpq
keyword/value string (``host=db port=5432 dbname=billing password=…``), or as a
bare path (a SQLite file). `Dsn` reads all three and offers:

- `Dsn.reveal` / `Dsn.sqlalchemy_url`: what the code that connects needs (the
  driver filled in: psycopg 3 for PostgreSQL); nothing else sees a password.
  A SQLite ``file:`` name is a URI to SQLite itself (Debian builds it with
  SQLITE_USE_URI) but a relative file name to SQLAlchemy without ``uri=true``:
  golive makes its path absolute and adds ``uri=true``, so every piece of code
  opens the file the identity checks looked at.
- `Dsn.masked` (also ``str``/``repr``): every credential hidden — the password
  of the URL and every credential query parameter (``password``,
  ``sslpassword``, ``passfile``, …); `Dsn.secrets` lists them for redaction.
- `Dsn.key` and `Dsn.same_database`: whether two spellings name one database,
  decided from the text alone (loading a profile never connects): the scheme
  (``postgres`` = ``postgresql``, driver ignored), hosts lower-cased without a
  trailing dot, every loopback name or address and unix-socket directory as
  "this machine", ``?host=``/``?port=``/``?dbname=`` forms, default port and
  database as libpq fills them in; SQLite files by device and inode when they
  exist, else by resolved folder and name. When in doubt two spellings count as
  one, so a check built on it refuses rather than writes. Host aliases that only
  DNS knows (``vm`` = 127.0.0.1) are beyond the text: `harness.identity` asks the
  servers themselves before every write.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from pydantic import GetCoreSchemaHandler, ValidationInfo
from pydantic_core import core_schema
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from common.redaction import MASK, is_credential_key
from common.redaction import redact as redact_text

__all__ = ["DbKey", "Dsn", "DsnError", "SqliteFile", "mask", "profile_root", "sqlalchemy_url"]


class DsnError(ValueError):
    """DSN text golive understands the shape of but cannot use; the message says why."""


def profile_root(info: ValidationInfo) -> Path | None:
    """The profile's folder, passed to validation as context: relative paths start there."""
    context = info.context if isinstance(info.context, dict) else {}
    root = context.get("root")
    return Path(root) if root is not None else None


_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}
_DRIVERS = {"postgresql": "postgresql+psycopg"}  # the installed driver for a bare scheme
_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "localhost6",
                "localhost6.localdomain6", "ip6-localhost", "ip6-loopback", "0.0.0.0", "::"}
_KEYWORD_DSN = re.compile(r"^\s*[A-Za-z_]+\s*=")
LOCAL = "this machine"


@dataclass(frozen=True)
class SqliteFile:
    """Where a SQLite URL points: a file (absolute, links resolved) or memory."""

    path: Path | None  # None: in memory
    name: str = ""  # the in-memory database's name (``file:x?mode=memory``)

    @property
    def memory(self) -> bool:
        return self.path is None

    def inode(self) -> tuple[int, int] | None:
        """(device, inode) of the file, None when it does not exist (yet)."""
        if self.path is None:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def folder(self) -> tuple[int, int] | None:
        """(device, inode) of the folder the file is (or will be) in."""
        if self.path is None:
            return None
        try:
            st = os.stat(self.path.parent)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def same_file(self, other: SqliteFile) -> bool:
        """One file under two names: same inode (hard links, bind mounts), or — when one
        does not exist yet — the same resolved path or the same folder and name.
        Two in-memory databases are one only when they share a name."""
        if self.path is None or other.path is None:
            return self.path is None and other.path is None and bool(self.name) \
                and self.name == other.name
        if self.path == other.path:
            return True
        mine, theirs = self.inode(), other.inode()
        if mine is not None and theirs is not None:
            return mine == theirs
        folder = self.folder()
        return folder is not None and folder == other.folder() \
            and self.path.name == other.path.name


@dataclass(frozen=True)
class DbKey:
    """A server database as its text names it: backend, (host, port) pairs, database."""

    backend: str
    endpoints: frozenset[tuple[str, int | None]]
    database: str
    service: str | None = None

    def text(self) -> str:
        """A stable one-line spelling (the same in every process), e.g. for file names."""
        ends = ",".join(sorted(f"{h}:{p}" for h, p in self.endpoints))
        return f"{self.backend}|{ends}|{self.database}|{self.service or ''}"

    def matches(self, other: DbKey) -> bool:
        return (self.backend == other.backend and self.database == other.database
                and self.service == other.service
                and bool(self.endpoints & other.endpoints))


def _host(name: str) -> str:
    """A host as compared: lower case, no trailing dot or brackets; loopback = this machine."""
    host = name.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.startswith(("/", "@")) or host in _LOCAL_NAMES or host.endswith(".localhost"):
        return LOCAL  # a unix-socket directory, abstract socket or loopback name
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return LOCAL if host in _own_names() else host
    mapped = getattr(address, "ipv4_mapped", None)
    if address.is_loopback or address.is_unspecified or (mapped and mapped.is_loopback):
        return LOCAL
    return str(address)


def _own_names() -> set[str]:
    """This machine's own host name (no DNS asked): it reaches the local servers too."""
    name = socket.gethostname().lower().rstrip(".")
    return {name, name.split(".", 1)[0]}


def _sqlite_uri(database: str, root: Path | None,
                outer: dict[str, str]) -> tuple[SqliteFile, str]:
    """A SQLite ``file:`` URI (https://sqlite.org/uri.html) as a file, and the URI again
    with an absolute path (relative ones start at ``root``, like the rest of the profile).
    ``outer`` holds the SQLAlchemy URL's query, which the driver appends to the URI."""
    rest = database[len("file:"):]
    query = ""
    if "#" in rest:
        rest = rest.split("#", 1)[0]
    if "?" in rest:
        rest, query = rest.split("?", 1)
    if rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            raise DsnError(f"a SQLite file: URI names host {authority!r}; only a local "
                           "file can be opened")
        rest = "/" + path
    params = {**outer, **dict(p.partition("=")[::2] for p in query.split("&") if p)}
    name = unquote(rest)
    if params.get("mode") == "memory" or name in ("", ":memory:"):
        return SqliteFile(None, name), database
    if name.startswith("/"):
        name = "/" + name.lstrip("/")  # "//x" is "/x" to the kernel, but a host in a URI
    file = Path(name).expanduser()
    if not file.is_absolute() and root is not None:
        file = root / file
    uri = "file:" + quote(str(file), safe="/") + (f"?{query}" if query else "")
    return SqliteFile(file.resolve()), uri


def _keyword_url(text: str) -> URL:
    """A libpq keyword/value string as a ``postgresql://`` URL (libpq itself parses it)."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # pragma: no cover - psycopg is a dependency
        raise DsnError("keyword/value DSNs need psycopg") from None
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(text).items() if v is not None}
    except Exception as exc:  # psycopg.ProgrammingError: libpq could not parse it
        reason = redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        raise DsnError(f"not a libpq keyword/value string: {reason}") from None
    user, password = params.pop("user", None), params.pop("password", None)
    database = params.pop("dbname", None)
    host, port = params.get("host", ""), params.get("port", "")
    simple = host and "," not in host and not host.startswith("/") and \
        (not port or port.isdigit())
    if simple:
        params.pop("host")
        params.pop("port", None)
    if password is not None and user is None:  # a URL has no password without a user
        params["password"] = password
        password = None
    return URL.create("postgresql", username=user, password=password,
                      host=host if simple else None,
                      port=int(port) if simple and port else None,
                      database=database, query=params)


class Dsn:
    """A database URL whose ``str``/``repr`` hide every credential; `reveal` gives it back.

    A bare path is a SQLite file, a ``key=value`` string a libpq DSN. A relative
    SQLite path (or ``file:`` URI) is made absolute against the profile's
    folder when loaded from a profile.
    """

    __slots__ = ("_sqlite", "_text", "_url")

    def __init__(self, value: str, root: Path | None = None) -> None:
        text = value.strip()
        if not text:
            raise DsnError("empty database URL")
        if "://" in text:
            url = make_url(text)  # ArgumentError / ValueError on nonsense
        elif _KEYWORD_DSN.match(text):
            url = _keyword_url(text)
            text = url.render_as_string(hide_password=False)
        else:  # a bare path is a SQLite file, as the demo accepts
            url = make_url(f"sqlite:///{text}")
            text = f"sqlite:///{text}"
        self._sqlite: SqliteFile | None = None
        if url.get_backend_name() == "sqlite":
            database = url.database or ""
            if database.startswith("file:"):
                outer = {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}
                self._sqlite, uri = _sqlite_uri(database, root, outer)
                if uri != database or outer.get("uri") != "true":
                    # uri=true: SQLAlchemy too opens it as the URI SQLite itself would
                    url = url.set(database=uri).update_query_dict({"uri": "true"})
                    text = url.render_as_string(hide_password=False)
            elif database in ("", ":memory:"):
                self._sqlite = SqliteFile(None)
            else:
                path = Path(database).expanduser()
                if not path.is_absolute() and root is not None:
                    path = root / path
                if str(path) != database:
                    url = url.set(database=str(path))
                    text = url.render_as_string(hide_password=False)
                self._sqlite = SqliteFile(path.resolve())
        self._url: URL = url
        self._text = text

    # -- what the code that connects needs -------------------------------------------
    def reveal(self) -> str:
        """The real URL, credentials included: only for the code that connects."""
        return self._text

    @property
    def url(self) -> URL:
        return self._url

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with its driver (psycopg 3 for a bare ``postgresql://``/``postgres://``)."""
        url = self._url
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername=_DRIVERS["postgresql"])
        elif url.drivername.startswith("postgres+"):
            url = url.set(drivername="postgresql+" + url.drivername.split("+", 1)[1])
        if url is self._url:
            return self._text
        return url.render_as_string(hide_password=False)

    @property
    def libpq_url(self) -> str:
        """A ``postgresql://`` URL libpq tools (pg_restore, psql) accept."""
        return self._url.set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql``, … (the driver dropped, ``postgres`` as ``postgresql``)."""
        backend = self._url.get_backend_name()
        return "postgresql" if backend == "postgres" else backend

    @property
    def sqlite(self) -> SqliteFile | None:
        """The SQLite file (or memory) of a SQLite URL, else None."""
        return self._sqlite

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (absolute, links resolved), else None."""
        return self._sqlite.path if self._sqlite is not None else None

    # -- what may be shown ---------------------------------------------------------------
    @property
    def masked(self) -> str:
        """The URL with its password and every credential query parameter shown as ***."""
        url = self._url
        hidden = {k: MASK for k in url.query if is_credential_key(k)}
        if hidden:
            url = url.update_query_dict(hidden)
        return url.render_as_string(hide_password=True).replace(quote(MASK, safe=""), MASK)

    def secrets(self) -> list[str]:
        """Every credential in this DSN (password, credential query values)."""
        found = [self._url.password] if self._url.password else []
        for key, value in self._url.query.items():
            if is_credential_key(key):
                found += [value] if isinstance(value, str) else list(value)
        return [str(s) for s in found if s]

    # -- which database -------------------------------------------------------------------
    def digest(self) -> str:
        """A short name of this database, the same under every spelling of it: for the
        files golive keeps per staging database (reuse marker, bill-run mark, lock)."""
        return hashlib.sha256(self.key().text().encode()).hexdigest()[:16]

    def key(self, env: dict[str, str] | None = None) -> DbKey:
        """The database as its text names it, filled in as libpq would (``PGHOST``,
        ``PGPORT``, ``PGDATABASE``, ``PGUSER`` and defaults)."""
        environ = os.environ if env is None else env
        url, backend = self._url, self.backend
        if backend == "sqlite":
            file = self._sqlite or SqliteFile(None)
            where = str(file.path) if file.path is not None else f":memory:{file.name}"
            return DbKey("sqlite", frozenset({("", None)}), where)
        query = {k: (v if isinstance(v, str) else ",".join(v)) for k, v in url.query.items()}
        hosts_text = url.host or query.get("host") or query.get("hostaddr") or ""
        ports_text = str(url.port or query.get("port") or "")
        if backend == "postgresql":
            hosts_text = hosts_text or environ.get("PGHOST", "")
            ports_text = ports_text or environ.get("PGPORT", "")
        hosts = hosts_text.split(",") if hosts_text else [""]
        ports: list[int | None] = []
        for text in (ports_text.split(",") if ports_text else [""]):
            ports.append(int(text) if text.strip().isdigit()
                         else _DEFAULT_PORTS.get(backend))
        if len(ports) == 1:
            ports *= len(hosts)
        endpoints = frozenset((_host(h), ports[i] if i < len(ports) else ports[-1])
                              for i, h in enumerate(hosts))
        database = url.database or query.get("dbname") or ""
        if backend == "postgresql" and not database:
            database = environ.get("PGDATABASE") or url.username or query.get("user") \
                or environ.get("PGUSER") or _login()
        return DbKey(backend, endpoints, database, query.get("service"))

    def same_database(self, other: Dsn) -> bool:
        """Whether this and ``other`` name one database, by their text (and, for SQLite
        files, the file system): see the module docstring."""
        if self._sqlite is not None and other._sqlite is not None:
            return self._sqlite.same_file(other._sqlite)
        return self.key().matches(other.key())

    # -- plumbing ----------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Dsn({self.masked!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dsn) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    @classmethod
    def of(cls, value: object) -> Dsn:
        """``value`` as a Dsn (a Dsn, anything with ``reveal()``, or a string)."""
        if isinstance(value, Dsn):
            return value
        revealer = getattr(value, "reveal", None)
        return cls(str(revealer()) if callable(revealer) else str(value))

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
        except (ArgumentError, ValueError) as exc:
            detail = str(exc) if isinstance(exc, DsnError) else ""
            raise ValueError(
                "not a database URL (e.g. sqlite:///var/staging.db, "
                "postgresql://user:${PGPASSWORD}@host/db or host=db dbname=billing)"
                + (f": {detail}" if detail else "")
            ) from None


def _login() -> str:
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER", "")


def mask(text: str) -> str:
    """Any DSN text as it may be printed; text that is no DSN is redacted by pattern."""
    try:
        return Dsn(text).masked
    except (ArgumentError, ValueError):
        return redact_text(text)


def sqlalchemy_url(text: str) -> str:
    """The SQLAlchemy URL (with driver) for DSN text in any form golive accepts."""
    return Dsn(text).sqlalchemy_url
