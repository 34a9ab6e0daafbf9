"""Progress events for `golive run`: JSON lines appended to a file it follows.

The run happens in a pytest subprocess; the command shows its progress by
reading this file. Only the controller writes (workers' scenarios arrive at
the controller), one line per event, flushed at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from common.redaction import redact_data

__all__ = ["Events"]


class Events:
    """Append-only event stream; a no-op when ``golive run`` did not ask for one."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._out: IO[str] | None = None

    def emit(self, event: str, **data: Any) -> None:
        if self.path is None:
            return
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
        line = redact_data({"event": event, **data})  # the terminal shows these
        self._out.write(json.dumps(line, default=str) + "\n")
        self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
