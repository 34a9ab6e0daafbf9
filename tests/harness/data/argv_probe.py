"""A stand-in for a platform command: prints what it was given as one JSON line.

Used by the command tests to see each word golive passed, the working directory and the
DSN in $GOLIVE_DSN; with ``--fail N`` it writes numbered lines to stderr (one holding the
DSN) and exits N.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

args = sys.argv[1:]
if args[:1] == ["--fail"]:
    for n in range(1, 21):
        print(f"stderr line {n}", file=sys.stderr)
    print(f"cannot connect to {os.environ.get('GOLIVE_DSN')}", file=sys.stderr)
    print("some output on stdout")
    sys.exit(int(args[1]))
print(json.dumps({"argv": args, "cwd": str(Path.cwd()), "dsn": os.environ.get("GOLIVE_DSN"),
                  "redirect": os.environ.get("PROBE_SMTP")}))
