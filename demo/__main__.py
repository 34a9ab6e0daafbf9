"""``python -m demo``: the demo platform's command line (see demo/cli.py)."""

from __future__ import annotations

from demo.cli import main

raise SystemExit(main())
