"""Plain text from a target or a traceback, safe for every report format.

pytest colours its tracebacks with ANSI escapes and a target can return any
control character; XML 1.0 cannot hold most of them and no reader wants them.
"""

from __future__ import annotations

import re

__all__ = ["plain"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def plain(text: object) -> str:
    """``text`` as a string without ANSI colour codes or XML-invalid characters."""
    if text is None:
        return ""
    text = str(text)
    if text.isprintable():  # the common case, decided in C: nothing to remove
        return text
    return _INVALID_XML.sub("", _ANSI.sub("", text))
