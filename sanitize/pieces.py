"""One stored value as the pieces a person would read in it: pure functions, no I/O.

A JSON document is its keys and its leaves, an XML document its text nodes,
attribute values, CDATA and comments, an array its elements, a number its
digits, bytes their text when they are text. Each piece is judged on its own,
so a host name alone in a JSON leaf or an XML element is seen as a host, as it
would be alone in a column.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

__all__ = ["BytesText", "digits_of", "flatten", "json_pieces", "xml_pieces"]

NUMBER_FLOOR = 1_000_000_000  # fewer than ten digits is neither a phone nor a card

_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>|<!--(.*?)-->", re.S)
_TAG = re.compile(r"<[^>]*>")
_ATTR = re.compile(r"""=\s*(?:"([^"]*)"|'([^']*)')""")
# Bytes of text: printable ASCII, tab/newline/carriage return, and Latin-1 letters.
_TEXT_BYTES = bytes([9, 10, 13, *range(32, 127), *range(160, 256)])
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_NOISE_SHARE = 0.05  # text has at most this share of control (or, in Latin-1, unprintable) bytes


def digits_of(value: object) -> str | None:
    """The digits of a whole non-negative number of ten or more digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= NUMBER_FLOOR else None
    if isinstance(value, float):
        return str(int(value)) if value >= NUMBER_FLOOR and value.is_integer() else None
    if isinstance(value, Decimal):
        return digits_of(int(value)) if value == value.to_integral_value() else None
    if isinstance(value, str):  # a number's text form (PostgreSQL numeric as text)
        whole, _, fraction = value.partition(".")
        if whole.isdigit() and not fraction.strip("0") and len(whole) >= 10:
            return whole
    return None


def flatten(items: list[Any]) -> Iterator[Any]:
    """The elements of a (possibly nested) array, NULLs left out."""
    stack = [items]
    while stack:
        for item in stack.pop():
            if isinstance(item, list):
                stack.append(item)
            elif item is not None:
                yield item


def json_pieces(document: str) -> Iterator[str | int]:
    """Every key and leaf string of a JSON document, and its long integers; the whole text
    when it does not parse (or is nested too deep to walk)."""
    try:
        root = json.loads(document)
    except (ValueError, RecursionError):
        yield document
        return
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield key
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and item >= NUMBER_FLOOR:
            yield item


def xml_pieces(document: str) -> Iterator[str]:
    """Text nodes, attribute values, CDATA sections and comments, entities resolved."""
    for match in _CDATA.finditer(document):
        yield match.group(1) if match.group(1) is not None else match.group(2)
    rest = _CDATA.sub(" ", document)
    for tag in _TAG.findall(rest):
        for match in _ATTR.finditer(tag):
            value = match.group(1) if match.group(1) is not None else match.group(2)
            if value.strip():
                yield html.unescape(value)
    for node in _TAG.split(rest):
        if node.strip():
            yield html.unescape(node)


class BytesText:
    """Bytes read in chunks, as text when they are text: UTF-8 when valid, else Latin-1
    when nearly all printable; ``binary`` otherwise (then nothing is decoded)."""

    def __init__(self, head: bytes, more: bool) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._latin1 = False
        noise = len(head) * _NOISE_SHARE
        self.binary = b"\0" in head or len(head) - len(head.translate(None, _CONTROL_BYTES)) > noise
        if self.binary:
            return
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=not more)
        except UnicodeDecodeError:
            self._latin1 = True
            self.binary = len(head.translate(None, _TEXT_BYTES)) > noise

    def decode(self, chunk: bytes, final: bool) -> str:
        if self._latin1:
            return chunk.decode("latin-1")
        return self._decoder.decode(chunk, final=final)
