"""The PII scanner: everything a person could read, streamed, counted, never kept.

Runs on any database (``golive scan DSN``) and after every sanitize. The
catalogue (`sanitize.catalogue`) says what to read: every relation that
stores data in every schema the role can see, every column that can hold
text. Each relation is read once (a server-side cursor on PostgreSQL, fetched
in batches, one read-only repeatable-read snapshot for the whole scan), each
value turned into the pieces a person would read (`sanitize.pieces`) and
judged by the detectors: e-mails outside the allowed domains, phone numbers,
Luhn-valid card numbers, IBANs, hosts and IPs outside the allowlist, and
originals that survived (given a sample). Bytes are decoded when they are
text; long ones are read in chunks by row address, never whole. Only counts
leave this module.

What could not be read (no privilege, row-level security, a read that
failed) is listed in the result and makes it incomplete: a scan that could
not read a table proves nothing about it. Exclusions and allowances of the
scan settings are applied and recorded with their reasons and counts.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import EnvironmentProblem
from sanitize.catalogue import Kind, Relation, ScanColumn, read_catalogue, why
from sanitize.detectors import ALLOWED, Detectors
from sanitize.originals import OriginalSample
from sanitize.pieces import NUMBER_FLOOR, BytesText, digits_of, flatten, json_pieces, xml_pieces
from sanitize.report import Excluded, Finding, ScanResult, Tally, Unreadable
from sanitize.scanconfig import Exclusion, ScanSettings

__all__ = ["BATCH", "scan_connection"]

BATCH = 5000
BINARY_BATCH = 500  # rows per fetch when values may be bytes (each read up to HEAD bytes)
HEAD = 16 * 1024  # bytes of a binary value read with its row; the rest in CHUNKs by address
CHUNK = 1024 * 1024
OVERLAP = 256  # characters of one chunk scanned again with the next (a match on the seam)


def scan_connection(conn: Connection, settings: ScanSettings | None = None,
                    originals: OriginalSample | None = None) -> ScanResult:
    """Scan everything readable behind ``conn``; the result holds counts, never values."""
    settings = settings or ScanSettings()
    started = time.perf_counter()
    _read_only(conn)
    try:
        catalogue = read_catalogue(conn, settings.schemas)
    except DBAPIError as exc:
        raise EnvironmentProblem(f"cannot read the database catalogue: {why(exc)}") from None
    result = ScanResult(settings=settings.summary(), schemas=catalogue.schemas,
                        skipped=sorted(catalogue.skipped))
    matched: dict[Exclusion, list[str]] = {rule: [] for rule in settings.exclude}
    for qualified, entry in catalogue.unreadable:
        rule = settings.exclusion(qualified, entry.table, entry.column)
        if rule is None:
            result.unreadable.append(entry)
        else:
            matched[rule].append(entry.label())
    detectors = settings.detectors()
    findings: Counter[tuple[str, str, str]] = Counter()
    binary: Counter[tuple[str, str]] = Counter()
    for relation in sorted(catalogue.relations, key=lambda r: r.shown):
        rule = settings.exclusion(relation.qualified, relation.shown)
        if rule is not None:
            matched[rule].append(relation.shown)
            continue
        columns: list[ScanColumn] = []
        for column in relation.columns:
            rule = settings.exclusion(relation.qualified, relation.shown, column.name)
            if rule is not None:
                matched[rule].append(f"{relation.shown}.{column.name}")
            else:
                columns.append(column)
        if not columns:
            continue
        result.tables += 1
        result.columns += len(columns)
        table = _TableScan(conn, relation, columns, detectors, originals)
        failure = table.run()
        if failure is not None:
            result.unreadable.append(Unreadable(relation.shown, None, failure))
        result.values += table.values
        for (name, what), count in table.counts.items():
            findings[(relation.shown, name, what)] += count
        for name, count in table.binary.items():
            binary[(relation.shown, name)] += count
    conn.rollback()
    result.findings = [Finding(t, c, d, n) for (t, c, d), n in sorted(findings.items())
                       if not d.startswith(ALLOWED)]
    result.allowed = [Tally(t, c, d[len(ALLOWED):], n) for (t, c, d), n
                      in sorted(findings.items()) if d.startswith(ALLOWED)]
    result.binary = [Tally(t, c, "binary", n) for (t, c), n in sorted(binary.items())]
    result.excluded = [Excluded(rule.label(), rule.reason, tuple(dict.fromkeys(names)))
                       for rule, names in matched.items()]
    result.unreadable.sort(key=lambda u: (u.table, u.column or ""))
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _read_only(conn: Connection) -> None:
    """One read-only snapshot for the whole scan on PostgreSQL; a table another session
    holds locked for long is reported unreadable instead of waiting forever."""
    if conn.in_transaction():
        conn.rollback()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")


class _TableScan:
    """One relation read once: counts per (column, detector), binary values per column."""

    def __init__(self, conn: Connection, relation: Relation, columns: list[ScanColumn],
                 detectors: Detectors, originals: OriginalSample | None) -> None:
        self.conn = conn
        self.relation = relation
        self.columns = columns
        self.detectors = detectors
        self.originals = originals
        self.quote = conn.dialect.identifier_preparer.quote
        self.sqlite = conn.dialect.name == "sqlite"
        self.counts: Counter[tuple[str, str]] = Counter()
        self.binary: Counter[str] = Counter()
        self.values = 0
        self.cells: dict[str, dict[str, bytes]] = {}
        if originals is not None and relation.shown == relation.name:
            self.cells = {c.name: originals.cells.get((relation.name, c.name), {})
                          for c in columns}
        self.keys = relation.primary_key if any(self.cells.values()) else []
        self.bytes_possible = any(c.kind in (Kind.BYTES, Kind.ANY) for c in columns)
        self.address = relation.address if self.bytes_possible else None

    @property
    def source(self) -> str:
        if self.sqlite:
            return f"main.{self.quote(self.relation.name)}"
        return f"{self.quote(self.relation.schema)}.{self.quote(self.relation.name)}"

    def run(self) -> str | None:
        """Read the relation; why it could not be read, or None. SQLite text that is not
        UTF-8 is read again as bytes."""
        failure = self._attempt(text_as_bytes=False)
        if failure is not None and self.sqlite and "UTF-8" in failure:
            self.counts.clear()
            self.binary.clear()
            self.values = 0
            failure = self._attempt(text_as_bytes=True)
        return failure

    def _attempt(self, text_as_bytes: bool) -> str | None:
        savepoint = self.conn.begin_nested()
        try:
            self._read(text_as_bytes)
        except (DBAPIError, UnicodeDecodeError) as exc:
            savepoint.rollback()
            return why(exc)
        savepoint.commit()
        return None

    # -- SQL ---------------------------------------------------------------------------

    def _expression(self, column: ScanColumn, text_as_bytes: bool) -> str:
        name = self.quote(column.name)
        whole = self.address is None  # no way back to the row: read the value whole
        if self.sqlite:
            texts = "('blob', 'text')" if text_as_bytes else "('blob')"
            blob = "CAST(" + name + " AS BLOB)" if whole else \
                f"substr(CAST({name} AS BLOB), 1, {HEAD + 1})"
            return (f"CASE WHEN typeof({name}) IN {texts} THEN {blob} "
                    f"WHEN typeof({name}) IN ('integer', 'real') AND {name} < {NUMBER_FLOOR} "
                    f"THEN NULL ELSE {name} END")
        if column.array:
            return f"CAST({name} AS {'bytea' if column.kind is Kind.BYTES else 'text'}[])"
        if column.kind is Kind.BYTES:
            return f"CAST({name} AS bytea)" if whole else \
                f"substring(CAST({name} AS bytea) FROM 1 FOR {HEAD + 1})"
        if column.kind is Kind.NUMBER:
            return f"CASE WHEN {name} >= {NUMBER_FLOOR} THEN CAST({name} AS text) END"
        return f"CAST({name} AS text)"

    def _read(self, text_as_bytes: bool) -> None:
        selected = [f"CAST({self.quote(k)} AS TEXT)" for k in self.keys]
        if self.address is not None:
            selected.append("rowid" if self.sqlite else "CAST(ctid AS text)")
        skip = len(selected)
        selected += [self._expression(c, text_as_bytes) for c in self.columns]
        sql = f"SELECT {', '.join(selected)} FROM {self.source}"
        batch = BINARY_BATCH if self.bytes_possible else BATCH
        rows = self.conn.execute(text(sql).execution_options(stream_results=True,
                                                             yield_per=batch))
        try:
            self._rows(rows.partitions(batch), skip)
        finally:
            rows.close()

    # -- values ------------------------------------------------------------------------

    def _rows(self, batches: Iterator[Any], skip: int) -> None:
        find = self.detectors.find
        counts = self.counts
        originals = self.originals
        keys = len(self.keys)
        address = self.address is not None
        columns = [(c, c.kind in (Kind.TEXT, Kind.ANY) and not c.array, self.cells.get(c.name))
                   for c in self.columns]
        for batch in batches:
            for row in batch:
                row_key = "|".join(str(v) for v in row[:keys]) if keys else None
                for (column, plain, cells), value in zip(columns, row[skip:], strict=True):
                    if value is None:
                        continue
                    if plain and type(value) is str:  # the hot path: a text value
                        if not value:
                            continue
                        self.values += 1
                        for detector in find(value):
                            counts[(column.name, detector)] += 1
                        if originals is not None and _survived(originals, cells, row_key,
                                                               value):
                            counts[(column.name, "original")] += 1
                        continue
                    self.values += 1
                    where = row[keys] if address else None
                    for detector in self._judge(column, value, where):
                        counts[(column.name, detector)] += 1

    def _judge(self, column: ScanColumn, value: Any, where: Any) -> set[str]:
        """The detectors that fire on one non-text value (JSON, XML, bytes, number, array)."""
        if column.array:
            found: set[str] = set()
            for item in flatten(value):
                found |= self._piece(column, column.kind, item, None)
            return found
        return self._piece(column, column.kind, value, where)

    def _piece(self, column: ScanColumn, kind: Kind, value: Any, where: Any) -> set[str]:
        if isinstance(value, bytes | memoryview):
            return self._bytes(column, bytes(value), where)
        if kind is Kind.JSON:
            found: set[str] = set()
            for piece in json_pieces(value):
                found |= self._text(piece) if isinstance(piece, str) else self._number(piece)
            return found
        if kind is Kind.XML:
            found = set()
            for piece in xml_pieces(value):
                found |= self._text(piece)
            return found
        if kind is Kind.NUMBER or not isinstance(value, str):
            return self._number(value)
        return self._text(value)

    def _text(self, value: str) -> set[str]:
        found = self.detectors.find(value) if value else set()
        if self.originals is not None and _survived(self.originals, None, None, value):
            found.add("original")
        return found

    def _number(self, value: object) -> set[str]:
        digits = digits_of(value)
        if digits is None:
            return set()
        found = self.detectors.find_number(digits)
        if self.originals is not None and _survived(self.originals, None, None, digits):
            found.add("original")
        return found

    def _bytes(self, column: ScanColumn, head: bytes, where: Any) -> set[str]:
        """Bytes as text when they are text (the rest read in chunks by row address);
        otherwise one more binary value of the column, not scanned."""
        if not head:
            return set()
        more = where is not None and len(head) > HEAD
        reader = BytesText(head, more)
        if reader.binary:
            self.binary[column.name] += 1
            return set()
        if not more:
            return self._text(reader.decode(head, final=True))
        first = reader.decode(head, final=False)
        found = self.detectors.find(first)
        seam = first[-OVERLAP:]
        for chunk in self._rest(column, where):
            piece = seam + reader.decode(chunk, final=False)
            found |= self.detectors.find(piece)
            seam = piece[-OVERLAP:]
        rest = reader.decode(b"", final=True)  # an incomplete character at the very end
        return found | self.detectors.find(seam + rest) if rest else found

    def _rest(self, column: ScanColumn, where: Any) -> Iterator[bytes]:
        name = self.quote(column.name)
        if self.sqlite:
            sql = f"SELECT substr(CAST({name} AS BLOB), :start, :size) FROM {self.source} " \
                  "WHERE rowid = :where"
        else:
            sql = f"SELECT substring(CAST({name} AS bytea) FROM :start FOR :size) " \
                  f"FROM {self.source} WHERE ctid = CAST(:where AS tid)"
        start = HEAD + 2  # the head was bytes 1 … HEAD + 1
        while True:
            chunk = self.conn.execute(text(sql), {"start": start, "size": CHUNK,
                                                  "where": where}).scalar()
            if not chunk:
                return
            yield bytes(chunk)
            if len(chunk) < CHUNK:
                return
            start += CHUNK


def _survived(originals: OriginalSample, cells: dict[str, bytes] | None, row_key: str | None,
              value: str) -> bool:
    identifying = originals.identifying(value)
    if not cells and not identifying:
        return False
    digest = originals.digest(value)
    if cells and row_key is not None and cells.get(row_key) == digest:
        return True
    return identifying and digest in originals.values
